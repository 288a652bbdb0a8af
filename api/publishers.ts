import kafkajs, { type Producer } from 'kafkajs';
import { createKafka } from '../lib/kafka/client.js';
import { codecFor } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { loadTopicCatalog, topicSpec } from '../lib/topics/catalog.js';
import type { BlueResponse } from '../processors/purple/model.js';
import type { Approval } from '../processors/quota-manager/model.js';

export type { Approval, BlueResponse };

/** Publishes one keyed record and resolves once the broker acknowledged it (acks=all, idempotent). */
export interface RecordPublisher<T> {
  readonly topic: string;
  publish(key: string, value: T): Promise<void>;
  close(): Promise<void>;
}

export class InvalidRecordError extends Error {
  constructor(readonly problems: string[]) {
    super(`record does not fit the schema: ${problems.join('; ')}`);
    this.name = 'InvalidRecordError';
  }
}

/** A producer of one catalog topic, Confluent-framed Avro with the topic's registered schema. */
export async function createRecordPublisher<T>(logicalTopic: string, clientId: string): Promise<RecordPublisher<T>> {
  const spec = topicSpec(loadTopicCatalog(), logicalTopic);
  const codec = await codecFor<T>(new SchemaRegistryClient(), spec);
  const producer: Producer = createKafka(clientId, { retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 2000 } }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    topic: spec.name,
    async publish(key, value) {
      const problems = codec.validate(value);
      if (problems.length) throw new InvalidRecordError(problems);
      await producer.send({ topic: spec.name, acks: -1, messages: [{ key, value: codec.encode(value) }] });
    },
    close: () => producer.disconnect(),
  };
}
