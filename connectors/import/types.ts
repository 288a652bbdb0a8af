/**
 * Event types for the importers. The shared event model lives in lib/events.ts (the Avro records of
 * schemas/avro/ as TypeScript types, field names exactly as in Avro); this module re-exports it and
 * adds the two narrowed event kinds the importers emit.
 */
import type { TelemetryEvent } from '../../lib/events.js';

export type { ComplianceScore, EventType, Finding, Severity, TelemetryEvent } from '../../lib/events.js';
export { SEVERITIES } from '../../lib/events.js';

/** A FINDING event (payload: Finding). asset and ingest_time are null: normalize sets them. */
export type FindingEvent = Extract<TelemetryEvent, { type: 'FINDING' }>;
/** A COMPLIANCE event (payload: ComplianceScore). */
export type ComplianceEvent = Extract<TelemetryEvent, { type: 'COMPLIANCE' }>;
