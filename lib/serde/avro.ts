import avro from 'avsc';
import { avroType, loadTopicSchema } from '../schemas/load.js';
import { avroTypeOptions } from './nullableUnions.js';
import { type SchemaRegistryClient, UnknownSchemaError } from './registry.js';

const MAGIC = 0;
/** Shared by every serde: encoding is synchronous. Grows to the largest record written. */
let scratch = Buffer.allocUnsafe(64 * 1024);

export class DecodeError extends Error {
  constructor(
    message: string,
    readonly reason: 'not_avro' | 'unknown_schema' | 'truncated' | 'invalid_avro' | 'registry_unavailable',
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Confluent wire format for one subject: magic byte 0, the 4-byte schema id, then Avro binary.
 * Encodes with this build's schema; decodes any registered writer schema into this build's reader schema.
 */
export class AvroSerde<T> {
  readonly type: avro.Type;
  private readonly resolvers = new Map<number, avro.Resolver | null>();

  private constructor(
    private readonly registry: SchemaRegistryClient,
    readonly subject: string,
    readonly schemaId: number,
    readonly schema: Record<string, unknown>,
  ) {
    this.type = avro.Type.forSchema(schema as avro.Schema, avroTypeOptions());
  }

  /** Looks up (registering if needed) the schema file under the subject. */
  static async forSubject<T>(registry: SchemaRegistryClient, subject: string, schemaFile: string): Promise<AvroSerde<T>> {
    const schema = loadTopicSchema(schemaFile);
    const id = (await registry.idOf(subject, schema)) ?? (await registry.register(subject, schema));
    return new AvroSerde<T>(registry, subject, id, schema);
  }

  /**
   * Writes into one shared scratch buffer and copies the record out once: avsc's `toBuffer` would allocate a
   * zero-filled buffer of its own per record (outside Node's pool), which the framing then copies again.
   */
  encode(value: T): Buffer {
    return this.framed((buf) => this.type.encode(value, buf, 5));
  }

  /**
   * Encodes a record whose first field's Avro bytes are at hand (an event decoded with this build's schema and
   * forwarded unchanged): a record's encoding is its fields' encodings in order, so only the others are written.
   */
  encodeAfterFirstField(firstField: Buffer, value: Record<string, unknown>): Buffer {
    const fields = (this.type as avro.types.RecordType).fields;
    return this.framed((buf) => {
      let end = 5 + firstField.length;
      if (end > buf.length) return buf.length - end;
      firstField.copy(buf, 5);
      for (let i = 1; i < fields.length && end >= 0; i++) end = fields[i].type.encode(value[fields[i].name], buf, end);
      return end;
    });
  }

  /** `write` fills the scratch buffer from offset 5 and returns the end, or a negative shortfall (avsc's convention). */
  private framed(write: (buf: Buffer) => number): Buffer {
    let end = write(scratch);
    while (end < 0) {
      scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
      end = write(scratch);
    }
    scratch.writeUInt8(MAGIC, 0);
    scratch.writeUInt32BE(this.schemaId, 1);
    const framed = Buffer.allocUnsafe(end);
    scratch.copy(framed, 0, 0, end);
    return framed;
  }

  /** Field-level problems of a value against the schema, as paths (empty when valid). */
  validate(value: unknown): string[] {
    const problems: string[] = [];
    this.type.isValid(value, {
      errorHook: (path: string[], _v: unknown, type: avro.Type) => problems.push(`${path.join('.') || '(root)'}: expected ${typeName(type)}`),
    });
    return problems;
  }

  /**
   * Synchronous for this build's schema id and every writer schema already resolved; a promise only while a new
   * writer schema is fetched from the registry. Throws (or rejects with) a DecodeError.
   */
  decode(buffer: Buffer): T | Promise<T> {
    if (buffer.length < 5 || buffer.readUInt8(0) !== MAGIC) {
      throw new DecodeError('not Confluent-framed Avro (no magic byte 0 and schema id)', 'not_avro');
    }
    const id = buffer.readUInt32BE(1);
    const resolver = id === this.schemaId ? null : this.resolvers.get(id);
    if (resolver === undefined) return this.resolverFor(id).then((r) => this.read(buffer, id, r));
    return this.read(buffer, id, resolver);
  }

  private read(buffer: Buffer, id: number, resolver: avro.Resolver | null): T {
    try {
      const { value, offset } = this.type.decode(buffer, 5, resolver ?? undefined);
      if (offset < 0) throw new DecodeError(`truncated Avro record (schema id ${id}, ${buffer.length} bytes)`, 'truncated');
      if (offset !== buffer.length) throw new DecodeError(`trailing bytes after Avro record (schema id ${id})`, 'invalid_avro');
      return value as T;
    } catch (err) {
      if (err instanceof DecodeError) throw err;
      throw new DecodeError(`invalid Avro for schema id ${id}: ${(err as Error).message}`, 'invalid_avro');
    }
  }

  private async resolverFor(id: number): Promise<avro.Resolver | null> {
    if (id === this.schemaId) return null;
    const cached = this.resolvers.get(id);
    if (cached !== undefined) return cached;
    let writer: avro.Type;
    try {
      writer = await this.registry.writerType(id);
    } catch (err) {
      if (err instanceof UnknownSchemaError) throw new DecodeError(err.message, 'unknown_schema');
      throw new DecodeError(`schema registry unavailable: ${(err as Error).message}`, 'registry_unavailable');
    }
    let resolver: avro.Resolver;
    try {
      resolver = this.type.createResolver(writer);
    } catch (err) {
      throw new DecodeError(`schema id ${id} cannot be read as ${this.subject}: ${(err as Error).message}`, 'unknown_schema');
    }
    this.resolvers.set(id, resolver);
    return resolver;
  }
}

function typeName(type: avro.Type): string {
  return type.typeName === 'record' || type.typeName === 'enum' ? `${type.typeName} ${type.name}` : type.typeName;
}

export { avroType };
