import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickhouse } from '../connectors/clickhouse/client.js';
import { migrateClickhouse } from '../connectors/clickhouse/migrate.js';
import { listSavedQueries, savedQuery, bindParams } from '../connectors/clickhouse/queries.js';
import { purpleGapRow } from '../connectors/clickhouse/rows.js';
import { rowsOf, testDatabase } from '../connectors/clickhouse/testutil.js';
import { fromRoot } from '../lib/paths.js';
import type { PurpleGap } from '../processors/purple/model.js';

const DIR = fromRoot('exercises/queries');
const db = testDatabase('purple_q');
const now = Date.now();

const gap = (exercise: string, scenario: string, techniques: string[], detected: boolean, gapKind: PurpleGap['gap'], ttd: number | null, start: number, decided = start + 90_000): PurpleGap => ({
  result_id: `${exercise}/${scenario}`, exercise_id: exercise, scenario_id: scenario, techniques, agent_id: 'a', detected, time_to_detect_ms: ttd,
  time_to_respond_ms: detected ? 30_000 : null, matching_alert_ids: [], unmatched_alert_ids: [], gap: gapKind, start_time: start, decided_at: decided,
});

describe('saved ClickHouse queries of exercises/queries (purple_gaps of connectors/clickhouse)', () => {
  beforeAll(async () => {
    await migrateClickhouse({ database: db.database });
    const client = createClickhouse({ database: db.database });
    try {
      const rows = [
        gap('ex-1', 'scan', ['T1046'], false, 'missed', null, now - 7_200_000),
        gap('ex-1', 'flood', ['T1498', 'T1499'], true, 'no_response', 2000, now - 7_200_000),
        gap('ex-2', 'scan', ['T1046'], true, null, 4000, now - 3_600_000),
        gap('ex-2', 'flood', ['T1498', 'T1499'], true, null, 1000, now - 3_600_000),
        // the same result decided twice (redelivery): FINAL keeps one
        gap('ex-2', 'flood', ['T1498', 'T1499'], true, null, 1000, now - 3_600_000, now - 3_500_000),
        gap('ex-2', 'slow', ['T1046'], false, 'late', 70_000, now - 3_600_000),
      ].map(purpleGapRow);
      await client.insert({ table: 'purple_gaps', values: rows, format: 'JSONEachRow' });
    } finally {
      await client.close();
    }
  });
  afterAll(() => db.drop());

  const run = (name: string, params: Record<string, string> = {}) => {
    const q = savedQuery(name, DIR);
    return rowsOf<Record<string, unknown>>(db.database, q.sql, bindParams(q, params));
  };

  it('are saved queries in the connectors/clickhouse format (description, declared parameters)', () => {
    expect(listSavedQueries(DIR).map((q) => q.name).sort()).toEqual(['coverage_by_technique', 'exercise_trend']);
  });

  it('coverage_by_technique: per technique over all exercises, or one', async () => {
    const rows = await run('coverage_by_technique');
    const t1046 = rows.find((r) => r.technique === 'T1046')!;
    expect(t1046).toMatchObject({ scenarios: '3', detected_scenarios: '1', late: '1', missed: '1', exercises: '2' });
    expect(Number(t1046.coverage)).toBeCloseTo(0.333, 3);
    expect(rows.find((r) => r.technique === 'T1498')).toMatchObject({ scenarios: '2', detected_scenarios: '2', no_response: '1' });
    const one = await run('coverage_by_technique', { exercise: 'ex-2' });
    expect(one.find((r) => r.technique === 'T1046')).toMatchObject({ scenarios: '2', detected_scenarios: '1', median_time_to_detect_ms: '4000' });
  });

  it('exercise_trend: one row per exercise, oldest first, with the change of the detection rate', async () => {
    const rows = await run('exercise_trend');
    expect(rows.map((r) => r.exercise_id)).toEqual(['ex-1', 'ex-2']);
    expect(rows[0]).toMatchObject({ scenarios: '2', detected_scenarios: '1', missed: '1', no_response: '1', techniques_run: '3', techniques_detected: '2' });
    expect(rows[1]).toMatchObject({ scenarios: '3', detected_scenarios: '2', late: '1', techniques_run: '3', techniques_detected: '3' });
    expect(Number(rows[0].rate_change)).toBe(0);
    expect(Number(rows[1].rate_change)).toBeCloseTo(0.667 - 0.5, 2);
  });
});
