import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { isolatedCatalog, uniqueName } from '../kit.js';

const event: TelemetryEvent = {
  event_id: 'evt-1',
  agent_id: 'agent-7',
  host: 'web-01',
  source: 'agent',
  event_time: 1_700_000_000_123,
  type: 'AUTH',
  payload: { user: 'alice', source_ip: '10.0.0.9', method: 'password', outcome: 'FAILURE' },
  metadata: { site: 'lab' },
  asset: null,
  ingest_time: null,
};

describe('Avro through the real broker and registry', () => {
  it('produces Confluent-framed Avro and a group consumer decodes the same event', async () => {
    const { catalog } = await isolatedCatalog('avro');
    const spec = topicSpec(catalog, 'rbp.metrics');
    const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
    const kafka = createKafka('avro-test');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: spec.name, messages: [{ key: event.agent_id, value: codec.encode(event) }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('avro-test') });
    await consumer.connect();
    await consumer.subscribe({ topic: spec.name, fromBeginning: true });
    const received = await new Promise<{ raw: Buffer; decoded: TelemetryEvent }>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => resolve({ raw: message.value!, decoded: await codec.decode(message.value!) }) }).catch(reject);
    });
    await consumer.disconnect();
    expect(received.raw.readUInt8(0)).toBe(0);
    expect(received.decoded).toEqual(event);
    // This build's own schema id decodes synchronously (no promise per record).
    const again = codec.decode(received.raw);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toEqual(event);
  });
});
