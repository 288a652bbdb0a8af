import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { fromRoot } from '../paths.js';
import { avroTypeOptions } from '../serde/nullableUnions.js';

type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

const schemaDir = fromRoot('schemas/avro');
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Named types shared by several topic schemas, one file each under schemas/avro/types/, by full name. */
function sharedTypes(): Map<string, AvroSchema> {
  const types = new Map<string, AvroSchema>();
  for (const file of readdirSync(join(schemaDir, 'types')).filter((f) => f.endsWith('.avsc'))) {
    const schema = JSON.parse(readFileSync(join(schemaDir, 'types', file), 'utf8'));
    types.set(`${schema.namespace}.${schema.name}`, schema);
  }
  return types;
}

/**
 * A topic's schema with every reference to a shared named type replaced by its definition at first use,
 * so the registry stores one self-contained schema per subject and each shared type is written once.
 */
export function loadTopicSchema(file: string): Record<string, unknown> {
  const root = JSON.parse(readFileSync(join(schemaDir, file), 'utf8'));
  const types = sharedTypes();
  const defined = new Set<string>();
  const expand = (node: AvroSchema): AvroSchema => {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node) || defined.has(node)) return node;
      const shared = types.get(node);
      if (!shared) throw new Error(`schemas/avro/${file}: unknown type "${node}" (not a primitive, not defined earlier, not in types/)`);
      defined.add(node);
      return expand(shared);
    }
    if (Array.isArray(node)) return node.map(expand);
    const out: Record<string, unknown> = { ...node };
    if ((node.type === 'record' || node.type === 'enum' || node.type === 'fixed') && typeof node.name === 'string') {
      defined.add(node.name.includes('.') ? node.name : `${node.namespace ?? ''}.${node.name}`);
    }
    if (node.type === 'record') {
      out.fields = (node.fields as { type: AvroSchema }[]).map((f) => ({ ...f, type: expand(f.type) }));
    } else if (node.type === 'array') {
      out.items = expand(node.items as AvroSchema);
    } else if (node.type === 'map') {
      out.values = expand(node.values as AvroSchema);
    } else if (typeof node.type !== 'string' || !PRIMITIVES.has(node.type)) {
      if (node.type !== 'enum' && node.type !== 'fixed') out.type = expand(node.type as AvroSchema);
    }
    return out;
  };
  const schema = expand(root) as Record<string, unknown>;
  avro.Type.forSchema(schema as avro.Schema); // fails here, at load, on an invalid schema
  return schema;
}

export function avroType(file: string): avro.Type {
  return avro.Type.forSchema(loadTopicSchema(file) as avro.Schema, avroTypeOptions());
}
