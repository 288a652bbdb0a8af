import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import { intSetting, topicPrefix } from '../config.js';
import { createKafka, transactionalProducer } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { serveMetrics, stageMetrics } from '../metrics.js';
import { type Codec, codecFor } from '../serde/codecs.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec, type TopicCatalog } from '../topics/catalog.js';
import { encodeBatchOutput, type MessagesByTopic, recordCommittedBatch } from './batchOutput.js';
import { decodeBatch, deadLetterValue, type DeadLetterRecord } from './records.js';
import { PartitionTask } from './partitionTask.js';
import { slotId, TransactionalProducer } from './transactions.js';
import type { Decoder, Stage } from './stage.js';

export interface RuntimeOptions {
  /** Names the running copy (client id, logs); transactional ids are per input partition, not per copy. */
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
 * Each input partition has its own transactional producer, so the partitions of a fetch can be processed and
 * committed concurrently (SOCFLOW_KAFKA_PARTITIONS_CONCURRENTLY): that halves a hop's latency below
 * saturation but, with smaller batches, costs ~30 % of throughput, so it is off by default (docs/BENCHMARKS.md).
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
  const logicalOf = new Map(stage.inputs.map((t) => [topicSpec(catalog, t).name, t]));
  // Kafka Streams' EOS v1: the transactional id is the input partition's, so its next owner (a restarted
  // copy or another one) fences the previous owner and aborts what it left open.
  const producers = new Map<string, TransactionalProducer>();
  const producerFor = (topic: string, partition: number): TransactionalProducer => {
    const key = `${topic}:${partition}`;
    let producer = producers.get(key);
    if (!producer) {
      const transactionalId = `${prefix}socflow-${stage.name}-${logicalOf.get(topic) ?? topic}-${partition}`;
      producer = new TransactionalProducer((slot) => transactionalProducer(kafka, slotId(transactionalId, slot)));
      producers.set(key, producer);
    }
    return producer;
  };
  const tuning = runtimeTuning();
  const consumer = kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: tuning.maxWaitTimeInMs, minBytes: tuning.minBytes, maxBytesPerPartition: tuning.maxBytesPerPartition });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  const inputTopics = stage.inputs.map((t) => topicSpec(catalog, t).name);
  const tasks = new Map<string, PartitionTask<In, State>>();
  // A new assignment may hand us partitions another copy processed: forget all state, rebuild on first
  // batch, and fence the partition's previous owner before reading its committed offset.
  consumer.on(consumer.events.GROUP_JOIN, () => {
    tasks.clear();
    for (const p of producers.values()) p.invalidate();
  });

  const committedOffset = async (topic: string, partition: number): Promise<bigint | null> => {
    const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = found?.partitions.find((p) => p.partition === partition)?.offset;
    return offset !== undefined && Number(offset) >= 0 ? BigInt(offset) : null;
  };

  const offsetAtTime = async (topic: string, partition: number, ts: number): Promise<bigint | null> => {
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, ts));
    const found = offsets.find((o) => o.partition === partition);
    return found && Number(found.offset) >= 0 ? BigInt(found.offset) : null;
  };

  const processBatch = async (batch: Batch, resolveOffset: (o: string) => void, heartbeat: () => Promise<void>) => {
    const key = `${batch.topic}:${batch.partition}`;
    const first = batch.messages[0];
    const producer = producerFor(batch.topic, batch.partition);
    if (!producer.ready) {
      // The batch was fetched from the offset committed before the fence; a commit the previous owner (or
      // this copy, when a commit's answer was lost) had started may have moved it since: re-read from there.
      await producer.init();
      const committed = await committedOffset(batch.topic, batch.partition);
      if (committed !== null && committed > BigInt(first.offset)) {
        tasks.delete(key);
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(committed) });
        return;
      }
    }
    let task = tasks.get(key);
    if (!task) tasks.set(key, (task = new PartitionTask(stage, batch.topic, batch.partition)));
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
    // Decode, transform and encode a slice at a time: a slice's decoded records and output objects die before
    // the next scavenge instead of being copied and promoted while the whole batch is in flight (the young
    // generation's copying was a quarter of normalize's CPU). The transform is indifferent to where batches split.
    const byTopic: MessagesByTopic = new Map();
    const deadLetters: DeadLetterRecord[] = [];
    const dropped: Record<string, number> = {};
    let live = false;
    for (let i = 0; i < batch.messages.length; i += tuning.sliceRecords) {
      const { records, failures } = await decodeBatch({ topic: batch.topic, partition: batch.partition, messages: batch.messages.slice(i, i + tuning.sliceRecords) }, decode);
      const result = await task.run(records, Date.now);
      live ||= result.live;
      const liveFailures = replayBelow === null ? failures : failures.filter((f) => f.record.offset >= replayBelow);
      const sliceDeadLetters = [...liveFailures, ...result.deadLetters].map((d) => deadLetterValue(stage.name, d));
      encodeBatchOutput(result, sliceDeadLetters, stage.deadLetterTopic, catalog, codecs, byTopic);
      deadLetters.push(...sliceDeadLetters);
      for (const [reason, n] of Object.entries(result.dropped ?? {})) dropped[reason] = (dropped[reason] ?? 0) + n;
    }
    const replayedCount = replayBelow === null ? 0 : batch.messages.filter((m) => BigInt(m.offset) < replayBelow).length;
    if (replayedCount) metrics.replayed.inc({ topic: batch.topic }, replayedCount);
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    if (!live && deadLetters.length === 0) {
      resolveOffset(lastOffset);
      await heartbeat();
      return;
    }
    await producer.commit(byTopic, { groupId, topic: batch.topic, partition: batch.partition, nextOffset: (BigInt(lastOffset) + 1n).toString() }, opts.maxRequestBytes ?? 900_000);
    resolveOffset(lastOffset);
    const liveIn = batch.messages.length - replayedCount;
    recordCommittedBatch(metrics, { topic: batch.topic, partition: batch.partition, liveIn, byTopic, deadLetters, dropped, startedNs: started, offsetLag: batch.offsetLag() });
    await heartbeat();
  };

  await consumer.subscribe({ topics: inputTopics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: tuning.partitionsConcurrently,
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
      await Promise.all([...producers.values()].map((p) => p.disconnect()));
      await admin.disconnect();
      metricsServer?.close();
    },
  };
}

/**
 * Fetch and produce settings, overridable by environment for tuning (docs/BENCHMARKS.md has the measurements
 * behind the defaults): SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION (bytes fetched per partition, so the largest
 * batch), SOCFLOW_KAFKA_MIN_BYTES / SOCFLOW_KAFKA_MAX_WAIT_MS (fetch long-poll: answer once this much is
 * there or this long has passed), SOCFLOW_KAFKA_PARTITIONS_CONCURRENTLY (input partitions processed and
 * committed at once, each with its own transactional producer; 1 = throughput, 3 = latency below saturation),
 * SOCFLOW_STAGE_SLICE_RECORDS (records decoded, transformed and encoded at a time within one batch's transaction).
 */
export function runtimeTuning() {
  return {
    maxBytesPerPartition: intSetting('SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION', 1_048_576, 1024, 64 * 1_048_576),
    minBytes: intSetting('SOCFLOW_KAFKA_MIN_BYTES', 1, 1, 64 * 1_048_576),
    maxWaitTimeInMs: intSetting('SOCFLOW_KAFKA_MAX_WAIT_MS', 100, 0, 10_000),
    partitionsConcurrently: intSetting('SOCFLOW_KAFKA_PARTITIONS_CONCURRENTLY', 1, 1, 64),
    sliceRecords: intSetting('SOCFLOW_STAGE_SLICE_RECORDS', 500, 1, 1_000_000),
  };
}

async function outputCodecs(stage: Stage<any, any>, catalog: TopicCatalog, registry: SchemaRegistryClient): Promise<Map<string, Codec<any>>> {
  const codecs = new Map<string, Codec<any>>();
  for (const logical of [...stage.outputs, stage.deadLetterTopic]) codecs.set(logical, await codecFor(registry, topicSpec(catalog, logical)));
  return codecs;
}



export type { Consumer };
