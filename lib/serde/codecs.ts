import type { TopicSpec } from '../topics/catalog.js';
import { AvroSerde } from './avro.js';
import type { SchemaRegistryClient } from './registry.js';
import { telemetryFromWire, telemetryToWire, type WireTelemetryEvent } from './telemetry.js';

/** Bytes ↔ domain values for one topic: Avro in Confluent framing, plus the domain mapping of its schema. */
export interface Codec<T> {
  readonly subject: string;
  encode(value: T): Buffer;
  /** Synchronous unless a new writer schema has to be fetched first. */
  decode(bytes: Buffer): T | Promise<T>;
  /** Field paths that do not fit the schema (empty when the value is valid). */
  validate(value: T): string[];
}

type Mapping = { toWire: (v: any) => unknown; fromWire: (v: any) => unknown };

const identity: Mapping = { toWire: (v) => v, fromWire: (v) => v };

const MAPPINGS: Record<string, Mapping> = {
  'telemetry-event.avsc': { toWire: telemetryToWire, fromWire: telemetryFromWire },
  'correlated-event.avsc': {
    toWire: (v) => ({ ...v, event: telemetryToWire(v.event) }),
    fromWire: (v) => ({ ...v, event: telemetryFromWire(v.event as WireTelemetryEvent) }),
  },
};

export async function codecFor<T>(registry: SchemaRegistryClient, spec: TopicSpec): Promise<Codec<T>> {
  const serde = await AvroSerde.forSubject<unknown>(registry, spec.valueSubject, spec.valueSchema);
  const map = MAPPINGS[spec.valueSchema] ?? identity;
  return {
    subject: spec.valueSubject,
    encode: (value) => serde.encode(map.toWire(value)),
    decode: (bytes) => {
      const wire = serde.decode(bytes);
      return (wire instanceof Promise ? wire.then(map.fromWire) : map.fromWire(wire)) as T | Promise<T>;
    },
    validate: (value) => serde.validate(map.toWire(value)),
  };
}
