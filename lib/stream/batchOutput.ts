import type { Codec } from '../serde/codecs.js';
import type { StageMetrics } from '../metrics.js';
import { topicSpec, type TopicCatalog } from '../topics/catalog.js';
import type { DeadLetterRecord } from './records.js';
import type { StageResult } from './stage.js';

export type MessagesByTopic = Map<string, { key: string; value: Buffer }[]>;

/**
 * What one live batch produces, encoded and grouped by physical topic for its transaction: the stage's outputs
 * (a Buffer value is already encoded and is produced as is — the benchmark's identity stage re-produces input
 * bytes) and the dead letters. Shared by both Kafka runtimes.
 */
export function encodeBatchOutput(result: StageResult, deadLetters: DeadLetterRecord[], deadLetterTopic: string, catalog: TopicCatalog, codecs: Map<string, Codec<any>>, byTopic: MessagesByTopic = new Map()): MessagesByTopic {
  const add = (logical: string, key: string, value: Buffer) => {
    const name = topicSpec(catalog, logical).name;
    let list = byTopic.get(name);
    if (!list) byTopic.set(name, (list = []));
    list.push({ key, value });
  };
  for (const out of result.outputs) add(out.topic, out.key, Buffer.isBuffer(out.value) ? out.value : codecs.get(out.topic)!.encode(out.value));
  for (const dl of deadLetters) add(deadLetterTopic, dl.key, codecs.get(deadLetterTopic)!.encode(dl.value));
  return byTopic;
}

/** The metrics of one committed live batch. */
export function recordCommittedBatch(metrics: StageMetrics, b: { topic: string; partition: number; liveIn: number; byTopic: MessagesByTopic; deadLetters: DeadLetterRecord[]; dropped?: Record<string, number>; startedNs: bigint; offsetLag: string }): void {
  metrics.recordsIn.inc({ topic: b.topic }, b.liveIn);
  for (const [topic, msgs] of b.byTopic) metrics.recordsOut.inc({ topic }, msgs.length);
  for (const dl of b.deadLetters) metrics.deadLetters.inc({ reason: dl.value.reason });
  for (const [reason, n] of Object.entries(b.dropped ?? {})) metrics.dropped.inc({ reason }, n);
  metrics.batchSize.observe(b.liveIn);
  metrics.latency.observe(Number(process.hrtime.bigint() - b.startedNs) / 1e9);
  metrics.lag.set({ topic: b.topic, partition: String(b.partition) }, Number(b.offsetLag));
}
