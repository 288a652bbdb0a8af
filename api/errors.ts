import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** An error the API answers on purpose: status, a stable code, a message for people and optional details. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The body of every error response. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable error code, e.g. unauthorized, forbidden, not_found, invalid_request.' },
    message: { type: 'string' },
    details: { description: 'Structured detail, e.g. field-level problems per event index.' },
  },
} as const;

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (details name the fields)',
  401: 'Missing, expired or invalid bearer token',
  403: 'The token role is too low for this route',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Unsupported content type',
  429: 'Rate limit exceeded (see Retry-After)',
  500: 'Internal error (no detail is disclosed)',
  503: 'A dependency is unavailable',
};

/** Response-schema entries for error statuses. */
export function errorResponses(...codes: number[]): Record<string, unknown> {
  return Object.fromEntries(codes.map((c) => [String(c), { description: DESCRIPTIONS[c] ?? 'Error', ...errorSchema }]));
}

const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Every error becomes JSON {error, message, details?}. Client errors (4xx, from validation, the body
 * parser, the rate limiter or ApiError) keep their message; anything else is logged and answered with a
 * generic 500 — no stack, no driver message.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) {
      if (err.statusCode >= 500) request.log.warn({ err: err.message, code: err.code }, 'request failed');
      return reply.code(err.statusCode).headers(err.headers).send({ error: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const details = fe.validation.map((v) => ({
        field: `${fe.validationContext ?? 'request'}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}${v.params && 'missingProperty' in v.params ? `.${String(v.params.missingProperty)}` : ''}${v.params && 'additionalProperty' in v.params ? `.${String(v.params.additionalProperty)}` : ''}`,
        problem: v.message ?? 'invalid',
      }));
      return reply.code(400).send({ error: 'invalid_request', message: `invalid ${fe.validationContext ?? 'request'}: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`, details });
    }
    // PostgreSQL data exceptions (SQLSTATE class 22: invalid characters, out-of-range values) come from
    // request values used as parameters: the client's fault, without the driver's message.
    const sqlState = (err as { code?: unknown }).code;
    if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState) && !('statusCode' in err)) {
      return reply.code(400).send({ error: 'invalid_request', message: 'a request value cannot be used (invalid characters or out of range)' });
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: CODES[status] ?? 'client_error', message: fe.message });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0].slice(0, 200)}` });
  });
}
