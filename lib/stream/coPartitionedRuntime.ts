import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Batch, type PartitionAssigner } from 'kafkajs';
import { topicPrefix } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { serveMetrics, stageMetrics } from '../metrics.js';
import { type Codec, codecFor } from '../serde/codecs.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { groupLiveness, type RunningStage, type RuntimeOptions } from './kafkaRuntime.js';
import { type GroupGeneration, transactionalProducerFor } from './transactions.js';
import { encodeBatchOutput, recordCommittedBatch } from './batchOutput.js';
import { decodeBatch, deadLetterValue, type DeadLetterRecord } from './records.js';
import type { Decoder, InputRecord, Stage } from './stage.js';
import { loadTopicCatalog, topicSpec } from '../topics/catalog.js';
import { keepRunning } from './keepRunning.js';
import { stableCommittedOffsets } from './stableOffsets.js';

/**
 * Runs a stage that JOINS co-partitioned inputs (kafkaRuntime.ts keeps one state per input
 * topic-partition and rebuilds each only when it gets new records, which cannot serve a join):
 *  - assignment: partition p of every input goes to the same copy (CoPartitionedAssigner);
 *  - state: one per partition number, shared by the inputs (`stage.createState('*', p)`);
 *  - rebuild: on the first batch of a partition after (re)assignment, EVERY input of p is re-read from
 *    `now − rebuildLookbackMs` (record time) up to its committed offset with ctx.replaying (outputs dropped),
 *    and so is partition p of each `stage.rebuildInputs` topic (e.g. its own output) up to its end at that
 *    moment (read-committed; the producer, already connected, has fenced its predecessor), then paused for
 *    good; live records that arrive before all are rebuilt are put back (seek + pause) until they are;
 *  - read positions: each live batch gets ctx.caughtUp, the inputs of p whose read position has reached the
 *    end of their committed log (ListOffsets, read-committed, asked per batch): a join synchronises event time
 *    with it. A position moves past control records too (a batch of only those never reaches eachBatch: the
 *    END_BATCH_PROCESS event moves it);
 *  - delivery: one Kafka transaction per batch (outputs, dead letters, the input offset), read-committed input.
 * A stage whose decisions depend on read positions (purple's do) cannot know from a replay what it emitted: it
 * re-reads its own output (rebuildInputs) instead. Across copies a copy that lost partition p is fenced by the
 * group as in runStage: its transaction's offsets carry the generation it fetched in, which the coordinator
 * refuses once the group has moved on, and the new owner reads p's offset require_stable before its rebuild.
 */
export async function runCoPartitionedStage<In, State>(stage: Stage<In, State>, decode: Decoder<In>, opts: RuntimeOptions & { rebuildStallMs?: number }): Promise<RunningStage> {
  const log = createLogger(`socflow-${stage.name}`, { stage: stage.name, instance: opts.instanceId });
  const metrics = stageMetrics(stage.name);
  const catalog = loadTopicCatalog();
  const registry = new SchemaRegistryClient();
  const codecs = new Map<string, Codec<unknown>>();
  for (const logical of [...stage.outputs, stage.deadLetterTopic]) codecs.set(logical, await codecFor(registry, topicSpec(catalog, logical)));
  const prefix = topicPrefix();
  const groupId = `${prefix}socflow-${stage.name}`;
  const clientId = `socflow-${stage.name}-${opts.instanceId}`;
  const kafka = createKafka(clientId);
  const producer = transactionalProducerFor(kafka, `${prefix}${clientId}`);
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    ...groupLiveness(),
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 1_048_576,
    partitionAssigners: [CoPartitionedAssigner],
  });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), consumer.connect(), admin.connect()]);
  const inputTopics = stage.inputs.map((t) => topicSpec(catalog, t).name);
  const rebuildOnlyTopics = (stage.rebuildInputs ?? []).map((t) => topicSpec(catalog, t).name);
  const logicalOf = new Map(stage.inputs.map((t) => [topicSpec(catalog, t).name, t]));
  const stallMs = opts.rebuildStallMs ?? 30_000;

  interface Task {
    state: State;
    /** Input topic → first offset not processed before this assignment (what the group had committed). */
    liveFrom: Map<string, bigint>;
    /** Inputs still being re-read. */
    rebuilding: Set<string>;
    /** Inputs paused because their live records came before the rebuild finished. */
    paused: Set<string>;
    /** Input topic → next offset to read once live (past control records). */
    position: Map<string, bigint>;
    lastProgress: number;
  }
  const tasks = new Map<number, Task>();
  const paused = new Set<string>();
  const resume = (topic: string, partition: number) => {
    consumer.resume([{ topic, partitions: [partition] }]);
    paused.delete(`${topic}:${partition}`);
  };
  const pause = (topic: string, partition: number) => {
    consumer.pause([{ topic, partitions: [partition] }]);
    paused.add(`${topic}:${partition}`);
  };
  // The generation goes with every commit's offsets: the coordinator refuses a copy that lost its partitions.
  let generation: GroupGeneration = { generationId: -1, memberId: '' };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    generation = { generationId: payload.generationId, memberId: payload.memberId };
    tasks.clear();
    for (const key of [...paused]) {
      const i = key.lastIndexOf(':');
      resume(key.slice(0, i), Number(key.slice(i + 1)));
    }
  });

  /** Decides where each input of p starts (rebuild or committed) and seeks there; the partition goes live once all are rebuilt. */
  const plan = async (partition: number): Promise<void> => {
    const committed = await stableCommittedOffsets(admin, groupId, inputTopics, partition);
    const since = Date.now() - stage.rebuildLookbackMs;
    const task: Task = { state: stage.createState('*', partition), liveFrom: new Map(), rebuilding: new Set(), paused: new Set(), position: new Map(), lastProgress: Date.now() };
    for (const topic of [...inputTopics, ...rebuildOnlyTopics]) {
      const ends = await admin.fetchTopicOffsets(topic);
      const end = ends.find((o) => o.partition === partition);
      const low = BigInt(end?.low ?? '0');
      // An input goes live at its committed offset; a rebuild-only topic is read up to its end now.
      const at = rebuildOnlyTopics.includes(topic) ? BigInt(end?.high ?? '0') : (committed.get(topic) ?? low);
      task.liveFrom.set(topic, at);
      if (!rebuildOnlyTopics.includes(topic)) task.position.set(topic, at);
      let from = at;
      if (stage.rebuildLookbackMs > 0 && at > low) {
        const byTime = (await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, since))).find((o) => o.partition === partition);
        const found = byTime && Number(byTime.offset) >= 0 ? BigInt(byTime.offset) : at;
        if (found < at) from = found > low ? found : low;
      }
      if (from < at) task.rebuilding.add(topic);
      consumer.seek({ topic, partition, offset: String(from) });
      if (rebuildOnlyTopics.includes(topic)) (from < at ? resume : pause)(topic, partition);
    }
    tasks.set(partition, task);
    log.info({ partition, rebuilding: [...task.rebuilding], liveFrom: Object.fromEntries([...task.liveFrom].map(([t, o]) => [t, String(o)])) }, task.rebuilding.size ? 'rebuilding partition state from every input' : 'partition live');
  };

  const goLive = (partition: number, task: Task) => {
    task.rebuilding.clear();
    for (const topic of task.paused) resume(topic, partition);
    task.paused.clear();
    log.info({ partition }, 'partition rebuilt; live');
  };

  const stallCheck = setInterval(() => {
    for (const [partition, task] of tasks) {
      if (task.rebuilding.size && Date.now() - task.lastProgress > stallMs) {
        // Nothing readable left below the committed offset (e.g. only aborted records): the rebuild is complete.
        log.warn({ partition, topics: [...task.rebuilding] }, 'no rebuild progress; treating those inputs as rebuilt');
        goLive(partition, task);
      }
    }
  }, 1000);

  /** The inputs of p read to the end of their committed log (ListOffsets is read-committed: the last stable offset). */
  const caughtUp = async (partition: number, task: Task): Promise<Set<string>> => {
    const ends = await Promise.all(inputTopics.map(async (topic) => [topic, (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)] as const));
    return new Set(ends.filter(([topic, end]) => (task.position.get(topic) ?? 0n) >= BigInt(end?.high ?? '0')).map(([topic]) => logicalOf.get(topic)!));
  };

  // A fetch of only control records or aborted records never reaches eachBatch; it still moves the read position.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const task = tasks.get(payload.partition);
    const at = task?.position.get(payload.topic);
    if (!task || at === undefined || task.rebuilding.has(payload.topic) || task.paused.has(payload.topic) || payload.batchSize > 0) return;
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > at) task.position.set(payload.topic, next);
  });

  const processBatch = async (batch: Batch, resolveOffset: (o: string) => void, heartbeat: () => Promise<void>) => {
    const { topic, partition } = batch;
    const fetchedIn = generation;
    const task = tasks.get(partition);
    if (!task) {
      await plan(partition);
      return; // every input of p was seeked: this batch comes again (or is replayed first)
    }
    const started = process.hrtime.bigint();
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    /** Next offset to read: past the control records (transaction markers) the batch ends with. */
    const readTo = BigInt(batch.lastOffset()) + 1n;
    const liveFrom = task.liveFrom.get(topic) ?? 0n;
    const { records, failures } = await decodeBatch(batch, decode);
    const replay = records.filter((r) => r.offset < liveFrom);
    let live = records.filter((r) => r.offset >= liveFrom);
    let liveFailures = failures.filter((f) => f.record.offset >= liveFrom);
    if (replay.length) {
      await stage.process(replay, task.state, { replaying: true, now: Date.now });
      metrics.replayed.inc({ topic }, replay.length);
      task.lastProgress = Date.now();
    }
    if (task.rebuilding.has(topic) && readTo >= liveFrom) {
      task.rebuilding.delete(topic);
      task.lastProgress = Date.now();
      if (!task.rebuilding.size) goLive(partition, task);
    }
    if (rebuildOnlyTopics.includes(topic)) {
      // Read for state only: never processed live, never committed.
      if (!task.rebuilding.has(topic)) pause(topic, partition);
      await heartbeat();
      return;
    }
    if (task.rebuilding.size && (live.length || liveFailures.length)) {
      // Live input before the other inputs are rebuilt: put it back until they are.
      consumer.seek({ topic, partition, offset: String(liveFrom) });
      pause(topic, partition);
      task.paused.add(topic);
      live = [];
      liveFailures = [];
      return;
    }
    if (!live.length && !liveFailures.length) {
      // Replayed up to (or past) the committed offset: the read position includes the transaction markers read.
      if (readTo > (task.position.get(topic) ?? 0n)) task.position.set(topic, readTo);
      resolveOffset(lastOffset);
      await heartbeat();
      return;
    }
    task.position.set(topic, readTo);
    const result = await stage.process(live as InputRecord<In>[], task.state, { replaying: false, now: Date.now, caughtUp: await caughtUp(partition, task) });
    const deadLetters: DeadLetterRecord[] = [...liveFailures, ...result.deadLetters].map((d) => deadLetterValue(stage.name, d));
    const byTopic = encodeBatchOutput(result, deadLetters, stage.deadLetterTopic, catalog, codecs);
    await producer.commit(byTopic, { groupId, partitions: [{ topic, partition, nextOffset: (BigInt(lastOffset) + 1n).toString() }], generation: fetchedIn });
    task.liveFrom.set(topic, BigInt(lastOffset) + 1n);
    resolveOffset(lastOffset);
    recordCommittedBatch(metrics, { topic, partition, liveIn: live.length + liveFailures.length, byTopic, deadLetters, dropped: result.dropped, startedNs: started, offsetLag: batch.offsetLag() });
    await heartbeat();
  };

  await consumer.subscribe({ topics: [...inputTopics, ...rebuildOnlyTopics], fromBeginning: true });
  const consuming = await keepRunning(consumer, {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
      if (isStale() || batch.isEmpty()) return;
      try {
        await processBatch(batch, resolveOffset, heartbeat);
      } catch (err) {
        // Never throw out of the handler (kafkajs #946): abort, forget the whole partition (its state saw this
        // batch), and rebuild it from every input on the next batch.
        metrics.aborts.inc();
        log.error({ err: String(err), topic: batch.topic, partition: batch.partition, offset: batch.firstOffset() }, 'batch failed; transaction aborted, partition will be rebuilt');
        const task = tasks.get(batch.partition);
        tasks.delete(batch.partition);
        for (const t of task?.paused ?? []) resume(t, batch.partition);
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset()! });
        await sleep(1000);
      }
    },
  }, log);
  const metricsServer = await serveMetrics(metrics.registry, opts.metricsPort, log);
  log.info({ inputs: inputTopics, groupId }, 'co-partitioned stage running');
  return {
    metricsPort: (metricsServer?.address() as AddressInfo | undefined)?.port,
    async stop() {
      clearInterval(stallCheck);
      await consuming.stop();
      await producer.disconnect();
      await admin.disconnect();
      metricsServer?.close();
    },
  };
}


/** Partition p of every subscribed topic to the same member (members sorted by id, p mod member count). */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'CoPartitionedAssigner',
  version: 0,
  async assign({ members, topics }) {
    const sorted = members.map((m) => m.memberId).sort();
    const assignment: Record<string, Record<string, number[]>> = {};
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const member = sorted[partitionId % sorted.length];
        ((assignment[member] ??= {})[topic] ??= []).push(partitionId);
      }
    }
    return sorted.map((memberId) => ({
      memberId,
      memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment[memberId] ?? {}, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'CoPartitionedAssigner', metadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
