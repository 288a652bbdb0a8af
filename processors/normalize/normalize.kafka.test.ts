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

describe('normalize over the real broker', () => {
  it('survives a SIGKILL mid-stream: every good event exactly once on rbp.normalized, every bad one once in the DLQ', async () => {
    const { prefix, catalog } = await isolatedCatalog('normalize');
    // Slices of 64 records: batches here reach hundreds, so the kill and the bad records land inside split batches.
    const env = { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: await freshDatabase('normalize'), SOCFLOW_STAGE_SLICE_RECORDS: '64' };
    // The stage's own migrations create the assets table it reads; alert-store runs them in the pipeline.
    const { migrate } = await import('../../lib/db/migrate.js');
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    await migrate(client);
    await client.end();

    const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.metrics'));
    const producer = createKafka('normalize-test').producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const metricsTopic = topicSpec(catalog, 'rbp.metrics').name;
    const good = 3000;
    const bad = [Buffer.from([1, 2, 3, 4, 5]), Buffer.from([0, 0, 0, 0x7f, 0x7f, 1]), Buffer.from('{"event_id": 5}'), Buffer.from('{"event_id":')];
    const normalize = new StageProcess('normalize', env).start();
    running.push(normalize);
    for (let i = 0; i < good; i += 250) {
      const messages = Array.from({ length: 250 }, (_, j) => metric(i + j)).map((e) => ({ key: e.agent_id, value: codec.encode(e) }));
      await producer.send({ topic: metricsTopic, messages });
      if (i === 1000) {
        await producer.send({ topic: metricsTopic, messages: bad.map((value) => ({ key: 'agent-0', value })) });
        // A duplicate of an event already sent: dropped, not forwarded twice.
        await producer.send({ topic: metricsTopic, messages: [{ key: 'agent-3', value: codec.encode(metric(3)) }] });
      }
      if (i === 1500) {
        await sleep(300);
        await normalize.kill();
        normalize.start();
      }
    }
    await producer.disconnect();

    const normalizedTopic = topicSpec(catalog, 'rbp.normalized').name;
    const out = await readTopic(normalizedTopic, { done: (n) => n >= good, timeoutMs: 90_000 });
    await sleep(2000);
    const outAgain = await readTopic(normalizedTopic, { idleMs: 2000 });
    const outCodec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.normalized'));
    const ids = await Promise.all(outAgain.map(async (r) => (await outCodec.decode(r.value)).event_id));
    expect(out.length).toBeGreaterThanOrEqual(good);
    expect(ids.length).toBe(good);
    expect(new Set(ids).size).toBe(good);

    const dlq = await readTopic(topicSpec(catalog, 'rbp.metrics.dlq').name, { idleMs: 2000 });
    const dlqCodec = await codecFor<{ reason: string; value: Buffer }>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.metrics.dlq'));
    const dead = await Promise.all(dlq.map((r) => dlqCodec.decode(r.value)));
    expect(dead.map((d) => d.reason).sort()).toEqual(['invalid_event', 'invalid_json', 'not_avro', 'unknown_schema']);
    expect(dead.map((d) => d.value.toString('hex')).sort()).toEqual(bad.map((b) => b.toString('hex')).sort());
  }, 180_000);
});
