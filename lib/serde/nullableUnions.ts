import avro from 'avsc';

/**
 * avsc reads and writes every union through one generic method: read the branch index, then call the branch
 * type's `_read` — a call site that sees every type of the schema, so V8 cannot inline it. socflow's schemas
 * are mostly `["null", <primitive>]` fields (a network connection alone has 40 of them), and that dispatch was
 * a third of a record's decoding. These subclasses keep avsc's union type (its checks, resolution, skipping
 * and errors stay avsc's) and only give `_read` / `_write` a direct path for the two branches; anything else
 * goes to avsc's own code. The bytes are Avro's either way.
 */
interface Tap {
  buf: Buffer;
  pos: number;
  readDouble(): number;
  readFloat(): number;
  readLong(): number;
  readString(): string;
  readBoolean(): boolean;
  writeLong(n: number): void;
  writeDouble(n: number): void;
  writeString(s: string): void;
  writeBoolean(b: boolean): void;
}
type UnionInternals = { _read(tap: Tap): unknown; _write(tap: Tap, value: unknown): void; types: avro.Type[] };
const Base = avro.types.UnwrappedUnionType as unknown as new (types: avro.Type[], opts: unknown) => UnionInternals;
const baseRead = Base.prototype._read;
const baseWrite = Base.prototype._write;

// One class per branch type, each naming its tap method, rather than one class calling a branch reader it
// holds: that shared call site would see every branch type again, which is the dispatch these remove.
// Zigzag varints: branch 0 is the byte 0, branch 1 the byte 2.
const NULL_BRANCH = 0;
const VALUE_BRANCH = 2;

class NullableDouble extends Base {
  override _read(tap: Tap): unknown {
    const index = tap.buf[tap.pos];
    if (index === VALUE_BRANCH) return tap.pos++, tap.readDouble();
    if (index === NULL_BRANCH) return tap.pos++, null;
    return baseRead.call(this, tap);
  }
  override _write(tap: Tap, value: unknown): void {
    if (value === null) tap.writeLong(0);
    else if (typeof value === 'number') {
      tap.writeLong(1);
      tap.writeDouble(value);
    } else baseWrite.call(this, tap, value);
  }
}

class NullableString extends Base {
  override _read(tap: Tap): unknown {
    const index = tap.buf[tap.pos];
    if (index === VALUE_BRANCH) return tap.pos++, tap.readString();
    if (index === NULL_BRANCH) return tap.pos++, null;
    return baseRead.call(this, tap);
  }
  override _write(tap: Tap, value: unknown): void {
    if (value === null) tap.writeLong(0);
    else if (typeof value === 'string') {
      tap.writeLong(1);
      tap.writeString(value);
    } else baseWrite.call(this, tap, value);
  }
}

class NullableBoolean extends Base {
  override _read(tap: Tap): unknown {
    const index = tap.buf[tap.pos];
    if (index === VALUE_BRANCH) return tap.pos++, tap.readBoolean();
    if (index === NULL_BRANCH) return tap.pos++, null;
    return baseRead.call(this, tap);
  }
  override _write(tap: Tap, value: unknown): void {
    if (value === null) tap.writeLong(0);
    else if (typeof value === 'boolean') {
      tap.writeLong(1);
      tap.writeBoolean(value);
    } else baseWrite.call(this, tap, value);
  }
}

// int and long share the varint encoding; writes keep avsc's range checks (the generic path).
class NullableInteger extends Base {
  override _read(tap: Tap): unknown {
    const index = tap.buf[tap.pos];
    if (index === VALUE_BRANCH) return tap.pos++, tap.readLong();
    if (index === NULL_BRANCH) return tap.pos++, null;
    return baseRead.call(this, tap);
  }
}

const byBranch: Record<string, new (types: avro.Type[], opts: unknown) => UnionInternals> = {
  double: NullableDouble,
  string: NullableString,
  boolean: NullableBoolean,
  int: NullableInteger,
  long: NullableInteger,
};

function nullableUnionHook(schema: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined {
  if (!Array.isArray(schema) || schema.length !== 2) return undefined;
  const types = schema.map((branch) => avro.Type.forSchema(branch, opts));
  // The branches are registered now (named types), so this hook builds the union in every case.
  const Nullable = types[0].typeName === 'null' ? byBranch[types[1].typeName] : undefined;
  return new (Nullable ?? Base)(types, opts) as unknown as avro.Type;
}

/**
 * The options every socflow Avro type is built with: unwrapped unions, the nullable fast paths above. A new
 * object per type: avsc keeps its registry of named types and the current namespace in the options it is given.
 */
export function avroTypeOptions(): Partial<avro.ForSchemaOptions> {
  return { wrapUnions: false, typeHook: nullableUnionHook };
}
