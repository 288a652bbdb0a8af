import type { FastifyInstance } from 'fastify';
import { ApiError, errorResponses } from '../errors.js';
import type { Approval } from '../publishers.js';
import type { ApiDeps } from '../server.js';
import { NO_NUL } from './alerts.js';
import { pageQuerystring, queryPage, SqlFilter } from './pagination.js';

const PROPOSAL_STATUSES = ['pending', 'approved', 'rejected'] as const;

const proposalSchema = {
  type: 'object',
  properties: {
    proposal_id: { type: 'string' },
    agent_id: { type: 'string' },
    action: { type: 'string' },
    reason: { type: 'string', nullable: true },
    self_suggest_enabled: { type: 'boolean' },
    policy_id: { type: 'string' },
    alert_ids: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string', format: 'date-time', nullable: true },
    status: { type: 'string', enum: PROPOSAL_STATUSES },
    decided_by: { type: 'string', nullable: true },
    decided_at: { type: 'string', format: 'date-time', nullable: true },
    comment: { type: 'string', nullable: true },
  },
} as const;

interface ProposalRow {
  proposal_id: string;
  agent_id: string;
  action: string;
  self_suggest_enabled: boolean;
  policy_id: string;
  status: (typeof PROPOSAL_STATUSES)[number];
  created_at: Date | null;
  decided_at: Date | null;
  cursor_us: string;
  [column: string]: unknown;
}

const COLUMNS = `proposal_id, agent_id, action, reason, self_suggest_enabled, policy_id, alert_ids, created_at, status, decided_by, decided_at, comment,
  (extract(epoch FROM stored_at) * 1000000)::bigint::text AS cursor_us`;

const toJson = ({ cursor_us: _cursor, ...row }: ProposalRow) => ({ ...row, created_at: row.created_at?.toISOString() ?? null, decided_at: row.decided_at?.toISOString() ?? null });

/**
 * The review board: list proposals, approve or reject a pending one. A decision is published to
 * rbp.approvals (key agent_id); the quota-store sink applies it to the proposal row and the quota
 * manager acts on it — the API never writes the status itself, hence 202. The sink keeps the first
 * decision on a proposal, so two admins deciding at once cannot both win.
 */
export function proposalRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { status?: string; limit: number; cursor?: string } }>('/proposals', {
    config: { auth: 'viewer' },
    schema: {
      summary: 'List review-board proposals, newest first',
      tags: ['proposals'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: PROPOSAL_STATUSES },
          ...pageQuerystring,
        },
      },
      response: {
        200: {
          description: 'One page',
          type: 'object',
          required: ['proposals', 'next_cursor'],
          properties: { proposals: { type: 'array', items: proposalSchema }, next_cursor: { type: 'string', nullable: true } },
        },
        ...errorResponses(400),
      },
    },
    handler: async (request) => {
      const q = request.query;
      const filter = new SqlFilter();
      if (q.status) filter.add((p) => `status = ${p}`, q.status);
      const { rows, nextCursor } = await queryPage<ProposalRow>(deps.pool, { columns: COLUMNS, table: 'proposals', timeColumn: 'stored_at', idColumn: 'proposal_id', limit: q.limit, cursor: q.cursor }, filter);
      return { proposals: rows.map(toJson), next_cursor: nextCursor };
    },
  });

  for (const [verb, decision] of [['approve', 'APPROVED'], ['reject', 'REJECTED']] as const) {
    app.post<{ Params: { id: string }; Body: { comment?: string } }>(`/proposals/:id/${verb}`, {
      config: { auth: 'admin' },
      schema: {
        summary: `${verb === 'approve' ? 'Approve' : 'Reject'} a pending proposal`,
        description:
          `Publishes a ${decision} decision (approver = token sub) to rbp.approvals. The quota-store applies it to the proposal from that topic, ` +
          'so the answer is 202 and the proposal shows the decision once the sink has consumed it. Only a pending proposal can be decided (404 unknown, 409 decided). Body optional: {"comment": "..."}.',
        tags: ['proposals'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL } } },
        body: { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2000, pattern: NO_NUL } } },
        response: {
          202: {
            description: 'Decision published; the proposal changes when the quota-store applies it',
            type: 'object',
            properties: {
              proposal_id: { type: 'string' },
              decision: { type: 'string', enum: ['APPROVED', 'REJECTED'] },
              approver: { type: 'string' },
              decided_at: { type: 'string', format: 'date-time' },
              topic: { type: 'string' },
              message: { type: 'string' },
            },
          },
          ...errorResponses(400, 404, 409, 503),
        },
      },
      // No body at all is fine: the comment is optional.
      preValidation: async (request) => {
        request.body ??= {};
      },
      handler: async (request, reply) => {
        const { rows } = await deps.pool.query<ProposalRow>(`SELECT ${COLUMNS} FROM proposals WHERE proposal_id = $1`, [request.params.id]);
        const p = rows[0];
        if (!p) throw new ApiError(404, 'not_found', 'no such proposal');
        if (p.status !== 'pending') throw new ApiError(409, 'already_decided', `the proposal is already ${p.status}`, { status: p.status });
        const decidedAt = Date.now();
        const approval: Approval = {
          proposal_id: p.proposal_id,
          agent_id: p.agent_id,
          action: p.action,
          self_suggest_enabled: p.self_suggest_enabled,
          policy_id: p.policy_id,
          decision,
          approver: request.principal!.sub,
          comment: request.body.comment ?? null,
          decided_at: decidedAt,
        };
        try {
          await deps.approvals.publish(p.agent_id, approval);
        } catch (err) {
          request.log.warn({ err: (err as Error).message }, 'approval publish failed');
          throw new ApiError(503, 'unavailable', 'could not publish the decision to Kafka; nothing was decided, retry later');
        }
        return reply.code(202).send({
          proposal_id: p.proposal_id,
          decision,
          approver: approval.approver,
          decided_at: new Date(decidedAt).toISOString(),
          topic: deps.approvals.topic,
          message: 'decision published to rbp.approvals; the quota-store updates the proposal when it consumes it',
        });
      },
    });
  }
}
