import type { FastifyInstance } from 'fastify';
import { SEVERITIES } from '../../lib/events.js';
import { ApiError, errorResponses } from '../errors.js';
import type { BlueResponse } from '../publishers.js';
import { responseId } from '../../processors/purple/model.js';
import { withTransaction } from '../../lib/db/pool.js';
import type { ApiDeps } from '../server.js';
import { MAX_LIMIT, pageQuerystring, queryPage, SqlFilter } from './pagination.js';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** The lifecycle: open → acknowledged → resolved | false_positive, and open → resolved | false_positive directly. */
export const TRANSITIONS: Record<AlertStatus, readonly AlertStatus[]> = {
  open: ['acknowledged', 'resolved', 'false_positive'],
  acknowledged: ['resolved', 'false_positive'],
  resolved: [],
  false_positive: [],
};

/** PostgreSQL text cannot hold NUL; everything else is a plain parameter. */
export const NO_NUL = '^[^\\u0000]*$';
const text200 = { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL } as const;

const alertSchema = {
  type: 'object',
  properties: {
    alert_id: { type: 'string' },
    agent_id: { type: 'string' },
    host: { type: 'string' },
    severity: { type: 'string', enum: SEVERITIES },
    category: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    remediation: { type: 'string' },
    detector: { type: 'string' },
    score: { type: 'number', nullable: true },
    model_version: { type: 'string', nullable: true },
    status: { type: 'string', enum: ALERT_STATUSES },
    evidence_event_ids: { type: 'array', items: { type: 'string' } },
    first_evidence_time: { type: 'string', format: 'date-time' },
    event_time: { type: 'string', format: 'date-time' },
    metadata: { type: 'object', additionalProperties: true },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

const COLUMNS = `alert_id, agent_id, host, severity, category, title, description, remediation, detector, score, model_version, status,
  evidence_event_ids, first_evidence_time, event_time, metadata, created_at, updated_at,
  (extract(epoch FROM created_at) * 1000000)::bigint::text AS cursor_us`;

interface AlertRow {
  alert_id: string;
  cursor_us: string;
  first_evidence_time: Date;
  event_time: Date;
  created_at: Date;
  updated_at: Date;
  [column: string]: unknown;
}

const toJson = ({ cursor_us: _cursor, ...row }: AlertRow) => ({
  ...row,
  first_evidence_time: row.first_evidence_time.toISOString(),
  event_time: row.event_time.toISOString(),
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

interface AlertQuery {
  status?: AlertStatus;
  severity?: string;
  category?: string;
  agent?: string;
  host?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** Alerts: list (filters, cursor pages, newest first), one, and the status lifecycle with audit and the purple-team feed. */
export function alertRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: AlertQuery }>('/alerts', {
    config: { auth: 'viewer' },
    schema: {
      summary: 'List alerts, newest first',
      description:
        'Filters combine with AND. from (inclusive) and to (exclusive) bound created_at (when the alert was stored). ' +
        `Pages: limit (1-${MAX_LIMIT}, default 50) and the opaque next_cursor of the previous page.`,
      tags: ['alerts'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ALERT_STATUSES },
          severity: { type: 'string', enum: SEVERITIES },
          category: text200,
          agent: { ...text200, description: 'agent_id' },
          host: text200,
          from: { type: 'string', format: 'date-time', maxLength: 40 },
          to: { type: 'string', format: 'date-time', maxLength: 40 },
          ...pageQuerystring,
        },
      },
      response: {
        200: {
          description: 'One page',
          type: 'object',
          required: ['alerts', 'next_cursor'],
          properties: { alerts: { type: 'array', items: alertSchema }, next_cursor: { type: 'string', nullable: true } },
        },
        ...errorResponses(400),
      },
    },
    handler: async (request) => {
      const q = request.query;
      const filter = new SqlFilter();
      if (q.status) filter.add((p) => `status = ${p}`, q.status);
      if (q.severity) filter.add((p) => `severity = ${p}`, q.severity);
      if (q.category) filter.add((p) => `category = ${p}`, q.category);
      if (q.agent) filter.add((p) => `agent_id = ${p}`, q.agent);
      if (q.host) filter.add((p) => `host = ${p}`, q.host);
      if (q.from) filter.add((p) => `created_at >= ${p}::timestamptz`, q.from);
      if (q.to) filter.add((p) => `created_at < ${p}::timestamptz`, q.to);
      const { rows, nextCursor } = await queryPage<AlertRow>(deps.pool, { columns: COLUMNS, table: 'alerts', timeColumn: 'created_at', idColumn: 'alert_id', limit: q.limit, cursor: q.cursor }, filter);
      return { alerts: rows.map(toJson), next_cursor: nextCursor };
    },
  });

  const idParams = { type: 'object', required: ['id'], properties: { id: text200 } } as const;

  app.get<{ Params: { id: string } }>('/alerts/:id', {
    config: { auth: 'viewer' },
    schema: {
      summary: 'One alert',
      tags: ['alerts'],
      params: idParams,
      response: { 200: { description: 'The alert', ...alertSchema }, ...errorResponses(400, 404) },
    },
    handler: async (request) => {
      const { rows } = await deps.pool.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE alert_id = $1`, [request.params.id]);
      if (!rows[0]) throw new ApiError(404, 'not_found', 'no such alert');
      return toJson(rows[0]);
    },
  });

  app.patch<{ Params: { id: string }; Body: { status: Exclude<AlertStatus, 'open'>; note?: string } }>('/alerts/:id', {
    config: { auth: 'operator' },
    schema: {
      summary: 'Change an alert status (acknowledge, resolve, mark false positive)',
      description:
        'Lifecycle: open → acknowledged → resolved | false_positive; open → resolved | false_positive. Other changes are 409. ' +
        'The status change and its audit row (from, to, actor = token sub, at, note) are one transaction; the action is published to ' +
        'blue-responses (the purple-team feed) before the commit, so a change that could not be published is rolled back (503).',
      tags: ['alerts'],
      params: idParams,
      body: {
        type: 'object',
        required: ['status'],
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['acknowledged', 'resolved', 'false_positive'] },
          note: { type: 'string', maxLength: 2000, pattern: NO_NUL },
        },
      },
      response: {
        200: {
          description: 'Changed',
          type: 'object',
          properties: {
            alert: alertSchema,
            audit: {
              type: 'object',
              properties: {
                from: { type: 'string' },
                to: { type: 'string' },
                actor: { type: 'string' },
                at: { type: 'string', format: 'date-time' },
                note: { type: 'string', nullable: true },
              },
            },
            response_id: { type: 'string', description: 'Id of the blue-responses record' },
          },
        },
        ...errorResponses(400, 404, 409, 503),
      },
    },
    handler: async (request) => {
      const { id } = request.params;
      const { status: to, note } = request.body;
      const actor = request.principal!.sub;
      return withTransaction(deps.pool, async (client) => {
        const current = await client.query<{ status: AlertStatus; agent_id: string }>('SELECT status, agent_id FROM alerts WHERE alert_id = $1 FOR UPDATE', [id]);
        const row = current.rows[0];
        if (!row) throw new ApiError(404, 'not_found', 'no such alert');
        if (!TRANSITIONS[row.status].includes(to)) {
          throw new ApiError(409, 'invalid_transition', `an alert that is ${row.status} cannot become ${to}`, { from: row.status, to, allowed: TRANSITIONS[row.status] });
        }
        const updated = await client.query<AlertRow>(`UPDATE alerts SET status = $2, updated_at = now() WHERE alert_id = $1 RETURNING ${COLUMNS}`, [id, to]);
        const audit = await client.query<{ at: Date }>(
          'INSERT INTO alert_audit (alert_id, from_status, to_status, actor, note) VALUES ($1, $2, $3, $4, $5) RETURNING at',
          [id, row.status, to, actor, note ?? null],
        );
        const at = audit.rows[0].at;
        const response: BlueResponse = { response_id: responseId(id, to, at.getTime()), alert_id: id, agent_id: row.agent_id, action: to, actor, responded_at: at.getTime() };
        try {
          await deps.blueResponses.publish(row.agent_id, response);
        } catch (err) {
          request.log.warn({ err: (err as Error).message }, 'blue-responses publish failed');
          throw new ApiError(503, 'unavailable', 'could not publish the response to Kafka; the status was not changed, retry later');
        }
        return {
          alert: toJson(updated.rows[0]),
          audit: { from: row.status, to, actor, at: at.toISOString(), note: note ?? null },
          response_id: response.response_id,
        };
      });
    },
  });
}
