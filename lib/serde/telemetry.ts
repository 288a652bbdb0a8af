import { CONNECTION_TRAFFIC_ATTRIBUTES, type EventType, PAYLOAD_FIELD, type TelemetryEvent } from '../events.js';

/**
 * The Avro record carries one nullable field per payload kind; code works with the discriminated pair
 * {type, payload}. These two functions are the only place that knows both shapes.
 */
export type WireTelemetryEvent = Omit<TelemetryEvent, 'payload'> & { [K in (typeof PAYLOAD_FIELD)[EventType]]: unknown };

export function telemetryToWire(event: TelemetryEvent): WireTelemetryEvent {
  const { payload, ...envelope } = event;
  const wire = { ...envelope, metric: null, auth: null, connection: null, finding: null, compliance: null } as WireTelemetryEvent;
  (wire as Record<string, unknown>)[PAYLOAD_FIELD[event.type]] = payload;
  return wire;
}

export function telemetryFromWire(wire: WireTelemetryEvent): TelemetryEvent {
  const { metric, auth, connection, finding, compliance, ...envelope } = wire;
  const payloads = { metric, auth, connection, finding, compliance } as Record<string, unknown>;
  return { ...envelope, payload: payloads[PAYLOAD_FIELD[wire.type]] } as TelemetryEvent;
}

// Built once: a fresh Object.fromEntries per connection was half of normalize's transform time and left a
// dictionary-mode object that made every later copy and the Avro encoding slow too.
const TRAFFIC_NULLS: Readonly<Record<string, null>> = Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((a) => [a, null]));

/** JSON producers may leave out a payload's optional fields; Avro readers fill their defaults, so do the same. */
export function withPayloadDefaults(type: unknown, payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null) return payload;
  const p = payload as Record<string, unknown>;
  if (type === 'CONNECTION') {
    // Avro input always carries all 19 traffic attributes: then a plain copy keeps the payload's fast shape.
    for (const a of CONNECTION_TRAFFIC_ATTRIBUTES) if (!(a in p)) return { ...TRAFFIC_NULLS, ...p };
    return { ...p };
  }
  if (type === 'FINDING') {
    return { description: null, location: null, line: null, package: null, installed_version: null, fixed_version: null, url: null, cve: [], cwe: [], ...p };
  }
  if (type === 'COMPLIANCE') return { attestation_id: null, ...p };
  return p;
}
