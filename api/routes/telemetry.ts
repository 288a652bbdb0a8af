import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PAYLOAD_FIELD, type EventType, type TelemetryEvent } from '../../lib/events.js';
import { InvalidEventError } from '../../lib/kafka/telemetryPublisher.js';
import { withPayloadDefaults } from '../../lib/serde/telemetry.js';
import { ApiError, errorResponses } from '../errors.js';
import type { ApiDeps, ApiOptions } from '../server.js';

const FIELDS = new Set(['event_id', 'agent_id', 'host', 'source', 'event_time', 'type', 'payload', 'metadata', 'asset', 'ingest_time']);
const TYPES = Object.keys(PAYLOAD_FIELD) as EventType[];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export interface EventProblems {
  index: number;
  errors: string[];
}

/** event_time as UTC ms: an integer of milliseconds, or an ISO 8601 date-time with a zone. */
export function eventTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && ISO.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  return undefined;
}

/**
 * A JSON event as a TelemetryEvent: defaults for what Avro readers would default (payload optionals,
 * metadata {}, asset null, ingest_time null; source 'api'; event_id a fresh UUID when absent — send
 * your own for idempotent retries, normalize drops duplicates by id), event_time converted. Returns the
 * problems instead when it is not one.
 */
export function prepareEvent(raw: unknown, validate: (e: TelemetryEvent) => string[]): { event: TelemetryEvent; errors: [] } | { event?: undefined; errors: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { errors: ['(root): expected a JSON object'] };
  const e = raw as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(e)) if (!FIELDS.has(key)) errors.push(`${key.slice(0, 100)}: unknown field`);
  const type = e.type;
  if (typeof type !== 'string' || !TYPES.includes(type as EventType)) errors.push(`type: expected one of ${TYPES.join(', ')}`);
  const eventTime = eventTimeMs(e.event_time);
  if (eventTime === undefined) errors.push('event_time: expected milliseconds since the epoch (non-negative integer) or an ISO 8601 date-time with a time zone');
  if (!('payload' in e)) errors.push('payload: required');
  if (errors.length) return { errors };
  const event = {
    event_id: e.event_id ?? randomUUID(),
    agent_id: e.agent_id,
    host: e.host,
    source: e.source ?? 'api',
    event_time: eventTime,
    type,
    payload: withPayloadDefaults(type, e.payload),
    metadata: e.metadata ?? {},
    asset: e.asset ?? null,
    ingest_time: e.ingest_time ?? null,
  } as TelemetryEvent;
  const field = PAYLOAD_FIELD[event.type];
  // Avro paths name the wire field (metric, auth, ...); clients sent `payload`.
  const rename = (p: string) => (p.startsWith(`${field}.`) ? `payload.${p.slice(field.length + 1)}` : p.startsWith(`${field}:`) ? `payload${p.slice(field.length)}` : p);
  const problems = validate(event).map(rename);
  if (typeof event.event_id === 'string' && (event.event_id.length === 0 || event.event_id.length > 200)) problems.push('event_id: expected 1-200 characters');
  if (typeof event.agent_id === 'string' && (event.agent_id.length === 0 || event.agent_id.length > 200)) problems.push('agent_id: expected 1-200 characters');
  return problems.length ? { errors: problems } : { event, errors: [] };
}

const accepted = {
  type: 'object',
  required: ['accepted', 'event_ids'],
  properties: {
    accepted: { type: 'integer', description: 'Events published (all of the request).' },
    event_ids: { type: 'array', items: { type: 'string' } },
    topic: { type: 'string' },
  },
} as const;

/** POST /telemetry (operator+): one event or {events: [...]}, validated against the Avro schema, published all-or-nothing to rbp.metrics. */
export function telemetryRoutes(app: FastifyInstance, deps: ApiDeps, opts: Pick<ApiOptions, 'maxBatch' | 'bodyLimit'>): void {
  app.post('/telemetry', {
    config: { auth: 'operator' },
    schema: {
      summary: 'Ingest telemetry (one event or a batch)',
      description:
        `Body: one TelemetryEvent as JSON ({event_id?, agent_id, host, source?, event_time, type, payload, metadata?}) or {"events": [...]} with at most ${opts.maxBatch} events; ` +
        `at most ${opts.bodyLimit} bytes. event_time is UTC milliseconds or an ISO 8601 date-time. Every event is validated against the Avro schema of rbp.metrics; ` +
        'a batch is published in one Kafka transaction — all events or none. A missing event_id is generated (send one for idempotent retries).',
      tags: ['telemetry'],
      body: {
        type: 'object',
        properties: { events: { type: 'array', minItems: 1, maxItems: opts.maxBatch, items: { description: 'A TelemetryEvent (checked per event against the Avro schema; problems are reported by index)' } } },
      },
      response: { 202: { description: 'Published to rbp.metrics', ...accepted }, ...errorResponses(400, 413, 415, 503) },
    },
    handler: async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      const batch = Array.isArray(body.events);
      const raw = batch ? (body.events as unknown[]) : [body];
      const events: TelemetryEvent[] = [];
      const problems: EventProblems[] = [];
      raw.forEach((r, index) => {
        const prepared = prepareEvent(r, (e) => deps.telemetry.validate(e));
        if (prepared.event) events.push(prepared.event);
        else problems.push({ index, errors: prepared.errors.slice(0, 20) });
      });
      if (problems.length) {
        throw new ApiError(400, 'invalid_events', `${problems.length} of ${raw.length} event(s) do not fit the telemetry schema; nothing was published`, { events: problems.slice(0, 100) });
      }
      try {
        await deps.telemetry.publish(events);
      } catch (err) {
        if (err instanceof InvalidEventError) throw new ApiError(400, 'invalid_events', 'event(s) do not fit the telemetry schema; nothing was published', { events: err.problems });
        request.log.warn({ err: (err as Error).message }, 'telemetry publish failed');
        throw new ApiError(503, 'unavailable', 'could not publish to Kafka; nothing was published, retry later');
      }
      return reply.code(202).send({ accepted: events.length, event_ids: events.map((e) => e.event_id) });
    },
  });
}
