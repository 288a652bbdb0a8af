/**
 * Error classification for SIEM delivery.
 *
 * - PermanentDeliveryError: retrying cannot help (HTTP 4xx other than 408/429, unexpected
 *   3xx). The caller dead-letters the alerts with the error message as reason.
 * - RetryableDeliveryError: 5xx, 408, 429 (with optional Retry-After), network errors,
 *   timeouts. deliverWithRetry backs off and tries again.
 */
export abstract class DeliveryError extends Error {
  abstract readonly retryable: boolean;
  /** HTTP status, when the failure came from an HTTP response. */
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
  }
}

export class PermanentDeliveryError extends DeliveryError {
  readonly retryable = false;
}

export class RetryableDeliveryError extends DeliveryError {
  readonly retryable = true;
  /** Server-requested delay (from Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Parses a Retry-After header value (delta-seconds or HTTP-date) into ms from `nowMs`.
 * Returns undefined for a missing or malformed value; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP-date must contain letters (day/month names); guards against Date.parse oddities.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Maps a non-2xx HTTP response to a DeliveryError. `sink` and `body` make the message
 * precise enough to be a dead-letter reason.
 */
export function httpStatusError(
  sink: string,
  status: number,
  retryAfter: string | null | undefined,
  body: string,
  nowMs: number = Date.now(),
): DeliveryError {
  const snippet = body.length > 300 ? `${body.slice(0, 300)}…` : body;
  const message = `${sink}: HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    return new RetryableDeliveryError(message, { status, retryAfterMs: parseRetryAfter(retryAfter, nowMs) });
  }
  // 3xx (redirects are not followed: credentials must not leak), 4xx, and anything odd.
  return new PermanentDeliveryError(message, { status });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL', 'ERR_SOCKET_CLOSED',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function errCode(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return undefined;
}

/**
 * Normalises anything a sink may throw into a DeliveryError.
 * Unknown errors are treated as retryable: for at-least-once delivery it is safer to
 * retry (and finally surface the error to the caller) than to dead-letter alerts
 * because of a local bug.
 */
export function toDeliveryError(sink: string, e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return new RetryableDeliveryError(`${sink}: timeout: ${e.message}`, { cause: e });
  }
  // fetch() wraps network failures in TypeError('fetch failed', { cause }).
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = errCode(cur);
    if (code && NETWORK_CODES.has(code)) {
      const msg = cur instanceof Error ? cur.message : String(cur);
      return new RetryableDeliveryError(`${sink}: network error ${code}: ${msg}`, { cause: e });
    }
    if (cur instanceof Error && (cur.name === 'TimeoutError' || cur.name === 'ConnectTimeoutError')) {
      return new RetryableDeliveryError(`${sink}: timeout: ${cur.message}`, { cause: e });
    }
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new RetryableDeliveryError(`${sink}: ${msg}`, { cause: e });
}
