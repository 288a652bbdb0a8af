import type { FastifyInstance } from 'fastify';
import { runHealthChecks } from '../health.js';
import type { ApiDeps, ApiOptions } from '../server.js';

const part = {
  type: 'object',
  required: ['status', 'latency_ms'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    latency_ms: { type: 'number' },
    error: { type: 'string', description: 'Short reason: timeout, an error code or an HTTP status.' },
  },
} as const;

const report = {
  type: 'object',
  required: ['status', 'parts', 'failed'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    parts: { type: 'object', additionalProperties: part },
    failed: { type: 'array', items: { type: 'string' } },
  },
} as const;

/**
 * GET /health — no authentication: it names the parts and their latency, never data or addresses, so
 * load balancers and orchestrators can call it. It is rate limited like every route (it fans out to
 * four services).
 */
export function healthRoutes(app: FastifyInstance, deps: ApiDeps, opts: Pick<ApiOptions, 'healthTimeoutMs'>): void {
  app.get('/health', {
    config: { auth: 'public' },
    schema: {
      summary: 'Health of Kafka, PostgreSQL, ClickHouse and the schema registry',
      description: `Checks every part in parallel, each with a ${opts.healthTimeoutMs} ms timeout. No authentication: the answer reveals no data.`,
      tags: ['operations'],
      response: {
        200: { description: 'Every part is up', ...report },
        503: { description: 'At least one part is down (named in failed)', ...report },
      },
    },
    handler: async (_request, reply) => {
      const result = await runHealthChecks(deps.health, opts.healthTimeoutMs);
      return reply.code(result.failed.length ? 503 : 200).send(result);
    },
  });
}
