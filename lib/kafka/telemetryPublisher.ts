import { randomBytes } from 'node:crypto';
import type { TelemetryEvent } from '../events.js';
import { type Codec, codecFor } from '../serde/codecs.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec } from '../topics/catalog.js';
import { transactionalProducerFor } from '../stream/transactions.js';
import { createKafka } from './client.js';

export interface TelemetryPublisher {
  /** Validates every event against the schema first; then publishes them all or none (one transaction). */
  publish(events: TelemetryEvent[]): Promise<void>;
  /** Field-level schema problems of one event (empty when valid). */
  validate(event: TelemetryEvent): string[];
  close(): Promise<void>;
}

export class InvalidEventError extends Error {
  constructor(readonly problems: { index: number; errors: string[] }[]) {
    super(`invalid event(s): ${problems.slice(0, 3).map((p) => `#${p.index}: ${p.errors.join('; ')}`).join(' | ')}`);
    this.name = 'InvalidEventError';
  }
}

/**
 * Publishes telemetry to rbp.metrics as Confluent-framed Avro keyed by entity, each call atomically:
 * read-committed consumers (normalize) see the whole set or nothing.
 */
export async function createTelemetryPublisher(clientId = 'socflow-publisher'): Promise<TelemetryPublisher> {
  const spec = topicSpec(loadTopicCatalog(), 'rbp.metrics');
  const codec: Codec<TelemetryEvent> = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
  const kafka = createKafka(clientId);
  const transactionalId = `${clientId}-${randomBytes(8).toString('hex')}`;
  const producer = transactionalProducerFor(kafka, transactionalId);
  await producer.connect();
  return {
    validate: (event) => codec.validate(event),
    async publish(events) {
      const problems = events.map((e, index) => ({ index, errors: codec.validate(e) })).filter((p) => p.errors.length);
      if (problems.length) throw new InvalidEventError(problems);
      await producer.commit(new Map([[spec.name, events.map((e) => ({ key: e.agent_id, value: codec.encode(e) }))]]));
    },
    close: () => producer.disconnect(),
  };
}
