import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../lib/events.js';
import { readTopic } from '../../lib/kafka/readTopic.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { isolatedCatalog } from '../../test/kit.js';
import { AgentClient, BufferFullError, EventRejectedError } from './client.js';

const sample = (i: number) => ({ agent_id: `agent-${i % 4}`, host: 'gw-1', source: 'ai-agent', type: 'METRIC' as const, payload: { metrics: { tokens_used: i } } });

describe('agent SDK over the real broker and registry', () => {
  it('batches events to rbp.metrics as Avro, each once, keyed by entity', async () => {
    const { catalog } = await isolatedCatalog('agent');
    const client = await AgentClient.connect({ batchSize: 500, lingerMs: 50 });
    const ids = Array.from({ length: 1200 }, (_, i) => client.send(sample(i)));
    await client.close();
    expect(client.buffered).toBe(0);
    const spec = topicSpec(catalog, 'rbp.metrics');
    const records = await readTopic(spec.name, { done: (n) => n >= 1200, timeoutMs: 30_000 });
    const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
    const events = await Promise.all(records.map((r) => codec.decode(r.value)));
    expect(events.map((e) => e.event_id).sort()).toEqual([...ids].sort());
    expect(records.every((r, i) => r.key === events[i].agent_id)).toBe(true);
    expect(events.find((e) => e.event_id === ids[7])!.payload).toEqual({ metrics: { tokens_used: 7 } });
  });

  it('rejects an event that does not fit the schema, naming the field, and reports a full buffer', async () => {
    await isolatedCatalog('agent-full');
    const client = await AgentClient.connect({ maxBufferedEvents: 5, batchSize: 100, lingerMs: 60_000 });
    try {
      expect(() => client.send({ ...sample(1), type: 'AUTH', payload: { user: 'a', source_ip: 3, method: 'pw', outcome: 'FAILURE' } } as never)).toThrow(EventRejectedError);
      expect(() => client.send({ ...sample(1), type: 'AUTH', payload: { user: 'a', source_ip: 3, method: 'pw', outcome: 'FAILURE' } } as never)).toThrow(/auth\.source_ip/);
      for (let i = 0; i < 5; i++) client.send(sample(i));
      expect(() => client.send(sample(6))).toThrow(BufferFullError);
      expect(client.buffered).toBe(5);
    } finally {
      await client.close();
    }
    expect(client.buffered).toBe(0);
  });
});
