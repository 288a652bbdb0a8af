import { readdirSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../paths.js';
import { loadTopicSchema } from '../schemas/load.js';
import { avroTypeOptions } from './nullableUnions.js';

const topicSchemas = readdirSync(fromRoot('schemas/avro')).filter((f) => f.endsWith('.avsc'));
const stock = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { wrapUnions: false });
const fast = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, avroTypeOptions());

describe('nullable union fast paths', () => {
  it.each(topicSchemas)('%s: same bytes and same values as avsc’s own unions, on random records', (file) => {
    const schema = loadTopicSchema(file);
    const reference = stock(schema);
    const type = fast(schema);
    for (let i = 0; i < 300; i++) {
      const value = reference.random();
      const bytes = reference.toBuffer(value);
      expect(type.toBuffer(value).equals(bytes)).toBe(true);
      expect(type.fromBuffer(bytes)).toEqual(reference.fromBuffer(bytes));
    }
  });

  it('reads and writes null and each primitive branch', () => {
    const schema = {
      type: 'record',
      name: 'R',
      fields: ['double', 'string', 'boolean', 'int', 'long'].map((t) => ({ name: `f_${t}`, type: ['null', t] })),
    };
    const type = fast(schema);
    const full = { f_double: -0.5, f_string: 'é x', f_boolean: false, f_int: -7, f_long: 2 ** 40 };
    const empty = { f_double: null, f_string: null, f_boolean: null, f_int: null, f_long: null };
    for (const value of [full, empty]) {
      expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
      expect(type.toBuffer(value).equals(stock(schema).toBuffer(value))).toBe(true);
    }
  });

  it('rejects what avsc rejects: wrong types, out-of-range integers, invalid branch indexes, truncation', () => {
    const type = fast({ type: 'record', name: 'R', fields: [{ name: 'd', type: ['null', 'double'] }, { name: 'i', type: ['null', 'int'] }] });
    expect(() => type.toBuffer({ d: 'x', i: null })).toThrow(/invalid/);
    expect(() => type.toBuffer({ d: undefined, i: null })).toThrow(/invalid/);
    expect(() => type.toBuffer({ d: null, i: 2 ** 40 })).toThrow(/invalid/);
    expect(() => type.fromBuffer(Buffer.from([4, 0]))).toThrow(/invalid union index/);
    expect(() => type.fromBuffer(Buffer.from([2, 0, 0]))).toThrow(/truncated/);
  });

  it('resolves a writer schema without a field, and one with a field the reader lacks', () => {
    const reader = fast({ type: 'record', name: 'R', fields: [{ name: 'a', type: ['null', 'double'], default: null }, { name: 'b', type: ['null', 'string'], default: null }] });
    const older = fast({ type: 'record', name: 'R', fields: [{ name: 'b', type: ['null', 'string'], default: null }] });
    const newer = fast({ type: 'record', name: 'R', fields: [{ name: 'a', type: ['null', 'double'] }, { name: 'b', type: ['null', 'string'] }, { name: 'c', type: ['null', 'long'] }] });
    expect(reader.fromBuffer(older.toBuffer({ b: 'x' }), reader.createResolver(older))).toEqual({ a: null, b: 'x' });
    expect(reader.fromBuffer(newer.toBuffer({ a: 1.5, b: null, c: 9 }), reader.createResolver(newer))).toEqual({ a: 1.5, b: null });
  });
});
