import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../test/kit.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { keepRunning } from './keepRunning.js';
import { waitForLeaders } from '../topics/apply.js';

describe('keepRunning over the real broker', () => {
  services();
  const kafka = createKafka('keep-running-test');
  const admin = kafka.admin();
  afterAll(() => admin.disconnect());

  it('runs a consumer again after a crash kafkajs will not restart, and reads on from where it was', async () => {
    await admin.connect();
    const topic = uniqueName('keep-running');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]); // kafkajs's own wait gives up while a fresh broker's metadata propagates
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
    const consumer = kafka.consumer({ groupId: uniqueName('keep-running-group'), sessionTimeout: 6000, heartbeatInterval: 1000 });
    const crashes: boolean[] = [];
    consumer.on(consumer.events.CRASH, ({ payload }) => crashes.push(payload.restart));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    let failOnce = true;
    const running = await keepRunning(
      consumer,
      {
        eachMessage: async ({ message }) => {
          // As after a long broker outage ("Failed to find group coordinator"): kafkajs gives the consumer up.
          if (failOnce) {
            failOnce = false;
            throw new kafkajs.KafkaJSNonRetriableError('boom');
          }
          seen.push(message.value!.toString());
        },
      },
      createLogger('keep-running-test', { test: true }),
      200,
    );
    try {
      const deadline = Date.now() + 30_000;
      while (seen.length < 10 && Date.now() < deadline) await sleep(100);
      expect(crashes).toEqual([false]);
      expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`)); // the failed message came again, nothing skipped
    } finally {
      await running.stop();
      await producer.disconnect();
    }
  });
});
