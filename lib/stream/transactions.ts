import { setTimeout as sleep } from 'node:timers/promises';
import type kafkajs from 'kafkajs';
import { chunksBySize } from './chunks.js';

type Messages = Map<string, { key: string; value: Buffer }[]>;

/**
 * A transactional producer. `commit` writes a batch's outputs and its input offset in one transaction; any
 * failure (including kafkajs #1068, "another operation in progress" on sendOffsets) aborts it whole and the
 * caller re-reads the batch. After a failure the kafkajs producer is replaced before the next transaction:
 * an abort that failed (e.g. during a broker restart) leaves it stuck in "ABORTING"; the new producer, with
 * the same transactional id, bumps the epoch and the broker aborts whatever the old one left open.
 *
 * `init` does that replacement eagerly and registers the transactional id at once (InitProducerId: the
 * broker fences the id's previous owner, aborts what it left open and first completes a commit it had
 * started), for a caller that must read committed offsets only after that (runStage, per partition).
 */
export class TransactionalProducer {
  private producer: kafkajs.Producer;
  private broken = false;
  private initialized = false;

  constructor(private readonly create: () => kafkajs.Producer) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** True after `init` until a commit fails or `invalidate` is called. */
  get ready(): boolean {
    return this.initialized && !this.broken;
  }

  async init(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.create();
    await this.producer.connect();
    // kafkajs sends InitProducerId on a transactional producer's first transaction(); an empty one aborts locally.
    await (await this.producer.transaction()).abort();
    this.broken = false;
    this.initialized = true;
  }

  /** The id may have had another owner since (a new group generation): `init` again before relying on it. */
  invalidate(): void {
    this.initialized = false;
  }

  async commit(messages: Messages, offsets: { groupId: string; topic: string; partition: number; nextOffset: string }, maxRequestBytes = 900_000): Promise<void> {
    if (this.broken) {
      await this.producer.disconnect().catch(() => undefined);
      this.producer = this.create();
      await this.producer.connect();
      this.broken = false;
    }
    let txn: kafkajs.Transaction | undefined;
    try {
      txn = await this.producer.transaction();
      for (const [topic, list] of messages) {
        for (const chunk of chunksBySize(list, maxRequestBytes)) await txn.send({ topic, messages: chunk });
      }
      const open = txn;
      await retryConcurrentTransactions(() => open.sendOffsets({ consumerGroupId: offsets.groupId, topics: [{ topic: offsets.topic, partitions: [{ partition: offsets.partition, offset: offsets.nextOffset }] }] }));
      await txn.commit();
    } catch (err) {
      await txn?.abort().catch(() => undefined);
      this.broken = true;
      throw err;
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

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
