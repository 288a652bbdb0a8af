import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, transactionalProducer } from '../kafka/client.js';
import { readTopic } from '../kafka/readTopic.js';
import { services, uniqueName } from '../../test/kit.js';
import { slotId, TransactionalProducer } from './transactions.js';
import { waitForLeaders } from '../topics/apply.js';

describe('TransactionalProducer over the real broker', () => {
  services();
  const kafka = createKafka('transactions-test');
  const admin = kafka.admin();
  afterAll(() => admin.disconnect());

  it('commits back-to-back transactions, alternating its two ids, most carrying only offsets (coordinator still busy with the last commit)', async () => {
    await admin.connect();
    const topic = uniqueName('txn-back-to-back');
    const groupId = uniqueName('txn-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]); // kafkajs's own wait gives up while a fresh broker's metadata propagates
    const base = uniqueName('txn');
    const lookups: string[] = [];
    const producer = new TransactionalProducer((slot) => {
      const p = transactionalProducer(kafka, slotId(base, slot));
      p.on(p.events.REQUEST, (e) => e.payload.apiName === 'GroupCoordinator' && lookups.push(`slot ${slot}`));
      return p;
    });
    await producer.init();
    const commits = 300;
    let failed = 0;
    try {
      for (let i = 0; i < commits; i++) {
        // As in onnx-score: most batches have no output, so the transaction opens with AddOffsetsToTxn.
        const outputs = i % 10 === 0 ? [{ key: `k${i}`, value: Buffer.from(`v${i}`) }] : [];
        await producer.commit(new Map(outputs.length ? [[topic, outputs]] : []), { groupId, partitions: [{ topic, partition: 0, nextOffset: String(i + 1) }] }).catch(() => failed++);
        // A broker seconds old answers COORDINATOR_NOT_AVAILABLE while it creates __transaction_state and
        // __consumer_offsets, and kafkajs retries the lookup: count from the first commit of each slot on.
        if (i === 1) lookups.length = 0;
      }
    } finally {
      await producer.disconnect();
    }
    expect(failed).toBe(0);
    // Each slot's id keeps the coordinators it found (patched kafkajs): no lookup per commit (stock: 4 per commit).
    expect(lookups.length).toBeLessThanOrEqual(2);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed.partitions[0].offset).toBe(String(commits));
    const records = await readTopic(topic, { done: (n) => n >= commits / 10, idleMs: 1000, timeoutMs: 30_000 });
    expect(records.map((r) => r.key)).toEqual(Array.from({ length: commits / 10 }, (_, j) => `k${j * 10}`));
  });

  it('KIP-447 (patched kafkajs): offsets of an open transaction read as unstable; a stale group generation fails the transaction', async () => {
    await admin.connect();
    const topic = uniqueName('txn-kip447');
    const groupId = uniqueName('txn-kip447-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]); // kafkajs's own wait gives up while a fresh broker's metadata propagates
    const versions: string[] = [];
    const producer = transactionalProducer(kafka, uniqueName('txn-kip447'));
    producer.on(producer.events.REQUEST, (e) => e.payload.apiName === 'TxnOffsetCommit' && versions.push(`TxnOffsetCommit v${e.payload.apiVersion}`));
    admin.on(admin.events.REQUEST, (e) => e.payload.apiName === 'OffsetFetch' && versions.push(`OffsetFetch v${e.payload.apiVersion}`));
    await producer.connect();
    const stable = async () => (await admin.fetchOffsets({ groupId, topics: [topic], requireStable: true }))[0].partitions.sort((a, b) => a.partition - b.partition);
    const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 1000 });
    try {
      const open = await producer.transaction();
      await open.send({ topic, messages: [{ key: 'a', value: 'v', partition: 0 }] });
      await open.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] });
      // Partition 0 is held by the open transaction; partition 1 is not and answers at once.
      expect(await stable()).toMatchObject([{ partition: 0, unstable: true }, { partition: 1, offset: '-1', unstable: false }]);
      await open.commit();
      // EndTxn returns before the commit markers are written; until then the offset still reads as unstable.
      const settle = Date.now() + 10_000;
      while ((await stable())[0].unstable && Date.now() < settle) await sleep(20);
      expect(await stable()).toMatchObject([{ partition: 0, offset: '1', unstable: false }, { partition: 1, unstable: false }]);

      // A member's generation: offsets sent with it are accepted while it is current, refused once it is not.
      const joined = new Promise<{ generationId: number; memberId: string }>((resolve) => consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => resolve(payload)));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
      const member = await joined;
      const commitAt = async (offset: string, generation: { generationId: number; memberId: string }) => {
        const txn = await producer.transaction();
        try {
          await txn.send({ topic, messages: [{ key: offset, value: 'v', partition: 1 }] });
          await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 1, offset }] }], consumerGroupMetadata: generation });
          await txn.commit();
          return 'committed';
        } catch (err) {
          await txn.abort().catch(() => undefined);
          return (err as { type?: string }).type;
        }
      };
      expect(await commitAt('5', member)).toBe('committed');
      expect(await commitAt('6', { ...member, generationId: member.generationId - 1 })).toBe('ILLEGAL_GENERATION');
      expect((await stable())[1].offset).toBe('5');
      const records = await readTopic(topic, { idleMs: 1500, timeoutMs: 30_000 });
      expect(records.map((r) => r.key).sort()).toEqual(['5', 'a']); // the refused transaction's record was aborted
      expect(new Set(versions)).toEqual(new Set(['TxnOffsetCommit v3', 'OffsetFetch v7']));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});
