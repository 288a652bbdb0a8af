import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { requireSetting } from '../config.js';
import { avroTypeOptions } from './nullableUnions.js';

export type Compatibility = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FULL' | 'NONE';

/**
 * The Confluent-compatible schema registry: subjects, ids and compatibility. Writer schemas are fetched
 * once per id and kept, since every record names its writer schema by id.
 */
export class SchemaRegistryClient {
  readonly url: string;
  private readonly registry: SchemaRegistry;
  private readonly writerTypes = new Map<number, Promise<avro.Type>>();

  constructor(url: string = requireSetting('SCHEMA_REGISTRY_URL', 'Confluent-compatible schema registry URL')) {
    this.url = url.replace(/\/$/, '');
    this.registry = new SchemaRegistry({ host: this.url, clientId: 'socflow' });
  }

  /** Registers (or finds) the schema under the subject and returns its id; rejects an incompatible change. */
  async register(subject: string, schema: object): Promise<number> {
    const { id } = await this.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    return id;
  }

  /** The id of this exact schema under the subject, or undefined if it was never registered there. */
  async idOf(subject: string, schema: object): Promise<number | undefined> {
    try {
      return await this.registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(schema) });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404 || /not found|no artifact|40401|40403/i.test(String((err as Error).message))) return undefined;
      throw err;
    }
  }

  latestId(subject: string): Promise<number> {
    return this.registry.getLatestSchemaId(subject);
  }

  async compatibility(subject: string): Promise<Compatibility | undefined> {
    const res = await this.http('GET', `/config/${encodeURIComponent(subject)}`);
    if (res.status === 404) return undefined;
    const body = (await res.json()) as { compatibilityLevel?: Compatibility; compatibility?: Compatibility };
    return body.compatibilityLevel ?? body.compatibility;
  }

  async setCompatibility(subject: string, level: Compatibility): Promise<void> {
    const res = await this.http('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    if (!res.ok) throw new Error(`registry refused compatibility ${level} for ${subject}: HTTP ${res.status} ${await res.text()}`);
  }

  writerType(id: number): Promise<avro.Type> {
    let type = this.writerTypes.get(id);
    if (!type) {
      type = this.fetchWriterType(id);
      // A failed lookup must not stick: the id may be registered a moment later, or the registry come back.
      type.catch(() => this.writerTypes.delete(id));
      this.writerTypes.set(id, type);
    }
    return type;
  }

  private async fetchWriterType(id: number): Promise<avro.Type> {
    const res = await this.http('GET', `/schemas/ids/${id}`);
    if (res.status === 404) throw new UnknownSchemaError(id);
    if (!res.ok) throw new Error(`schema registry: HTTP ${res.status} fetching schema id ${id}`);
    const { schema } = (await res.json()) as { schema: string };
    return avro.Type.forSchema(JSON.parse(schema), avroTypeOptions());
  }

  private http(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/vnd.schemaregistry.v1+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }
}

export class UnknownSchemaError extends Error {
  constructor(readonly schemaId: number) {
    super(`unknown schema id ${schemaId}`);
    this.name = 'UnknownSchemaError';
  }
}
