import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../lib/kafka/client.js';
import { codecFor } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { topicSpec, type TopicCatalog } from '../lib/topics/catalog.js';
import { LatencyHistogram } from './histogram.js';

export interface HopLatency {
  topic: string;
  records: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Where the latency accumulates: for every record of the latency phase's entities on each stage's output
 * topic, its Kafka timestamp (set by the stage's producer when it sent the record, inside its transaction)
 * minus the event's time (its due time at the benchmark's producer). Read committed, after the drain.
 */
export async function hopLatencies(catalog: TopicCatalog, entity: RegExp): Promise<HopLatency[]> {
  const registry = new SchemaRegistryClient();
  const out: HopLatency[] = [];
  for (const logical of ['rbp.normalized', 'rbp.correlated', 'rbp.alerts']) {
    const spec = topicSpec(catalog, logical);
    const codec = await codecFor<Record<string, any>>(registry, spec);
    const consumer = createKafka('socflow-bench-hops').consumer({ groupId: `socflow-bench-hops-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 100 });
    const h = new LatencyHistogram();
    let last = Date.now();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: spec.name, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          last = Date.now();
          for (const m of batch.messages) {
            if (!m.value) continue;
            const v = await codec.decode(m.value);
            const event = v.event ?? v;
            if (entity.test(String(event.agent_id))) h.record(Number(m.timestamp) - Number(event.event_time));
          }
        },
      });
      while (Date.now() - last < 2500) await sleep(200);
    } finally {
      await consumer.disconnect();
    }
    const r1 = (x: number) => Math.round(x * 10) / 10;
    out.push({ topic: logical, records: h.count, p50: r1(h.percentile(50)), p95: r1(h.percentile(95)), p99: r1(h.percentile(99)) });
  }
  return out;
}
