import { type EventType, PAYLOAD_FIELD, type TelemetryEvent } from '../events.js';

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
