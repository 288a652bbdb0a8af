import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../lib/db/migrate.js';
import type { Alert } from '../lib/events.js';
import { fromRoot } from '../lib/paths.js';
import { StageProcess } from '../lib/stream/stageProcess.js';
import { PURPLE_GAPS, type PurpleGap, responseId } from '../processors/purple/model.js';
import { freshDatabase, isolatedCatalog } from '../test/kit.js';
import { publishResponse, readAll } from './io.js';
import { awaitResults, collectReport, publishScenarios } from './run.js';
import { loadScenarioFile, type Scenario } from './scenario.js';

/**
 * The whole path over the real broker: scenarios → rbp.metrics → normalize → correlate → onnx-score → rbp.alerts
 * → purple → purple-gaps, every stage its own process (dist/: run `make build` first). Needs the model registry
 * (models/registry or SOCFLOW_MODEL_REGISTRY) for onnx-score to start.
 */
const registry = process.env.SOCFLOW_MODEL_REGISTRY || fromRoot('models/registry');
const haveModel = existsSync(join(registry, 'nslkdd-binary'));
const processes: StageProcess[] = [];
afterAll(async () => {
  for (const p of processes) await p.stop();
});

const scenario = (file: string, edit: (s: Scenario) => void): Scenario => {
  const s = loadScenarioFile(fromRoot('exercises/scenarios', file));
  edit(s);
  return s;
};

describe.skipIf(!haveModel)('an exercise end to end over the real broker', () => {
  it('detects the brute force within its deadline, misses the evasive one, measures the response, and survives a purple kill with each result once', { timeout: 300_000 }, async () => {
    const { prefix } = await isolatedCatalog('exercise');
    const databaseUrl = await freshDatabase('exercise');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await migrate(client);
    await client.end();
    const env = { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, PURPLE_GRACE_MS: '5000', SOCFLOW_MODEL_REGISTRY: registry,
      SOCFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000' }; // the restarted purple gets its partitions 6 s after the kill, not 30
    const start = (stage: string) => {
      const p = new StageProcess(stage, env, 'test-0').start();
      processes.push(p);
      return p;
    };
    for (const stage of ['normalize', 'correlate', 'onnx-score']) start(stage);
    let purple = start('purple');

    // Shorter runs of two library scenarios: the detectable brute force (deadline 30 s) and the evasive one (6 failures, 16 s apart).
    const detectable = scenario('auth-brute-force-then-success.yaml', (s) => (s.expect.deadline_ms = 30_000));
    const evasive = scenario('evasive-slow-brute-force.yaml', (s) => {
      s.expect.deadline_ms = 100_000;
      s.pacing.duration_ms = 80_000;
      s.telemetry = s.telemetry.map((t) => (t.kind === 'auth_burst' ? { ...t, failures: 6 } : t));
    });
    const lines: string[] = [];
    const { exerciseId, runs } = await publishScenarios([detectable, evasive], { say: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/\[1\/2\] auth-brute-force-then-success → web-01: 13 events/);

    // Blue answers the credential-compromise alert as soon as it is on rbp.alerts.
    const alerts = await readAll<Alert>('rbp.alerts', { timeoutMs: 90_000, done: (v) => v.some((a) => a.agent_id === 'web-01' && a.category === 'credential_compromise') });
    const compromise = alerts.find((a) => a.agent_id === 'web-01' && a.category === 'credential_compromise')!;
    expect(compromise).toBeDefined();
    const respondedAt = Date.now();
    await publishResponse({ response_id: responseId(compromise.alert_id, 'acknowledged', respondedAt), alert_id: compromise.alert_id, agent_id: 'web-01', action: 'acknowledged', actor: 'test', responded_at: respondedAt });

    // Kill purple mid-exercise (nothing decided yet), restart it.
    await sleep(1000);
    await purple.kill();
    purple = start('purple');

    const gaps = await awaitResults(exerciseId, runs, { say: () => {}, settleMs: 3000, tickMs: 1000, timeoutMs: 120_000 });
    expect(gaps).toHaveLength(2);
    await sleep(3000);
    const all = (await readAll<PurpleGap>(PURPLE_GAPS, { idleMs: 3000 })).filter((g) => g.exercise_id === exerciseId);
    expect(all.map((g) => g.scenario_id).sort()).toEqual(['auth-brute-force-then-success', 'evasive-slow-brute-force']);

    const d = all.find((g) => g.scenario_id === 'auth-brute-force-then-success')!;
    expect(d.detected).toBe(true);
    expect(d.gap).toBeNull();
    expect(d.time_to_detect_ms).toBeGreaterThanOrEqual(0);
    expect(d.time_to_detect_ms!).toBeLessThanOrEqual(30_000);
    expect(d.matching_alert_ids).toContain(compromise.alert_id);
    expect(d.time_to_respond_ms).toBe(respondedAt - compromise.event_time);
    const e = all.find((g) => g.scenario_id === 'evasive-slow-brute-force')!;
    expect(e).toMatchObject({ detected: false, gap: 'missed', matching_alert_ids: [] });

    const report = await collectReport(exerciseId, { idleMs: 1500 });
    expect(report.summary).toMatchObject({ scenarios: 2, detected: 1, missed: 1, evasive_missed: 1, median_time_to_respond_ms: d.time_to_respond_ms });
    expect(purple.alive).toBe(true);
  });
});
