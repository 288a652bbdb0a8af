import { CONNECTION_TRAFFIC_ATTRIBUTES, type EventType, PAYLOAD_FIELD, type TelemetryEvent } from '../events.js';

/**
 * The Avro record carries one nullable field per payload kind; code works with the discriminated pair
 * {type, payload}. These two functions are the only place that knows both shapes.
 */
export type WireTelemetryEvent = Omit<TelemetryEvent, 'payload'> & { [K in (typeof PAYLOAD_FIELD)[EventType]]: unknown };

// Both mappings name every field instead of rest-destructuring and spreading: that generic copy was 15 % of
// the normalize → correlate → onnx-score CPU profile (three mappings per event). Field order is the schema's.
export function telemetryToWire(event: TelemetryEvent): WireTelemetryEvent {
  const { type, payload } = event;
  return {
    event_id: event.event_id,
    agent_id: event.agent_id,
    host: event.host,
    source: event.source,
    event_time: event.event_time,
    type,
    metric: type === 'METRIC' ? payload : null,
    auth: type === 'AUTH' ? payload : null,
    connection: type === 'CONNECTION' ? payload : null,
    finding: type === 'FINDING' ? payload : null,
    compliance: type === 'COMPLIANCE' ? payload : null,
    metadata: event.metadata,
    asset: event.asset,
    ingest_time: event.ingest_time,
  };
}

export function telemetryFromWire(wire: WireTelemetryEvent): TelemetryEvent {
  return {
    event_id: wire.event_id,
    agent_id: wire.agent_id,
    host: wire.host,
    source: wire.source,
    event_time: wire.event_time,
    type: wire.type,
    metadata: wire.metadata,
    asset: wire.asset,
    ingest_time: wire.ingest_time,
    payload: wire[PAYLOAD_FIELD[wire.type]],
  } as TelemetryEvent;
}

// Built once: a fresh Object.fromEntries per connection was half of normalize's transform time and left a
// dictionary-mode object that made every later copy and the Avro encoding slow too.
const TRAFFIC_NULLS: Readonly<Record<string, null>> = Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((a) => [a, null]));

/** JSON producers may leave out a payload's optional fields; Avro readers fill their defaults, so do the same. */
export function withPayloadDefaults(type: unknown, payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null) return payload;
  const p = payload as Record<string, unknown>;
  if (type === 'CONNECTION') {
    // Avro input always carries all 19 traffic attributes: nothing to fill, and no copy (as for METRIC and
    // AUTH, the payload is returned as is; canonicalize then normalizes the record's own object in place).
    for (const a of CONNECTION_TRAFFIC_ATTRIBUTES) if (!(a in p)) return { ...TRAFFIC_NULLS, ...p };
    return p;
  }
  if (type === 'FINDING') {
    return { description: null, location: null, line: null, package: null, installed_version: null, fixed_version: null, url: null, cve: [], cwe: [], ...p };
  }
  if (type === 'COMPLIANCE') return { attestation_id: null, ...p };
  return p;
}
