import type avro from 'avsc';
import type { Severity, TelemetryEvent } from '../../lib/events.js';
import { avroType } from '../../lib/schemas/load.js';
import { firstNegativeAttribute } from '../../lib/connectionAttributes.js';
import { telemetryToWire, withPayloadDefaults } from '../../lib/serde/telemetry.js';

export interface CanonicalizeLimits {
  /** Events further in the future than this (clock skew allowance) are rejected. */
  maxFutureMs: number;
  /** Events older than this are rejected. */
  maxAgeMs: number;
}

export type Canonical = { ok: true; event: TelemetryEvent } | { ok: false; reason: 'invalid_event' | 'time_out_of_range'; error: string };

const ID_MAX = 256;
const TEXT_MAX = { title: 512, description: 8192, default: 1024 } as const;
const METADATA_MAX_ENTRIES = 50;

const SEVERITY_SYNONYMS: Record<string, Severity> = {
  critical: 'critical', crit: 'critical', blocker: 'critical',
  high: 'high', error: 'high', severe: 'high', important: 'high',
  medium: 'medium', moderate: 'medium', warning: 'medium', warn: 'medium',
  low: 'low', minor: 'low', note: 'low',
  info: 'info', informational: 'info', none: 'info', unknown: 'info', negligible: 'info',
};

let telemetryType: avro.Type | undefined;

/**
 * Validates an event against the Avro schema (field-level errors) and puts it in canonical form:
 * UTC ms timestamps, one severity scale, lower-case names, trimmed and bounded strings. `decodedFromAvro`: the
 * input was decoded into this build's reader schema, so it is schema-valid and complete by construction and
 * the type check (a full walk of the record) and the payload defaults are skipped; JSON input always gets both.
 */
export function canonicalize(input: unknown, now: number, limits: CanonicalizeLimits, decodedFromAvro = false): Canonical {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return invalid('event must be an object');
  const raw = input as Record<string, unknown>;
  const eventTime = toEpochMs(raw.event_time);
  if (eventTime === undefined) return invalid(`event_time: expected UTC milliseconds (or an ISO-8601 string), got ${JSON.stringify(raw.event_time)?.slice(0, 60)}`);
  const type = typeof raw.type === 'string' ? raw.type.trim().toUpperCase() : raw.type;
  if (raw.payload === null || raw.payload === undefined) return invalid(`payload: missing for type ${String(type)}`);
  // Field by field, not `...raw`: a generic copy of the decoded record per event (unknown JSON fields would
  // not reach the output anyway: the Avro mapping names every field).
  const event = {
    event_id: raw.event_id,
    agent_id: raw.agent_id,
    host: raw.host,
    source: raw.source,
    event_time: eventTime,
    type,
    metadata: raw.metadata ?? {},
    asset: null,
    ingest_time: null,
    // Avro readers fill the defaults themselves.
    payload: decodedFromAvro ? raw.payload : withPayloadDefaults(type, raw.payload),
  } as TelemetryEvent;
  const problems = decodedFromAvro ? [] : schemaProblems(event);
  if (problems.length) return invalid(problems.slice(0, 5).join('; '));

  for (const field of ['event_id', 'agent_id', 'host', 'source'] as const) {
    const value = event[field].trim();
    if (!value) return invalid(`${field}: must not be empty`);
    if (value.length > ID_MAX) return invalid(`${field}: longer than ${ID_MAX} characters`);
    event[field] = field === 'event_id' ? value : value.toLowerCase();
  }
  if (event.event_time > now + limits.maxFutureMs) {
    return { ok: false, reason: 'time_out_of_range', error: `event_time ${new Date(event.event_time).toISOString()} is more than ${limits.maxFutureMs / 1000} s in the future` };
  }
  if (event.event_time < now - limits.maxAgeMs) {
    return { ok: false, reason: 'time_out_of_range', error: `event_time ${new Date(event.event_time).toISOString()} is older than ${Math.round(limits.maxAgeMs / 86_400_000)} days` };
  }
  const metadataKeys = Object.keys(event.metadata);
  if (metadataKeys.length > METADATA_MAX_ENTRIES) return invalid(`metadata: more than ${METADATA_MAX_ENTRIES} entries`);
  event.metadata = Object.fromEntries(metadataKeys.map((k) => [bound(k, 128), bound(event.metadata[k], TEXT_MAX.default)]));
  return canonicalPayload(event);
}

function canonicalPayload(event: TelemetryEvent): Canonical {
  switch (event.type) {
    case 'METRIC': {
      const entries = Object.entries(event.payload.metrics);
      if (entries.length === 0) return invalid('metric.metrics: at least one metric is required');
      const bad = entries.find(([, v]) => !Number.isFinite(v));
      if (bad) return invalid(`metric.metrics.${bad[0]}: must be a finite number`);
      event.payload = { metrics: Object.fromEntries(entries.map(([k, v]) => [bound(k.trim().toLowerCase(), 128), v])) };
      break;
    }
    case 'AUTH':
      event.payload = { ...event.payload, user: bound(event.payload.user.trim(), ID_MAX), source_ip: event.payload.source_ip.trim().toLowerCase(), method: event.payload.method.trim().toLowerCase() };
      break;
    case 'CONNECTION': {
      const c = event.payload;
      const negative = firstNegativeAttribute(c);
      if (negative) return invalid(`connection.${negative}: must not be negative`);
      if (c.src_port < 0 || c.src_port > 65535 || c.dst_port < 0 || c.dst_port > 65535) return invalid('connection: ports must be within 0-65535');
      // In place: the payload is this record's own decoded object, and a 48-field copy per connection was
      // the largest allocation left in normalize (young-generation GC was a quarter of its CPU).
      c.protocol_type = c.protocol_type.trim().toLowerCase();
      c.service = c.service.trim().toLowerCase();
      c.flag = c.flag.trim().toUpperCase();
      c.src_ip = c.src_ip.trim().toLowerCase();
      c.dst_ip = c.dst_ip.trim().toLowerCase();
      break;
    }
    case 'FINDING': {
      const f = event.payload;
      const severity = SEVERITY_SYNONYMS[f.severity.trim().toLowerCase()];
      if (!severity) return invalid(`finding.severity: unknown severity "${bound(f.severity, 40)}" (use critical, high, medium, low or info)`);
      event.payload = {
        ...f,
        severity,
        scanner: f.scanner.trim().toLowerCase(),
        title: bound(f.title.trim(), TEXT_MAX.title),
        description: f.description === null ? null : bound(f.description.trim(), TEXT_MAX.description),
        cve: f.cve.map((c) => c.trim().toUpperCase()),
        cwe: f.cwe.map((c) => c.trim().toUpperCase()),
      };
      break;
    }
    case 'COMPLIANCE':
      if (event.payload.score < 0 || event.payload.score > 1) return invalid('compliance.score: must be within [0, 1]');
      break;
  }
  return { ok: true, event };
}

function schemaProblems(event: TelemetryEvent): string[] {
  telemetryType ??= avroType('telemetry-event.avsc');
  const problems: string[] = [];
  let wire: unknown;
  try {
    wire = telemetryToWire(event);
  } catch {
    return [`type: must be one of METRIC, AUTH, CONNECTION, FINDING, COMPLIANCE`];
  }
  // The error-hook pass is slower than the plain check; only invalid events need its field paths.
  if (telemetryType.isValid(wire)) return problems;
  telemetryType.isValid(wire, {
    errorHook: (path: string[], value: unknown, type: avro.Type) => {
      problems.push(`${path.join('.') || '(event)'}: expected ${type.typeName}${type.typeName === 'enum' ? ` (${(type as avro.types.EnumType).symbols.join(', ')})` : ''}, got ${describe(value)}`);
    },
  });
  return problems;
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  // Seconds since the epoch (what many agents send) are below 1e11 until the year 5138.
  const ms = value < 1e11 ? value * 1000 : value;
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

function bound(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${bound(value, 40)}"`;
  return typeof value === 'object' ? 'an object' : String(value);
}

const invalid = (error: string): Canonical => ({ ok: false, reason: 'invalid_event', error });
