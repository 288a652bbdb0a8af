import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { freshDatabase, isolatedCatalog } from '../../test/kit.js';
import { readTopic } from '../../lib/kafka/readTopic.js';
import { StageProcess } from '../../lib/stream/stageProcess.js';

const running: StageProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop();
});

const metric = (i: number): TelemetryEvent => ({
  event_id: `m-${i}`,
  agent_id: `agent-${i % 7}`,
  host: `host-${i % 7}`,
  source: 'agent',
  event_time: Date.now() - 1000,
  type: 'METRIC',
  payload: { metrics: { cpu: i % 100, tokens_used: i } },
  metadata: {},
  asset: null,
  ingest_time: null,
});

/** Isolated topics, a database with the assets table, and a producer of rbp.metrics. */
async function setup(stem: string, extraEnv: Record<string, string> = {}) {
  const { prefix, catalog } = await isolatedCatalog(stem);
  const env = { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: await freshDatabase(stem), ...extraEnv };
  // The stage's own migrations create the assets table it reads; alert-store runs them in the pipeline.
  const { migrate } = await import('../../lib/db/migrate.js');
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  await migrate(client);
  await client.end();
  const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.metrics'));
  const producer = createKafka(`${stem}-test`).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const metricsTopic = topicSpec(catalog, 'rbp.metrics').name;
  const send = (events: TelemetryEvent[]) => producer.send({ topic: metricsTopic, messages: events.map((e) => ({ key: e.agent_id, value: codec.encode(e) })) });
  /** Event ids on rbp.normalized (read committed) once `expected` arrived and nothing more came for 2 s. */
  const normalizedIds = async (expected: number): Promise<string[]> => {
    const normalizedTopic = topicSpec(catalog, 'rbp.normalized').name;
    await readTopic(normalizedTopic, { done: (n) => n >= expected, timeoutMs: 120_000 });
    await sleep(2000);
    const all = await readTopic(normalizedTopic, { idleMs: 2000 });
    const outCodec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.normalized'));
    return Promise.all(all.map(async (r) => (await outCodec.decode(r.value)).event_id));
  };
  return { catalog, env, producer, metricsTopic, send, normalizedIds };
}

describe('normalize over the real broker', () => {
  it('survives a SIGKILL mid-stream: every good event exactly once on rbp.normalized, every bad one once in the DLQ', async () => {
    // Slices of 64 records: batches here reach hundreds, so the kill and the bad records land inside split batches.
    const { catalog, env, producer, metricsTopic, send, normalizedIds } = await setup('normalize', { SOCFLOW_STAGE_SLICE_RECORDS: '64' });
    const good = 3000;
    const bad = [Buffer.from([1, 2, 3, 4, 5]), Buffer.from([0, 0, 0, 0x7f, 0x7f, 1]), Buffer.from('{"event_id": 5}'), Buffer.from('{"event_id":')];
    const normalize = new StageProcess('normalize', env).start();
    running.push(normalize);
    for (let i = 0; i < good; i += 250) {
      await send(Array.from({ length: 250 }, (_, j) => metric(i + j)));
      if (i === 1000) {
        await producer.send({ topic: metricsTopic, messages: bad.map((value) => ({ key: 'agent-0', value })) });
        // A duplicate of an event already sent: dropped, not forwarded twice.
        await send([metric(3)]);
      }
      if (i === 1500) {
        await sleep(300);
        await normalize.kill();
        normalize.start();
      }
    }
    await producer.disconnect();

    const ids = await normalizedIds(good);
    expect(ids.length).toBe(good);
    expect(new Set(ids).size).toBe(good);

    const dlq = await readTopic(topicSpec(catalog, 'rbp.metrics.dlq').name, { idleMs: 2000 });
    const dlqCodec = await codecFor<{ reason: string; value: Buffer }>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.metrics.dlq'));
    const dead = await Promise.all(dlq.map((r) => dlqCodec.decode(r.value)));
    expect(dead.map((d) => d.reason).sort()).toEqual(['invalid_event', 'invalid_json', 'not_avro', 'unknown_schema']);
    expect(dead.map((d) => d.value.toString('hex')).sort()).toEqual(bad.map((b) => b.toString('hex')).sort());
  }, 180_000);

  it('two copies share the partitions; one frozen mid-stream (a zombie) loses them to the other and is fenced when it wakes: every event exactly once', async () => {
    // A 6 s session: the group drops the frozen copy quickly; its open transaction, if any, ends by the broker's timeout.
    const { catalog, env, producer, send, normalizedIds } = await setup('normalize-zombie', { SOCFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000', SOCFLOW_STAGE_SLICE_RECORDS: '64' });
    // A backlog first, so the copies are busy with it when copy-a freezes: most likely inside a batch's transaction.
    const total = 40_000;
    for (let i = 0; i < total; i += 1000) await send(Array.from({ length: 1000 }, (_, j) => metric(i + j)));
    const copies = [new StageProcess('normalize', env, 'copy-a').start(), new StageProcess('normalize', env, 'copy-b').start()];
    running.push(...copies);
    await readTopic(topicSpec(catalog, 'rbp.normalized').name, { done: (n) => n >= 2000, timeoutMs: 60_000 });
    copies[0].pause();
    // Long enough for the group to move copy-a's partitions to copy-b, which then works on them.
    await sleep(12_000);
    copies[0].resume();
    await producer.disconnect();

    const ids = await normalizedIds(total);
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(total);
    expect(copies.every((c) => c.alive)).toBe(true);
  }, 240_000);
});
