import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { services, uniqueName } from '../kit.js';

const v1 = {
  type: 'record',
  name: 'Probe',
  namespace: 'socflow.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'long' },
  ],
};
const v2AddOptional = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
const v3DropRequired = { ...v1, fields: [{ name: 'id', type: 'string' }, { name: 'extra', type: 'int' }] };

describe('schema registry speaks Confluent’s API (driven by @kafkajs/confluent-schema-registry)', () => {
  it('registers, looks up by id, returns the latest version and rejects an incompatible change under BACKWARD', async () => {
    const url = services().SCHEMA_REGISTRY_URL;
    const registry = new SchemaRegistry({ host: url });
    const client = new SchemaRegistryClient(url);
    const subject = `${uniqueName('conformance')}-value`;

    const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
    await client.setCompatibility(subject, 'BACKWARD');
    expect(await client.compatibility(subject)).toBe('BACKWARD');

    const byId = await registry.getSchema(id1);
    const encoded = await registry.encode(id1, { id: 'a', count: 3 });
    expect(encoded.readUInt8(0)).toBe(0);
    expect(encoded.readUInt32BE(1)).toBe(id1);
    expect(await registry.decode(encoded)).toEqual({ id: 'a', count: 3 });
    expect(byId).toBeDefined();

    const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2AddOptional) }, { subject });
    expect(id2).not.toBe(id1);
    expect(await registry.getLatestSchemaId(subject)).toBe(id2);

    // Removing a required field and adding one without a default cannot read old data.
    await expect(registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v3DropRequired) }, { subject })).rejects.toThrow();
    expect(await registry.getLatestSchemaId(subject)).toBe(id2);
  });
});
