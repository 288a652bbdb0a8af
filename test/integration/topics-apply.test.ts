import { describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/client.js';
import { loadTopicSchema } from '../../lib/schemas/load.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { applyCatalog, changedAnything } from '../../lib/topics/apply.js';
import { loadTopicCatalog } from '../../lib/topics/catalog.js';
import { services, uniqueName } from '../kit.js';

describe('socflow topics apply', () => {
  it('creates every catalog topic and registers every schema, then changes nothing the second time', async () => {
    services();
    const catalog = loadTopicCatalog(undefined, `${uniqueName('apply')}.`);
    const admin = createKafka('apply-test').admin();
    await admin.connect();
    try {
      const registry = new SchemaRegistryClient();
      const first = await applyCatalog(catalog, admin, registry);
      expect(first.created.sort()).toEqual([...catalog.values()].map((t) => t.name).sort());
      expect(first.schemasRegistered).toHaveLength(catalog.size);

      const second = await applyCatalog(catalog, admin, registry);
      expect(changedAnything(second)).toBe(false);
      expect(second.drift).toEqual([]);
      expect(second.unchanged).toHaveLength(catalog.size);

      const metrics = catalog.get('rbp.metrics')!;
      const meta = await admin.fetchTopicMetadata({ topics: [metrics.name] });
      expect(meta.topics[0].partitions).toHaveLength(3);
      expect(await registry.compatibility(metrics.valueSubject)).toBe('BACKWARD');

      // Drift is reported, never "fixed" by shrinking: grow a topic behind the catalog's back.
      await admin.createPartitions({ topicPartitions: [{ topic: metrics.name, count: 4 }] });
      const third = await applyCatalog(catalog, admin, registry);
      expect(third.drift).toEqual([expect.stringContaining(`${metrics.name}: 4 partitions, catalog says 3`)]);
      expect(changedAnything(third)).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });

  it('accepts an optional field with a default on a topic schema and rejects removing a required field (BACKWARD)', async () => {
    services();
    const registry = new SchemaRegistryClient();
    const subject = `${uniqueName('evolve')}-value`;
    const schema = loadTopicSchema('alert.avsc') as { fields: { name: string }[] };
    await registry.register(subject, schema);
    await registry.setCompatibility(subject, 'BACKWARD');

    const withOptional = { ...schema, fields: [...schema.fields, { name: 'ticket_url', type: ['null', 'string'], default: null, doc: 'new' }] };
    expect(await registry.register(subject, withOptional)).toBeGreaterThan(0);

    const withoutRequired = { ...withOptional, fields: withOptional.fields.filter((f) => f.name !== 'category').concat([{ name: 'queue', type: 'string', doc: 'required, no default' } as never]) };
    await expect(registry.register(subject, withoutRequired)).rejects.toThrow();
  });
});
