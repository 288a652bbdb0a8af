import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import { intSetting, topicPrefix } from '../config.js';
import { CachedDefaultPartitioner, createKafka } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { serveMetrics, stageMetrics } from '../metrics.js';
import { type Codec, codecFor } from '../serde/codecs.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec, type TopicCatalog } from '../topics/catalog.js';
import { decodeBatch, deadLetterValue, type DeadLetterRecord } from './records.js';
import { PartitionTask } from './partitionTask.js';
import { TransactionalProducer } from './transactions.js';
export { chunksBySize } from './chunks.js';
import type { Decoder, Stage } from './stage.js';

export interface RuntimeOptions {
  /** Stable per running copy: the transactional id, so a restarted copy fences its dead predecessor at once. */
  instanceId: string;
  metricsPort?: number;
  /** Upper bound on the bytes of one produce request (the broker's default limit is 1 MB). */
  maxRequestBytes?: number;
  /** The stage's own metrics (model scores, drift, ...), served on the same /metrics as the runtime's. */
  extraMetrics?: Registry;
}

export interface RunningStage {
  stop(): Promise<void>;
  metricsPort?: number;
}

/**
 * Runs a stage in its consumer group with exactly-once delivery: per batch, one Kafka transaction carries
 * the outputs, the dead letters and the input offsets (sendOffsets); consumers read committed data only.
 */
export async function runStage<In, State>(stage: Stage<In, State>, decode: Decoder<In>, opts: RuntimeOptions): Promise<RunningStage> {
  const log = createLogger(`socflow-${stage.name}`, { stage: stage.name, instance: opts.instanceId });
  const metrics = stageMetrics(stage.name);
  const catalog = loadTopicCatalog();
  const registry = new SchemaRegistryClient();
  const codecs = await outputCodecs(stage, catalog, registry);
  const prefix = topicPrefix();
  const groupId = `${prefix}socflow-${stage.name}`;
  const kafka = createKafka(`socflow-${stage.name}-${opts.instanceId}`);
  const producer = new TransactionalProducer(() =>
    kafka.producer({
      transactionalId: `${prefix}socflow-${stage.name}-${opts.instanceId}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
      createPartitioner: CachedDefaultPartitioner,
    }),
  );
  const tuning = runtimeTuning();
  const consumer = kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: tuning.maxWaitTimeInMs, minBytes: tuning.minBytes, maxBytesPerPartition: tuning.maxBytesPerPartition });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), consumer.connect(), admin.connect()]);
  const inputTopics = stage.inputs.map((t) => topicSpec(catalog, t).name);
  const logicalOf = new Map(stage.inputs.map((t) => [topicSpec(catalog, t).name, t]));
  const tasks = new Map<string, PartitionTask<In, State>>();
  // A new assignment may hand us partitions another copy processed: forget all state, rebuild on first batch.
  consumer.on(consumer.events.GROUP_JOIN, () => tasks.clear());

  const offsetAtTime = async (topic: string, partition: number, ts: number): Promise<bigint | null> => {
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, ts));
    const found = offsets.find((o) => o.partition === partition);
    return found && Number(found.offset) >= 0 ? BigInt(found.offset) : null;
  };

  const processBatch = async (batch: Batch, resolveOffset: (o: string) => void, heartbeat: () => Promise<void>) => {
    const key = `${batch.topic}:${batch.partition}`;
    let task = tasks.get(key);
    if (!task) tasks.set(key, (task = new PartitionTask(stage, batch.topic, batch.partition)));
    const first = batch.messages[0];
    if (!task.planned) {
      const from = await task.planRebuild(BigInt(first.offset), Number(first.timestamp), (ts) => offsetAtTime(batch.topic, batch.partition, ts));
      if (from !== null) {
        log.info({ topic: batch.topic, partition: batch.partition, from: String(from), liveFrom: first.offset }, 'rebuilding window state from the log');
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(from) });
        return;
      }
    }
    const started = process.hrtime.bigint();
    const replayBelow = task.liveFrom;
    const { records, failures } = await decodeBatch(batch, decode);
    const result = await task.run(records, Date.now);
    const replayedCount = replayBelow === null ? 0 : batch.messages.filter((m) => BigInt(m.offset) < replayBelow).length;
    if (replayedCount) metrics.replayed.inc({ topic: batch.topic }, replayedCount);
    const liveFailures = replayBelow === null ? failures : failures.filter((f) => f.record.offset >= replayBelow);
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    if (!result.live && liveFailures.length === 0) {
      resolveOffset(lastOffset);
      await heartbeat();
      return;
    }
    const deadLetters: DeadLetterRecord[] = [...liveFailures, ...result.deadLetters].map((d) => deadLetterValue(stage.name, d));
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    const add = (logical: string, k: string, value: Buffer) => {
      const name = topicSpec(catalog, logical).name;
      if (!byTopic.has(name)) byTopic.set(name, []);
      byTopic.get(name)!.push({ key: k, value });
    };
    // A Buffer value is already encoded and is produced as is (the benchmark's identity stage re-produces input bytes).
    for (const out of result.outputs) add(out.topic, out.key, Buffer.isBuffer(out.value) ? out.value : codecs.get(out.topic)!.encode(out.value));
    for (const dl of deadLetters) add(stage.deadLetterTopic, dl.key, codecs.get(stage.deadLetterTopic)!.encode(dl.value));
    await producer.commit(byTopic, { groupId, topic: batch.topic, partition: batch.partition, nextOffset: (BigInt(lastOffset) + 1n).toString() }, opts.maxRequestBytes ?? 900_000);
    resolveOffset(lastOffset);
    const liveIn = batch.messages.length - replayedCount;
    metrics.recordsIn.inc({ topic: batch.topic }, liveIn);
    for (const [topic, msgs] of byTopic) metrics.recordsOut.inc({ topic }, msgs.length);
    for (const dl of deadLetters) metrics.deadLetters.inc({ reason: dl.value.reason });
    for (const [reason, n] of Object.entries(result.dropped ?? {})) metrics.dropped.inc({ reason }, n);
    metrics.batchSize.observe(liveIn);
    metrics.latency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    await heartbeat();
  };

  await consumer.subscribe({ topics: inputTopics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
      if (isStale() || batch.isEmpty()) return;
      try {
        await processBatch(batch, resolveOffset, heartbeat);
      } catch (err) {
        // Never throw out of the handler (kafkajs #946): abort, forget this partition's state, re-read the batch.
        metrics.aborts.inc();
        log.error({ err: String(err), topic: batch.topic, partition: batch.partition, offset: batch.firstOffset(), logical: logicalOf.get(batch.topic) }, 'batch failed; transaction aborted, batch will be reprocessed');
        tasks.delete(`${batch.topic}:${batch.partition}`);
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset()! });
        await sleep(1000);
      }
    },
  });
  const metricsServer = await serveMetrics(opts.extraMetrics ? Registry.merge([metrics.registry, opts.extraMetrics]) : metrics.registry, opts.metricsPort, log);
  log.info({ inputs: inputTopics, groupId, metricsPort: (metricsServer?.address() as AddressInfo | undefined)?.port }, 'stage running');

  return {
    metricsPort: (metricsServer?.address() as AddressInfo | undefined)?.port,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
      metricsServer?.close();
    },
  };
}

/**
 * Fetch and produce settings, overridable by environment for tuning (docs/BENCHMARKS.md has the measurements
 * behind the defaults): SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION (bytes fetched per partition, so the largest
 * batch), SOCFLOW_KAFKA_MIN_BYTES / SOCFLOW_KAFKA_MAX_WAIT_MS (fetch long-poll: answer once this much is
 * there or this long has passed).
 */
export function runtimeTuning() {
  return {
    maxBytesPerPartition: intSetting('SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION', 1_048_576, 1024, 64 * 1_048_576),
    minBytes: intSetting('SOCFLOW_KAFKA_MIN_BYTES', 1, 1, 64 * 1_048_576),
    maxWaitTimeInMs: intSetting('SOCFLOW_KAFKA_MAX_WAIT_MS', 100, 0, 10_000),
  };
}

async function outputCodecs(stage: Stage<any, any>, catalog: TopicCatalog, registry: SchemaRegistryClient): Promise<Map<string, Codec<any>>> {
  const codecs = new Map<string, Codec<any>>();
  for (const logical of [...stage.outputs, stage.deadLetterTopic]) codecs.set(logical, await codecFor(registry, topicSpec(catalog, logical)));
  return codecs;
}



export type { Consumer };
