import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from './client.js';

export interface TopicRecord {
  key: string | null;
  value: Buffer;
  partition: number;
  offset: string;
}

/**
 * Reads a topic from the beginning with a fresh group, read-committed, until `done` says so or no new
 * record arrived for `idleMs`; returns the raw records.
 */
export async function readTopic(topic: string, opts: { done?: (n: number) => boolean; idleMs?: number; timeoutMs?: number } = {}): Promise<TopicRecord[]> {
  const consumer = createKafka('socflow-reader').consumer({ groupId: `socflow-reader-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const records: TopicRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      records.push({ key: message.key?.toString() ?? null, value: message.value!, partition, offset: message.offset });
      last = Date.now();
    },
  });
  const started = Date.now();
  const idleMs = opts.idleMs ?? 3000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  while (Date.now() - started < timeoutMs) {
    await sleep(200);
    if (opts.done?.(records.length)) break;
    if (!opts.done && Date.now() - last > idleMs) break;
  }
  await consumer.disconnect();
  return records;
}
