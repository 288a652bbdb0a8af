import type { TopicSpec } from '../topics/catalog.js';
import { AvroSerde } from './avro.js';
import type { SchemaRegistryClient } from './registry.js';
import type { TelemetryEvent } from '../events.js';
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

/**
 * The domain mapping of a schema, and what its codec does beyond `serde.encode(toWire(v))` / `fromWire(wire)`:
 * `encode` replaces the first, `keepEncoded` wraps the second when a codec is made with that option.
 */
type Mapping = {
  toWire: (v: any) => unknown;
  fromWire: (v: any) => unknown;
  encode?: (serde: AvroSerde<unknown>, value: any) => Buffer;
  keepEncoded?: (serde: AvroSerde<unknown>, bytes: Buffer, value: any) => unknown;
};

const identity: Mapping = { toWire: (v) => v, fromWire: (v) => v };

/**
 * The Avro bytes (this build's TelemetryEvent schema, no framing) of events decoded by a codec made with
 * `keepEncoded`, by event object. correlate forwards most events unchanged inside a CorrelatedEvent, whose
 * first field is the event: its encoding copies these bytes instead of writing the event again (that encoding
 * was ~10 % of correlate's CPU). Such events are frozen, so a transform cannot change one in place and leave
 * its bytes stale: it must build a new object (which is then encoded as usual).
 */
const encodedEvents = new WeakMap<object, Buffer>();

/** Records the event's bytes when the writer schema is this build's (else they differ from ours). */
function keepEventBytes(serde: AvroSerde<unknown>, bytes: Buffer, event: TelemetryEvent): TelemetryEvent {
  if (bytes.readUInt32BE(1) !== serde.schemaId) return event;
  Object.freeze(event);
  Object.freeze(event.payload);
  Object.freeze(event.metadata);
  if (event.asset) Object.freeze(event.asset);
  encodedEvents.set(event, bytes.subarray(5));
  return event;
}

const correlatedToWire = (v: { event: TelemetryEvent }) => ({ ...v, event: telemetryToWire(v.event) });

const MAPPINGS: Record<string, Mapping> = {
  'telemetry-event.avsc': { toWire: telemetryToWire, fromWire: telemetryFromWire, keepEncoded: keepEventBytes },
  'correlated-event.avsc': {
    toWire: correlatedToWire,
    fromWire: (v) => ({ ...v, event: telemetryFromWire(v.event as WireTelemetryEvent) }),
    encode: (serde, value: { event: TelemetryEvent } & Record<string, unknown>) => {
      const body = encodedEvents.get(value.event);
      return body ? serde.encodeAfterFirstField(body, value) : serde.encode(correlatedToWire(value));
    },
  },
};

export interface CodecOptions {
  /** Telemetry events only: keep each event's bytes for a CorrelatedEvent that forwards it (see encodedEvents). */
  keepEncoded?: boolean;
}

export async function codecFor<T>(registry: SchemaRegistryClient, spec: TopicSpec, options: CodecOptions = {}): Promise<Codec<T>> {
  const serde = await AvroSerde.forSubject<unknown>(registry, spec.valueSubject, spec.valueSchema);
  const map = MAPPINGS[spec.valueSchema] ?? identity;
  const keep = options.keepEncoded ? map.keepEncoded : undefined;
  const fromWire = (bytes: Buffer, wire: unknown) => (keep ? keep(serde, bytes, map.fromWire(wire)) : map.fromWire(wire));
  return {
    subject: spec.valueSubject,
    encode: map.encode ? (value) => map.encode!(serde, value) : (value) => serde.encode(map.toWire(value)),
    decode: (bytes) => {
      const wire = serde.decode(bytes);
      return (wire instanceof Promise ? wire.then((w) => fromWire(bytes, w)) : fromWire(bytes, wire)) as T | Promise<T>;
    },
    validate: (value) => serde.validate(map.toWire(value)),
  };
}
