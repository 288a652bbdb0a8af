import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * GET /metrics (Prometheus) and GET /openapi.json, both public: the metrics carry request counts and
 * latencies by route template (never raw URLs or ids), the document describes the API.
 */
export function metaRoutes(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', {
    config: { auth: 'public' },
    schema: {
      summary: 'Prometheus metrics of the API process',
      description: 'Request counts and latency by route template and status, plus process metrics. No authentication (no data, route templates only).',
      tags: ['operations'],
      response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
    handler: async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  });

  app.get('/openapi.json', {
    config: { auth: 'public' },
    schema: {
      summary: 'This OpenAPI 3 document, generated from the route schemas',
      tags: ['operations'],
      response: { 200: { description: 'OpenAPI 3.0 document', type: 'object', additionalProperties: true } },
    },
    handler: async () => app.swagger(),
  });
}
