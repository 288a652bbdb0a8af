import { setTimeout as sleep } from 'node:timers/promises';
import type kafkajs from 'kafkajs';
import { transactionalProducer } from '../kafka/client.js';
import { chunksBySize } from './chunks.js';

type Messages = Map<string, { key: string; value: Buffer }[]>;

/** The input offsets a transaction commits: the next offset to read of each partition, for one consumer group. */
export interface TransactionOffsets {
  groupId: string;
  partitions: { topic: string; partition: number; nextOffset: string }[];
  /**
   * The consumer's group generation when it fetched the batches (KIP-447): the group coordinator refuses the
   * offsets, and so the whole transaction, of a member that is no longer in the current generation.
   */
  generation?: GroupGeneration;
}

export interface GroupGeneration {
  generationId: number;
  memberId: string;
}

/** Transactional ids per producer. */
export const TRANSACTION_SLOTS = 2;

/**
 * A transactional producer. `commit` writes a batch's outputs and its input offset in one transaction; any
 * failure (including kafkajs #1068, "another operation in progress" on sendOffsets) aborts it whole and the
 * caller re-reads the batch. After a failure the kafkajs producer is replaced before the next transaction:
 * an abort that failed (e.g. during a broker restart) leaves it stuck in "ABORTING"; the new producer, with
 * the same transactional id, bumps the epoch and the broker aborts whatever the old one left open.
 *
 * It owns `slots` transactional ids (`create(slot)` names them) and commits on each in turn: right after
 * EndTxn the coordinator refuses the same id's next transaction (CONCURRENT_TRANSACTIONS) until its markers
 * are written, and kafkajs retries that after 20 ms, while the next transaction on another id need not wait
 * (back-to-back commits 3.3 → 2.0 ms p50 on an idle broker; with kafkajs's coordinator lookups cached, one
 * id would wait every time). Order still holds: a transaction starts only after the previous one's EndTxn
 * returned, so its records and its offset record come later in the logs, and the group coordinator keeps
 * the offset written last when commit markers land out of order (as it does when it reloads the log).
 * Records may still land before the previous id's markers (d1 d2 m1 m2: 3 of 400 back-to-back commits on one
 * partition under load), so a partition's log can end in up to `TRANSACTION_SLOTS` control records, which a
 * reader's committed offset stays behind until more data arrives.
 *
 * `init` replaces every slot's producer eagerly and registers its transactional id at once (InitProducerId:
 * the broker fences the id's previous owner, aborts what it left open and first completes a commit it had
 * started), for a caller that must read committed offsets only after that (runStage, at start and after a
 * failed commit).
 */
export class TransactionalProducer {
  private readonly slots: { producer: kafkajs.Producer; broken: boolean }[];
  private next = 0;
  private initialized = false;
  private initializing?: Promise<void>;

  /** `create(slot)` makes the kafkajs producer of a slot, each slot with its own transactional id. */
  constructor(
    private readonly create: (slot: number) => kafkajs.Producer,
    slots = TRANSACTION_SLOTS,
  ) {
    this.slots = Array.from({ length: slots }, (_, slot) => ({ producer: create(slot), broken: false }));
  }

  async connect(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.producer.connect()));
  }

  /** True after `init` until a commit fails. */
  get ready(): boolean {
    return this.initialized && !this.slots.some((s) => s.broken);
  }

  /** Concurrent calls share one registration. */
  init(): Promise<void> {
    this.initializing ??= this.registerAll().finally(() => (this.initializing = undefined));
    return this.initializing;
  }

  private async registerAll(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s, slot) => {
        await this.replace(s, slot);
        // kafkajs sends InitProducerId on a transactional producer's first transaction(); an empty one aborts locally.
        await (await s.producer.transaction()).abort();
      }),
    );
    this.initialized = true;
  }

  /** Without `offsets`, the transaction only makes `messages` visible all together or not at all. */
  async commit(messages: Messages, offsets?: TransactionOffsets, maxRequestBytes = 900_000): Promise<void> {
    const slot = this.next;
    this.next = (slot + 1) % this.slots.length;
    const s = this.slots[slot];
    if (s.broken) await this.replace(s, slot);
    let txn: kafkajs.Transaction | undefined;
    try {
      txn = await s.producer.transaction();
      for (const [topic, list] of messages) {
        for (const chunk of chunksBySize(list, maxRequestBytes)) await txn.send({ topic, messages: chunk });
      }
      const open = txn;
      if (offsets) await retryConcurrentTransactions(() => open.sendOffsets({ consumerGroupId: offsets.groupId, topics: offsetTopics(offsets), consumerGroupMetadata: offsets.generation }));
      await txn.commit();
    } catch (err) {
      await txn?.abort().catch(() => undefined);
      s.broken = true;
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.producer.disconnect()));
  }

  private async replace(s: { producer: kafkajs.Producer; broken: boolean }, slot: number): Promise<void> {
    await s.producer.disconnect().catch(() => undefined);
    s.producer = this.create(slot);
    await s.producer.connect();
    s.broken = false;
  }
}

function offsetTopics(offsets: TransactionOffsets): kafkajs.TopicOffsets[] {
  const byTopic = new Map<string, kafkajs.PartitionOffset[]>();
  for (const p of offsets.partitions) {
    let list = byTopic.get(p.topic);
    if (!list) byTopic.set(p.topic, (list = []));
    list.push({ partition: p.partition, offset: p.nextOffset });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** The usual producer: slot 0 has the transactional id `base`, slot 1 `<base>~1`. */
export const transactionalProducerFor = (kafka: kafkajs.Kafka, base: string): TransactionalProducer =>
  new TransactionalProducer((slot) => transactionalProducer(kafka, slotId(base, slot)));

/** The transactional id of a slot: slot 0 keeps the base id (so an older single-id copy is fenced too). */
export const slotId = (base: string, slot: number): string => (slot ? `${base}~${slot}` : base);

/**
 * Right after a commit the coordinator answers CONCURRENT_TRANSACTIONS until that commit's markers are
 * written. kafkajs retries it inside `send` (AddPartitionsToTxn) but not in `sendOffsets`
 * (AddOffsetsToTxn), and a batch without outputs — most of onnx-score's, which alerts on few — starts its
 * transaction with exactly that call: 65 of 400 back-to-back commits failed so on the local broker, each
 * costing an abort and a state rebuild (seconds in the latency tail). The broker changed nothing, so the call
 * is retried (as Java's client does, KAFKA-5477), after 2, 4, 6 … ms up to 50 ms apart, ~2.4 s in all: the
 * markers take a few ms, and 400 back-to-back commits took 1.3–1.7 s so against 3.0 s with 20 ms steps.
 */
async function retryConcurrentTransactions<T>(op: () => Promise<T>, attempts = 60): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if ((err as { type?: string }).type !== 'CONCURRENT_TRANSACTIONS' || attempt >= attempts) throw err;
      await sleep(Math.min(2 * attempt, 50));
    }
  }
}
