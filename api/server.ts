import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { intSetting, setting } from '../lib/config.js';
import type { TelemetryPublisher } from '../lib/kafka/telemetryPublisher.js';
import type { Logger } from '../lib/log.js';
import { AuthError, type Principal, type Role, roleRank, type TokenVerifier } from './auth.js';
import { ApiError, errorResponses, installErrorHandling } from './errors.js';
import type { HealthCheck } from './health.js';
import type { Approval, BlueResponse, RecordPublisher } from './publishers.js';
import { alertRoutes } from './routes/alerts.js';
import { healthRoutes } from './routes/health.js';
import { metaRoutes } from './routes/meta.js';
import { proposalRoutes } from './routes/proposals.js';
import { telemetryRoutes } from './routes/telemetry.js';

/** Who may call a route: 'public' (no token) or the lowest role allowed. Every route must say. */
export type RouteAuth = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | null;
    authFailure: AuthError | null;
  }
}

/** Everything the API talks to, injected so tests build it in-process against the real services. */
export interface ApiDeps {
  pool: pg.Pool;
  telemetry: Pick<TelemetryPublisher, 'publish' | 'validate'>;
  approvals: RecordPublisher<Approval>;
  blueResponses: RecordPublisher<BlueResponse>;
  health: HealthCheck[];
  verifyToken: TokenVerifier;
}

export interface ApiOptions {
  /** Largest request body in bytes (413 above). Default 1 MiB. */
  bodyLimit: number;
  /** Most events in one POST /telemetry batch. Default 1000. */
  maxBatch: number;
  /** Requests per client (token sub, else IP) per window. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Whole-request timeout (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** Per-part timeout of GET /health. */
  healthTimeoutMs: number;
  /** Honour X-Forwarded-For (only behind a trusted proxy). */
  trustProxy: boolean;
  logger: Logger | false;
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  bodyLimit: 1024 * 1024,
  maxBatch: 1000,
  rateLimitMax: 600,
  rateLimitWindowMs: 60_000,
  requestTimeoutMs: 30_000,
  healthTimeoutMs: 2000,
  trustProxy: false,
  logger: false,
};

/** SOCFLOW_API_* settings over the defaults. */
export function apiOptionsFromSettings(): Omit<ApiOptions, 'logger'> {
  const d = DEFAULT_API_OPTIONS;
  return {
    bodyLimit: intSetting('SOCFLOW_API_BODY_LIMIT', d.bodyLimit, 1024, 64 * 1024 * 1024),
    maxBatch: intSetting('SOCFLOW_API_MAX_BATCH', d.maxBatch, 1, 10_000),
    rateLimitMax: intSetting('SOCFLOW_API_RATE_LIMIT', d.rateLimitMax, 1, 1_000_000),
    rateLimitWindowMs: intSetting('SOCFLOW_API_RATE_WINDOW_MS', d.rateLimitWindowMs, 100, 3_600_000),
    requestTimeoutMs: intSetting('SOCFLOW_API_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 1000, 600_000),
    healthTimeoutMs: intSetting('SOCFLOW_API_HEALTH_TIMEOUT_MS', d.healthTimeoutMs, 100, 60_000),
    trustProxy: setting('SOCFLOW_API_TRUST_PROXY') === '1',
  };
}

export interface RegisteredRoute {
  method: string;
  url: string;
  auth: RouteAuth;
}

export const API_TITLE = 'socflow API';
export const BEARER = 'bearerAuth';

/**
 * Builds the API (not listening): JSON errors, helmet headers, per-client rate limits, bearer-token
 * auth with role ranks, Prometheus metrics and an OpenAPI document generated from the route schemas.
 *
 * Request flow: onRequest authenticates the bearer token if there is one (never rejects, so the rate
 * limiter can key on the verified `sub`, else the IP) → rate limit → preParsing authorizes (401/403
 * before any body is read) → body limit / schema validation → handler.
 */
export async function createApiServer(deps: ApiDeps, opts: Partial<ApiOptions> = {}): Promise<FastifyInstance & { apiRoutes: RegisteredRoute[] }> {
  const o: ApiOptions = { ...DEFAULT_API_OPTIONS, ...opts };
  const fastifyOpts: FastifyServerOptions = {
    bodyLimit: o.bodyLimit,
    requestTimeout: o.requestTimeoutMs,
    connectionTimeout: o.requestTimeoutMs,
    keepAliveTimeout: 10_000,
    exposeHeadRoutes: false,
    // Path ids are validated to 200 characters by the route schemas; longer segments are 414.
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    trustProxy: o.trustProxy,
    // Errors the router raises before any route (bad percent-encoding, over-long path segment), as JSON too.
    frameworkErrors: (err, _request, reply) => {
      const status: 400 | 414 = err.statusCode === 414 ? 414 : 400;
      void (reply as unknown as FastifyReply).code(status).send({ error: status === 414 ? 'uri_too_long' : 'invalid_request', message: status === 414 ? 'a path segment is too long' : 'the URL is not valid' });
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Unknown query/body properties are errors (additionalProperties: false), never silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  };
  const app = (o.logger ? Fastify({ ...fastifyOpts, loggerInstance: o.logger as unknown as FastifyBaseLogger }) : Fastify({ ...fastifyOpts, logger: false })) as unknown as FastifyInstance;
  const routes: RegisteredRoute[] = [];
  app.decorate('apiRoutes', routes);
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  installErrorHandling(app);
  // JSON only: a text/plain body is 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain');

  // Before swagger's own onRoute hook, so the document carries what is enforced.
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (auth === undefined) throw new Error(`route ${String(route.method)} ${route.url} does not declare config.auth`);
    if (auth !== 'public' && roleRank(auth) < 0) throw new Error(`route ${route.url}: unknown role ${auth}`);
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url, auth });
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    schema.security = auth === 'public' ? [] : [{ [BEARER]: [] }];
    if (auth !== 'public') {
      schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Requires a bearer token with role ${auth} or higher.`;
    }
    schema.response = { ...errorResponses(429, 500, ...(auth === 'public' ? [] : [401, 403])), ...((schema.response as object) ?? {}) };
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: API_TITLE,
        version: '0.1.0',
        description: 'HTTP API of socflow: telemetry intake, alert triage, review-board decisions, health and metrics. Bearer tokens are RS256 JWTs (iss socflow, aud socflow-api, role viewer < operator < admin).',
      },
      components: { securitySchemes: { [BEARER]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(helmet, { global: true });

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const m = /^Bearer +([A-Za-z0-9_\-.]{1,8192}) *$/i.exec(header);
    if (!m) {
      request.authFailure = new AuthError('the Authorization header must be "Bearer <token>"');
      return;
    }
    try {
      request.principal = await deps.verifyToken(m[1]);
    } catch (err) {
      request.authFailure = err instanceof AuthError ? err : new AuthError('invalid token');
    }
  });

  await app.register(rateLimit, {
    global: true,
    max: o.rateLimitMax,
    timeWindow: o.rateLimitWindowMs,
    // The verified subject when there is one: a client keeps its quota across addresses, and an
    // unauthenticated flood (including bad tokens) is limited by address.
    keyGenerator: (request) => (request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, ctx) =>
      new ApiError(429, 'rate_limited', `rate limit exceeded (${ctx.max} requests per ${Math.round(o.rateLimitWindowMs / 1000)} s); retry in ${ctx.after}`, { retry_after_s: Math.ceil(ctx.ttl / 1000) }),
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    const need = request.routeOptions.config?.auth;
    if (need === undefined || need === 'public') return payload;
    if (!request.principal) {
      const failure = request.authFailure;
      if (failure?.statusCode === 503) throw new ApiError(503, 'auth_unavailable', failure.message);
      const message = failure ? failure.message : 'a bearer token is required';
      const challenge = failure ? `Bearer realm="socflow-api", error="invalid_token", error_description="${failure.message.replace(/"/g, "'")}"` : 'Bearer realm="socflow-api"';
      throw new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': challenge });
    }
    if (roleRank(request.principal.role) < roleRank(need)) {
      throw new ApiError(403, 'forbidden', `this route needs role ${need} or higher; the token's role is ${JSON.stringify(request.principal.role).slice(0, 60)}`);
    }
    return payload;
  });

  const metrics = apiMetrics();
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
  });

  healthRoutes(app, deps, o);
  telemetryRoutes(app, deps, o);
  alertRoutes(app, deps);
  proposalRoutes(app, deps);
  metaRoutes(app, metrics.registry);
  return app as FastifyInstance & { apiRoutes: RegisteredRoute[] };
}

function apiMetrics() {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'api' });
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    requests: new Counter({ name: 'socflow_api_requests_total', help: 'HTTP requests answered, by route template and status', labelNames, registers: [registry] }),
    duration: new Histogram({
      name: 'socflow_api_request_duration_seconds',
      help: 'HTTP request latency, by route template and status',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
