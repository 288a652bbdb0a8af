import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import { intSetting, topicPrefix } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { serveMetrics, stageMetrics } from '../metrics.js';
import { type Codec, codecFor } from '../serde/codecs.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec, type TopicCatalog } from '../topics/catalog.js';
import { encodeBatchOutput, type MessagesByTopic, recordCommittedBatch } from './batchOutput.js';
import { decodeBatch, deadLetterValue, type DeadLetterRecord } from './records.js';
import { PartitionTask } from './partitionTask.js';
import { type CommitTicket, GroupCommit } from './groupCommit.js';
import { type GroupGeneration, transactionalProducerFor } from './transactions.js';
import type { Decoder, Stage } from './stage.js';
import { keepRunning } from './keepRunning.js';
import { stableCommittedOffsets } from './stableOffsets.js';

export interface RuntimeOptions {
  /**
   * Names the running copy: client id, logs and its transactional ids, so a restarted copy fences what its
   * previous life left open. Two copies running at once must not share it (they would fence each other).
   */
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
 * Runs a stage in its consumer group with exactly-once delivery (Kafka's EOS v2, KIP-447): per fetch, one
 * Kafka transaction carries the outputs, the dead letters and the input offsets of every partition batch in
 * it (GroupCommit); consumers read committed data only. The transactional ids are the copy's own; zombies
 * are fenced by the group instead: the offsets carry the consumer's generation, so the coordinator refuses
 * the transaction of a member that lost its partitions, and a new owner reads a partition's committed offset
 * with require_stable, which waits while a transaction that committed offsets for it is still open.
 */
export async function runStage<In, State>(stage: Stage<In, State>, decode: Decoder<In>, opts: RuntimeOptions): Promise<RunningStage> {
  const log = createLogger(`socflow-${stage.name}`, { stage: stage.name, instance: opts.instanceId });
  const metrics = stageMetrics(stage.name);
  const catalog = loadTopicCatalog();
  const registry = new SchemaRegistryClient();
  const codecs = await outputCodecs(stage, catalog, registry);
  const prefix = topicPrefix();
  const groupId = `${prefix}socflow-${stage.name}`;
  const clientId = `socflow-${stage.name}-${opts.instanceId}`;
  const kafka = createKafka(clientId);
  const logicalOf = new Map(stage.inputs.map((t) => [topicSpec(catalog, t).name, t]));
  const producer = transactionalProducerFor(kafka, `${prefix}${clientId}`);
  const commits = new GroupCommit((messages, offsets) => producer.commit(messages, offsets, opts.maxRequestBytes ?? 900_000), groupId);
  const tuning = runtimeTuning();
  const consumer = kafka.consumer({ groupId, readUncommitted: false, ...groupLiveness(tuning), maxWaitTimeInMs: tuning.maxWaitTimeInMs, minBytes: tuning.minBytes, maxBytesPerPartition: tuning.maxBytesPerPartition });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  const [group] = (await admin.describeGroups([groupId])).groups;
  if (group?.members.some((m) => m.clientId === clientId)) {
    // Its own previous life (killed, not yet timed out of the group) looks the same; a second live copy would fence this one, and back.
    log.warn({ groupId, instanceId: opts.instanceId }, 'a member with this instance id is already in the group: if it is not this copy\'s previous run, give each copy its own --instance');
  }
  // Fences this copy's previous life (same ids) and settles what it left open before anything is read.
  await producer.init();
  const inputTopics = stage.inputs.map((t) => topicSpec(catalog, t).name);
  const tasks = new Map<string, PartitionTask<In, State>>();
  // Partitions whose committed offset was read (stable) since this copy last joined or failed a commit.
  const checked = new Set<string>();
  let generation: GroupGeneration = { generationId: -1, memberId: '' };
  // A new assignment may hand us partitions another copy processed: forget all state, rebuild on first
  // batch, and read each partition's committed offset again once no transaction holds it open.
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    tasks.clear();
    checked.clear();
    generation = { generationId: payload.generationId, memberId: payload.memberId };
  });

  const offsetAtTime = async (topic: string, partition: number, ts: number): Promise<bigint | null> => {
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, ts));
    const found = offsets.find((o) => o.partition === partition);
    return found && Number(found.offset) >= 0 ? BigInt(found.offset) : null;
  };

  /**
   * The batch was fetched from the offset kafkajs read at assignment; a transaction of the previous owner (or
   * of this copy, when a commit's answer was lost) may have moved it since. True: sought there, drop the batch.
   */
  const movedSinceAssignment = async (batch: Batch): Promise<boolean> => {
    const key = `${batch.topic}:${batch.partition}`;
    if (checked.has(key)) return false;
    if (!producer.ready) await producer.init();
    const committed = (await stableCommittedOffsets(admin, groupId, [batch.topic], batch.partition)).get(batch.topic) ?? null;
    checked.add(key);
    if (committed === null || committed <= BigInt(batch.messages[0].offset)) return false;
    tasks.delete(key);
    consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(committed) });
    return true;
  };

  /**
   * Decode, transform and encode a slice at a time: a slice's decoded records and output objects die before
   * the next scavenge instead of being copied and promoted while the whole batch is in flight (the young
   * generation's copying was a quarter of normalize's CPU). The transform is indifferent to where batches split.
   */
  const transformBatch = async (batch: Batch, task: PartitionTask<In, State>, replayBelow: bigint | null) => {
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
    return { byTopic, deadLetters, dropped, live };
  };

  // The batches of a fetch share a transaction but are transformed one after another: interleaved at every
  // slice's await, three batches' slices were alive at once and normalize's CPU rose ~25 % (more scavenging).
  let processingTail: Promise<void> = Promise.resolve();
  const oneAtATime = async <T>(work: () => Promise<T>): Promise<T> => {
    const prev = processingTail;
    let done!: () => void;
    processingTail = new Promise<void>((r) => (done = r));
    await prev;
    try {
      return await work();
    } finally {
      done();
    }
  };

  const processBatch = async (batch: Batch, resolveOffset: (o: string) => void, heartbeat: () => Promise<void>, ticket: CommitTicket, fetchedIn: GroupGeneration) => {
    const key = `${batch.topic}:${batch.partition}`;
    const first = batch.messages[0];
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
    const { byTopic, deadLetters, dropped, live } = await oneAtATime(() => transformBatch(batch, task, replayBelow));
    const replayedCount = replayBelow === null ? 0 : batch.messages.filter((m) => BigInt(m.offset) < replayBelow).length;
    if (replayedCount) metrics.replayed.inc({ topic: batch.topic }, replayedCount);
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    if (!live && deadLetters.length === 0) {
      resolveOffset(lastOffset);
      await heartbeat();
      return;
    }
    await ticket.join({ messages: byTopic, topic: batch.topic, partition: batch.partition, nextOffset: (BigInt(lastOffset) + 1n).toString(), generation: fetchedIn });
    resolveOffset(lastOffset);
    const liveIn = batch.messages.length - replayedCount;
    recordCommittedBatch(metrics, { topic: batch.topic, partition: batch.partition, liveIn, byTopic, deadLetters, dropped, startedNs: started, offsetLag: batch.offsetLag() });
    await heartbeat();
  };

  await consumer.subscribe({ topics: inputTopics, fromBeginning: true });
  const consuming = await keepRunning(consumer, {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: tuning.partitionsConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
      if (isStale() || batch.isEmpty()) return;
      let ticket: CommitTicket | undefined;
      try {
        const fetchedIn = generation;
        // Outside the ticket: waiting for a stable offset must not hold up the other partitions' commit.
        if (await movedSinceAssignment(batch)) return;
        ticket = commits.enter();
        await processBatch(batch, resolveOffset, heartbeat, ticket, fetchedIn);
        ticket.release();
      } catch (err) {
        ticket?.release();
        // Never throw out of the handler (kafkajs #946): abort, forget this partition's state, re-read the batch.
        metrics.aborts.inc();
        log.error({ err: String(err), topic: batch.topic, partition: batch.partition, offset: batch.firstOffset(), logical: logicalOf.get(batch.topic) }, 'batch failed; transaction aborted, batch will be reprocessed');
        tasks.delete(`${batch.topic}:${batch.partition}`);
        checked.delete(`${batch.topic}:${batch.partition}`);
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset()! });
        await sleep(1000);
      }
    },
  }, log);
  const metricsServer = await serveMetrics(opts.extraMetrics ? Registry.merge([metrics.registry, opts.extraMetrics]) : metrics.registry, opts.metricsPort, log);
  log.info({ inputs: inputTopics, groupId, metricsPort: (metricsServer?.address() as AddressInfo | undefined)?.port }, 'stage running');

  return {
    metricsPort: (metricsServer?.address() as AddressInfo | undefined)?.port,
    async stop() {
      await consuming.stop();
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
 * there or this long has passed; 128 KiB / 50 ms: below full speed each fetch, hence each transaction,
 * carries more records, which cut the CPU per event at 5,000 events/s by a third and that phase's p99 in
 * pipeline + latency runs from 606 / 430 to 344 / 356 ms, for 5–12 ms more at the median),
 * SOCFLOW_KAFKA_PARTITIONS_CONCURRENTLY (partition batches of a fetch processed at once; they share one transaction, so it should be at least the partitions a copy owns: 1 makes
 * every partition batch its own transaction), SOCFLOW_STAGE_SLICE_RECORDS (records decoded, transformed and
 * encoded at a time within one batch's transaction), SOCFLOW_KAFKA_SESSION_TIMEOUT_MS (how long the group
 * waits for a silent copy before it hands the copy's partitions to the others; the broker's
 * group.min.session.timeout.ms, 6 s by default, is the floor).
 */
export function runtimeTuning() {
  return {
    maxBytesPerPartition: intSetting('SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION', 1_048_576, 1024, 64 * 1_048_576),
    minBytes: intSetting('SOCFLOW_KAFKA_MIN_BYTES', 131_072, 1, 64 * 1_048_576),
    maxWaitTimeInMs: intSetting('SOCFLOW_KAFKA_MAX_WAIT_MS', 50, 0, 10_000),
    partitionsConcurrently: intSetting('SOCFLOW_KAFKA_PARTITIONS_CONCURRENTLY', 32, 1, 256),
    sliceRecords: intSetting('SOCFLOW_STAGE_SLICE_RECORDS', 500, 1, 1_000_000),
    sessionTimeoutMs: intSetting('SOCFLOW_KAFKA_SESSION_TIMEOUT_MS', 30_000, 6000, 300_000),
  };
}

/**
 * A consumer's session settings, the same for every runtime: heartbeats at a third of the session at most, so
 * two can be lost before the group gives the copy's partitions away.
 */
export function groupLiveness(tuning: { sessionTimeoutMs: number } = runtimeTuning()) {
  return { sessionTimeout: tuning.sessionTimeoutMs, heartbeatInterval: Math.min(3000, Math.floor(tuning.sessionTimeoutMs / 3)) };
}

async function outputCodecs(stage: Stage<any, any>, catalog: TopicCatalog, registry: SchemaRegistryClient): Promise<Map<string, Codec<any>>> {
  const codecs = new Map<string, Codec<any>>();
  for (const logical of [...stage.outputs, stage.deadLetterTopic]) codecs.set(logical, await codecFor(registry, topicSpec(catalog, logical)));
  return codecs;
}



export type { Consumer };
