import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { isolatedCatalog } from '../../test/kit.js';
import { alert, HOUR } from './fixtures.js';
import { clickhouseAlerts, clickhouseDlq } from './processors.js';
import { rowsOf, testDatabase } from './testutil.js';

process.env.LOG_LEVEL ??= 'warn';
const db = testDatabase('kafka');
const running: RunningStage[] = [];
afterAll(async () => {
  for (const r of running) await r.stop();
  await db.drop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    last = await probe();
    if (last !== undefined) return last as T;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('clickhouse-alerts and clickhouse-dlq through runSink over the real broker and registry', () => {
  it('stores produced alerts once (also when produced twice), and the undecodable one reaches dead_letters via rbp.alerts.dlq', async () => {
    const { prefix, catalog } = await isolatedCatalog('chsink');
    process.env.CLICKHOUSE_DATABASE = db.database;
    running.push(await clickhouseAlerts.start({ instanceId: 'test-0', metricsPort: -1 }));
    running.push(await clickhouseDlq.start({ instanceId: 'test-0', metricsPort: -1 }));

    const codec = await codecFor<Alert>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.alerts'));
    const producer = createKafka('clickhouse-sink-test').producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const h = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const alerts = [
      alert({ alert_id: 'k1', agent_id: 'agent-a', severity: 'high', category: 'dos', event_time: h + 60_000 }),
      alert({ alert_id: 'k2', agent_id: 'agent-b', severity: 'high', category: 'dos', event_time: h + 120_000 }),
      alert({ alert_id: 'k3', agent_id: 'agent-c', severity: 'medium', category: 'probe', event_time: h + HOUR + 60_000 }),
      alert({ alert_id: 'k4', agent_id: 'agent-a', severity: 'medium', category: 'probe', event_time: h + HOUR + 120_000 }),
      alert({ alert_id: 'k5', agent_id: 'agent-b', severity: 'medium', category: 'probe', event_time: h + HOUR + 180_000 }),
    ];
    const topic = topicSpec(catalog, 'rbp.alerts').name;
    const messages = alerts.map((a) => ({ key: a.agent_id, value: codec.encode(a) }));
    await producer.send({ topic, messages: [...messages, { key: 'agent-a', value: Buffer.from('not avro') }] });

    const perHour = "SELECT severity, category, toUInt32(sum(alerts)) AS n FROM alerts_per_hour GROUP BY severity, category ORDER BY severity, category";
    const expected = [
      { severity: 'high', category: 'dos', n: 2 },
      { severity: 'medium', category: 'probe', n: 3 },
    ];
    await until('5 alerts in ClickHouse', async () => ((await rowsOf<{ n: string }>(db.database, 'SELECT count() AS n FROM alerts FINAL'))[0].n === '5' ? true : undefined));
    expect(await rowsOf(db.database, perHour)).toEqual(expected);

    // The same alerts again (a producer retry, a replay): nothing changes.
    await producer.send({ topic, messages });
    await producer.disconnect();
    // Written and committed: the sink's group has committed all 11 records (5 + 1 bad + 5 again).
    const admin = createKafka('clickhouse-sink-test-admin').admin();
    await admin.connect();
    try {
      await until('the second copy committed', async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: `${prefix}socflow-clickhouse-alerts`, topics: [topic] });
        return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === 11 ? true : undefined;
      });
    } finally {
      await admin.disconnect();
    }
    expect(await rowsOf(db.database, 'SELECT count() AS n, uniqExact(alert_id) AS u FROM alerts FINAL')).toEqual([{ n: '5', u: '5' }]);
    expect(await rowsOf(db.database, perHour)).toEqual(expected);

    const dead = await until('the dead letter', async () => (await rowsOf(db.database, 'SELECT dlq_topic, stage, reason, value_size FROM dead_letters FINAL'))[0]);
    expect(dead).toEqual({ dlq_topic: 'rbp.alerts.dlq', stage: 'clickhouse-alerts', reason: 'not_avro', value_size: 8 });
    expect(await rowsOf(db.database, 'SELECT reason, toUInt32(dead_letters) AS n FROM dlq_by_reason')).toEqual([{ reason: 'not_avro', n: 1 }]);
  }, 120_000);
});
