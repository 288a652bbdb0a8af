import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readSampleEvents, replayFile } from '../../demo/replay.js';
import { migrate } from '../../lib/db/migrate.js';
import type { Alert, TelemetryEvent } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { readTopic } from '../../lib/kafka/readTopic.js';
import { fromRoot } from '../../lib/paths.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { StageProcess } from '../../lib/stream/stageProcess.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { processors } from '../../processors/index.js';
import { freshDatabase, isolatedCatalog } from '../kit.js';
import { referenceRun, sampleAssets } from './reference.js';

const SAMPLE = fromRoot('samples/demo/telemetry.jsonl');
const PIPELINE = ['normalize', 'correlate', 'onnx-score', 'alert-store', 'quota-manager', 'quota-store'];
// Small slices, so batches are split inside their transactions and the result must still equal the reference run.
const SLICE_RECORDS = '37';
let stages: StageProcess[] = [];

afterEach(async () => {
  for (const s of stages) await s.stop();
  stages = [];
});

async function setUp(name: string) {
  const { prefix, catalog } = await isolatedCatalog(name);
  const databaseUrl = await freshDatabase(name);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const client = await db.connect();
  await migrate(client);
  for (const [id, a] of sampleAssets()) await client.query('INSERT INTO assets (asset_id, criticality, owner) VALUES ($1, $2, $3)', [id, a.criticality, a.owner]);
  client.release();
  expect(processors.map((p) => p.name)).toEqual(expect.arrayContaining(PIPELINE));
  stages = PIPELINE.map((stage) => new StageProcess(stage, { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, SOCFLOW_MODEL_POLL_MS: '0', SOCFLOW_STAGE_SLICE_RECORDS: SLICE_RECORDS }).start());
  return { catalog, db };
}

async function idsIn(db: pg.Pool, sql: string): Promise<string[]> {
  return (await db.query<{ id: string }>(sql)).rows.map((r) => r.id).sort();
}

/** Polls until PostgreSQL holds as many rows as expected (or more: a duplicate must fail the test, not hang it). */
async function waitForRows(db: pg.Pool, expected: { alerts: number; quota: number; proposals: number }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ a: string; q: string; p: string }>('SELECT (SELECT count(*) FROM alerts) a, (SELECT count(*) FROM quota_updates) q, (SELECT count(*) FROM proposals) p');
    if (Number(rows[0].a) >= expected.alerts && Number(rows[0].q) >= expected.quota && Number(rows[0].p) >= expected.proposals) return;
    await sleep(500);
  }
}

async function runPipeline(name: string, onBatch?: (sent: number) => Promise<void>) {
  const baseTime = Date.now() - 120_000;
  const events: TelemetryEvent[] = [];
  for await (const e of readSampleEvents(SAMPLE, baseTime)) events.push(e);
  const expected = await referenceRun(events);
  const { catalog, db } = await setUp(name);
  const spec = topicSpec(catalog, 'rbp.metrics');
  const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
  const producer = createKafka('e2e').producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  await replayFile(SAMPLE, { producer, codec, topic: spec.name, baseTime, batchSize: 200, jsonSources: new Set(['ai-agent']), onProgress: onBatch });
  await producer.disconnect();
  await waitForRows(db, { alerts: expected.alerts.length, quota: expected.quotaUpdates.length, proposals: expected.proposals.length }, 150_000);
  // Give a duplicate the chance to show up before counting.
  await sleep(3000);
  const alertCodec = await codecFor<Alert>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.alerts'));
  const onTopic = await Promise.all((await readTopic(topicSpec(catalog, 'rbp.alerts').name, { idleMs: 2500 })).map(async (r) => (await alertCodec.decode(r.value)).alert_id));
  const result = {
    topicAlertIds: onTopic.sort(),
    storedAlertIds: await idsIn(db, 'SELECT alert_id AS id FROM alerts'),
    storedUpdateIds: await idsIn(db, 'SELECT update_id AS id FROM quota_updates'),
    storedProposalIds: await idsIn(db, 'SELECT proposal_id AS id FROM proposals'),
    auditCreated: Number((await db.query<{ n: string }>("SELECT count(*) n FROM alert_audit WHERE note = 'created'")).rows[0].n),
  };
  await db.end();
  return { expected, result };
}

function assertExactlyOnce(expected: Awaited<ReturnType<typeof referenceRun>>, result: Awaited<ReturnType<typeof runPipeline>>['result']) {
  const expectedAlertIds = expected.alerts.map((a) => a.alert_id).sort();
  expect(new Set(expectedAlertIds).size).toBe(expectedAlertIds.length);
  expect(result.topicAlertIds).toEqual(expectedAlertIds);
  expect(result.storedAlertIds).toEqual(expectedAlertIds);
  expect(result.auditCreated).toBe(expectedAlertIds.length);
  expect(result.storedUpdateIds).toEqual(expected.quotaUpdates.map((u) => u.update_id).sort());
  expect(result.storedProposalIds).toEqual(expected.proposals.map((p) => p.proposal_id).sort());
}

describe('the pipeline end to end over the real broker, registry and PostgreSQL', () => {
  it('turns the known mix into exactly the alerts, quota updates and proposals the transforms define', async () => {
    const { expected, result } = await runPipeline('e2e');
    // The mix holds what the detectors exist for; each must have fired.
    const categories = new Set(expected.alerts.map((a) => `${a.category}@${a.agent_id}`));
    expect(categories).toContain('brute_force@web-01');
    expect(categories).toContain('credential_compromise@web-01');
    expect(categories).toContain('vulnerability@db-01');
    expect(categories).toContain('resource_abuse@agent-llm-02');
    expect(expected.alerts.some((a) => a.agent_id === 'sensor-web-01' && a.detector.startsWith('model:'))).toBe(true);
    expect(expected.quotaUpdates.length + expected.proposals.length).toBeGreaterThan(0);
    assertExactlyOnce(expected, result);
  }, 300_000);

  it('loses and duplicates nothing when every stage is SIGKILLed once mid-stream and restarted', async () => {
    const killAt = new Map(PIPELINE.map((stage, i) => [400 + i * 300, stage]));
    const kills: string[] = [];
    const { expected, result } = await runPipeline('e2e-kill', async (sent) => {
      for (const [at, stage] of killAt) {
        if (sent >= at && !kills.includes(stage)) {
          const proc = stages.find((s) => s.stage === stage)!;
          await proc.kill();
          kills.push(stage);
          proc.start();
        }
      }
    });
    expect(kills.sort()).toEqual([...PIPELINE].sort());
    assertExactlyOnce(expected, result);
  }, 300_000);
});
