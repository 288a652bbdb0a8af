import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, transactionalProducer } from '../kafka/client.js';
import { readTopic } from '../kafka/readTopic.js';
import { services, uniqueName } from '../../test/kit.js';
import { slotId, TransactionalProducer } from './transactions.js';

describe('TransactionalProducer over the real broker', () => {
  services();
  const kafka = createKafka('transactions-test');
  const admin = kafka.admin();
  afterAll(() => admin.disconnect());

  it('commits back-to-back transactions, alternating its two ids, most carrying only offsets (coordinator still busy with the last commit)', async () => {
    await admin.connect();
    const topic = uniqueName('txn-back-to-back');
    const groupId = uniqueName('txn-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
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
        await producer.commit(new Map(outputs.length ? [[topic, outputs]] : []), { groupId, topic, partition: 0, nextOffset: String(i + 1) }).catch(() => failed++);
      }
    } finally {
      await producer.disconnect();
    }
    expect(failed).toBe(0);
    // Each slot's id found its transaction coordinator and the group's once (patched kafkajs), not 4 per commit.
    expect(lookups.length).toBeLessThanOrEqual(6);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed.partitions[0].offset).toBe(String(commits));
    const records = await readTopic(topic, { done: (n) => n >= commits / 10, idleMs: 1000, timeoutMs: 30_000 });
    expect(records.map((r) => r.key)).toEqual(Array.from({ length: commits / 10 }, (_, j) => `k${j * 10}`));
  });
});
