/**
 * deliverWithRetry: at-least-once delivery of a set of alerts to one sink.
 *
 * - Alerts are sent in batches of at most `policy.batchSize ?? sink.maxBatchSize`.
 * - Retryable failures (5xx, 408, 429, network, timeouts) back off exponentially with
 *   full jitter: delay = random() * min(maxDelayMs, baseDelayMs * 2^(attempt-1)); a
 *   Retry-After from the server overrides that (capped at maxRetryAfterMs).
 * - Permanent failures (4xx other than 408/429, unexpected 3xx) are not retried. A batch
 *   rejected with 400/413/422 is split in halves so one poison alert does not take its
 *   neighbours to the dead-letter topic; other permanent statuses (401, 403, 404, ...)
 *   dead-letter the whole batch.
 * - When a batch still fails after maxAttempts, deliverWithRetry throws
 *   DeliveryExhaustedError (default; the caller must not commit offsets) or, with
 *   `onExhausted: 'dead-letter'`, dead-letters the batch with the last error as reason.
 *
 * The caller commits Kafka offsets only after this resolves. Receivers dedupe on the
 * idempotency key (alert_id / batch key) since a batch may be delivered more than once.
 */
import type { Alert } from './alert.js';
import { DeliveryError, PermanentDeliveryError, RetryableDeliveryError, toDeliveryError } from './errors.js';
import type { SiemSink } from './sinks.js';

export interface DeadLetter {
  alert: Alert;
  /** Human-readable cause, e.g. `splunk-hec: HTTP 400: {"text":"Invalid data format","code":6}`. */
  reason: string;
  sink: string;
  status?: number;
}

export interface DeliveryResult {
  delivered: Alert[];
  deadLettered: DeadLetter[];
}

export interface RetryInfo {
  sink: string;
  /** The attempt that just failed (1-based). */
  attempt: number;
  delayMs: number;
  batchSize: number;
  error: DeliveryError;
}

export interface RetryPolicy {
  /** Total attempts per batch, including the first one. >= 1. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound applied to a server's Retry-After. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Defaults to sink.maxBatchSize. */
  batchSize?: number;
  /** Split batches rejected with these statuses to isolate bad alerts. Default [400, 413, 422]. */
  splitOnStatus?: readonly number[];
  /** What to do when retries are exhausted. Default 'throw'. */
  onExhausted?: 'throw' | 'dead-letter';
  /** Injectable for tests. Default Math.random. */
  random?: () => number;
  /** Injectable for tests. Default: setTimeout-based, abortable. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborts waiting between retries (e.g. shutdown); deliverWithRetry then throws. */
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
});

/** Retries exhausted for a batch; nothing should be committed for these alerts. */
export class DeliveryExhaustedError extends Error {
  constructor(
    readonly sink: string,
    readonly attempts: number,
    readonly lastError: DeliveryError,
    /** Alerts of the failing batch. */
    readonly pending: Alert[],
    /** What had been settled before giving up (delivered or dead-lettered). */
    readonly partial: DeliveryResult,
  ) {
    super(`${sink}: delivery failed after ${attempts} attempt(s): ${lastError.message}`, { cause: lastError });
    this.name = 'DeliveryExhaustedError';
  }
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Full-jitter backoff delay for the retry after failed attempt `attempt` (1-based). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

function validatePolicy(p: RetryPolicy): void {
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) throw new RangeError('maxAttempts must be an integer >= 1');
  if (!(p.baseDelayMs >= 0) || !(p.maxDelayMs >= 0)) throw new RangeError('baseDelayMs and maxDelayMs must be >= 0');
  if (p.batchSize !== undefined && (!Number.isInteger(p.batchSize) || p.batchSize < 1)) {
    throw new RangeError('batchSize must be an integer >= 1');
  }
}

export async function deliverWithRetry(
  sink: SiemSink,
  alerts: readonly Alert[],
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<DeliveryResult> {
  validatePolicy(policy);
  const random = policy.random ?? Math.random;
  const sleep = policy.sleep ?? defaultSleep;
  const maxRetryAfterMs = policy.maxRetryAfterMs ?? 60_000;
  const splitOn = new Set(policy.splitOnStatus ?? [400, 413, 422]);
  const batchSize = Math.max(1, Math.min(policy.batchSize ?? sink.maxBatchSize, sink.maxBatchSize));
  const result: DeliveryResult = { delivered: [], deadLettered: [] };

  const deadLetter = (batch: Alert[], err: DeliveryError) => {
    for (const alert of batch) {
      const dl: DeadLetter = { alert, reason: err.message, sink: sink.name };
      if (err.status !== undefined) dl.status = err.status;
      result.deadLettered.push(dl);
    }
  };

  // Work queue (front = next). Split halves are pushed to the front to keep order.
  const queue: Alert[][] = [];
  for (let i = 0; i < alerts.length; i += batchSize) queue.push(alerts.slice(i, i + batchSize));

  while (queue.length > 0) {
    const batch = queue.shift()!;
    for (let attempt = 1; ; attempt++) {
      policy.signal?.throwIfAborted();
      let err: DeliveryError;
      try {
        await sink.send(batch);
        result.delivered.push(...batch);
        break;
      } catch (e) {
        err = toDeliveryError(sink.name, e);
      }

      if (err instanceof PermanentDeliveryError || !err.retryable) {
        if (batch.length > 1 && err.status !== undefined && splitOn.has(err.status)) {
          const mid = Math.ceil(batch.length / 2);
          queue.unshift(batch.slice(0, mid), batch.slice(mid));
        } else {
          deadLetter(batch, err);
        }
        break;
      }

      if (attempt >= policy.maxAttempts) {
        if (policy.onExhausted === 'dead-letter') {
          deadLetter(batch, err);
          break;
        }
        throw new DeliveryExhaustedError(sink.name, attempt, err, batch, result);
      }

      const retryAfter = err instanceof RetryableDeliveryError ? err.retryAfterMs : undefined;
      const delayMs = retryAfter !== undefined
        ? Math.min(retryAfter, maxRetryAfterMs)
        : backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs, random);
      policy.onRetry?.({ sink: sink.name, attempt, delayMs, batchSize: batch.length, error: err });
      await sleep(delayMs, policy.signal);
    }
  }
  return result;
}
