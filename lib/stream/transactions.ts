import type kafkajs from 'kafkajs';
import { chunksBySize } from './chunks.js';

type Messages = Map<string, { key: string; value: Buffer }[]>;

/**
 * The one transactional producer of a stage copy. `commit` writes a batch's outputs and its input offset
 * in one transaction; any failure (including kafkajs #1068, "another operation in progress" on
 * sendOffsets) aborts it whole and the caller re-reads the batch. After a failure the kafkajs producer
 * is replaced before the next transaction: an abort that failed (e.g. during a broker restart) leaves it
 * stuck in "ABORTING"; the new producer, with the same transactional id, bumps the epoch and the broker
 * aborts whatever the old one left open.
 */
export class TransactionalProducer {
  private producer: kafkajs.Producer;
  private broken = false;

  constructor(private readonly create: () => kafkajs.Producer) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
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
      await txn.sendOffsets({ consumerGroupId: offsets.groupId, topics: [{ topic: offsets.topic, partitions: [{ partition: offsets.partition, offset: offsets.nextOffset }] }] });
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
