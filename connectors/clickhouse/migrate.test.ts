import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrateClickhouse } from './migrate.js';
import { rowsOf, testDatabase } from './testutil.js';

const db = testDatabase('migrate');
afterAll(() => db.drop());

const schema = (database: string) =>
  rowsOf<{ name: string; engine: string; create_table_query: string }>(
    database,
    'SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name',
  );

describe('clickhouse migrations', () => {
  it('apply once, then a second run changes nothing', async () => {
    const lines: string[] = [];
    const first = await migrateClickhouse({ database: db.database, ttlDays: 30, log: (l) => lines.push(l) });
    expect(first.applied).toEqual(loadMigrations(30).map((m) => m.version));
    expect(lines.length).toBe(first.applied.length);
    const before = await schema(db.database);
    const names = before.map((t) => t.name);
    for (const t of ['telemetry_events', 'alerts', 'quota_updates', 'dead_letters', 'purple_gaps', 'schema_migrations']) expect(names).toContain(t);
    for (const v of ['alerts_per_hour', 'alerts_by_entity', 'score_distribution', 'dlq_by_reason', 'detection_latency', 'purple_coverage']) {
      expect(before.find((t) => t.name === v)?.engine).toBe('View');
    }
    for (const mv of ['alerts_hourly_mv', 'alerts_by_entity_mv', 'score_distribution_mv', 'dlq_hourly_mv']) {
      expect(before.find((t) => t.name === mv)?.engine).toBe('MaterializedView');
    }
    // The TTL setting is substituted into the DDL.
    expect(before.find((t) => t.name === 'alerts')?.create_table_query).toContain('toIntervalDay(30)');
    expect(before.find((t) => t.name === 'alerts')?.create_table_query).toContain('ReplacingMergeTree');

    const second = await migrateClickhouse({ database: db.database, ttlDays: 30 });
    expect(second).toEqual({ database: db.database, applied: [], changed: [], warnings: [] });
    expect(await schema(db.database)).toEqual(before);
    const recorded = await rowsOf<{ version: string; n: string }>(db.database, 'SELECT version, count() AS n FROM schema_migrations FINAL GROUP BY version ORDER BY version');
    expect(recorded).toEqual(first.applied.map((version) => ({ version, n: '1' })));
  });

  it('warns when CLICKHOUSE_TTL_DAYS differs from the TTL the tables were created with', async () => {
    const lines: string[] = [];
    const result = await migrateClickhouse({ database: db.database, ttlDays: 45, log: (l) => lines.push(l) });
    expect(result.applied).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/created with a TTL of 30 days, CLICKHOUSE_TTL_DAYS is now 45; .*MODIFY TTL/)]);
    expect(lines).toEqual([`warning: ${result.warnings[0]}`]);
  });

  it('rejects a bad database name and a bad TTL before touching the server', async () => {
    await expect(migrateClickhouse({ database: 'no-dashes' })).rejects.toThrow(/CLICKHOUSE_DATABASE/);
    await expect(migrateClickhouse({ database: db.database, ttlDays: 0 })).rejects.toThrow(/CLICKHOUSE_TTL_DAYS/);
  });
});
