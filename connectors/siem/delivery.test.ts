import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from './alert.js';
import { DeliveryExhaustedError, backoffDelay, deliverWithRetry, type RetryPolicy } from './delivery.js';
import { PermanentDeliveryError, RetryableDeliveryError, parseRetryAfter, toDeliveryError } from './errors.js';
import { SplunkHecSink, WebhookSink, type SiemSink } from './sinks.js';
import { makeAlert, startHttpServer } from './testkit.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function policy(over: Partial<RetryPolicy> = {}) {
  const sleeps: number[] = [];
  const p: RetryPolicy = {
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...over,
  };
  return { p, sleeps };
}

const alerts = (n: number): Alert[] => Array.from({ length: n }, (_, i) => makeAlert({ alert_id: `id-${i}` }));

async function hec(respond: Parameters<typeof startHttpServer>[0], over: { timeoutMs?: number; maxBatchSize?: number } = {}) {
  const srv = await startHttpServer(respond);
  cleanups.push(srv.close);
  const sink = new SplunkHecSink({ url: srv.url, token: 't', timeoutMs: over.timeoutMs ?? 1000, maxBatchSize: over.maxBatchSize ?? 100 });
  return { srv, sink };
}

describe('deliverWithRetry over a real HTTP receiver', () => {
  it('503, 503, 200 -> delivered once after 3 attempts with jittered exponential backoff', async () => {
    const { srv, sink } = await hec((_r, n) => (n <= 2 ? { status: 503, body: '{"text":"Server is busy","code":9}' } : { status: 200 }));
    const onRetry = vi.fn();
    const { p, sleeps } = policy({ onRetry });
    const [a] = alerts(1);
    const res = await deliverWithRetry(sink, [a], p);
    expect(res).toEqual({ delivered: [a], deadLettered: [] });
    expect(srv.requests).toHaveLength(3);
    // full jitter with random()=0.5: 0.5*min(1000, 100*2^0), 0.5*min(1000, 100*2^1)
    expect(sleeps).toEqual([50, 100]);
    expect(onRetry.mock.calls.map((c) => [c[0].attempt, c[0].delayMs, c[0].error.status])).toEqual([[1, 50, 503], [2, 100, 503]]);
  });

  it('429 with Retry-After is honoured instead of the backoff', async () => {
    const { srv, sink } = await hec((_r, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 }));
    const { p, sleeps } = policy();
    const res = await deliverWithRetry(sink, alerts(1), p);
    expect(res.delivered).toHaveLength(1);
    expect(srv.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
  });

  it('Retry-After is capped by maxRetryAfterMs', async () => {
    const { sink } = await hec((_r, n) => (n === 1 ? { status: 503, headers: { 'Retry-After': '3600' } } : { status: 200 }));
    const { p, sleeps } = policy({ maxRetryAfterMs: 5000 });
    await deliverWithRetry(sink, alerts(1), p);
    expect(sleeps).toEqual([5000]);
  });

  it('408 is retryable', async () => {
    const { srv, sink } = await hec((_r, n) => (n === 1 ? { status: 408 } : { status: 200 }));
    const { p } = policy();
    expect((await deliverWithRetry(sink, alerts(1), p)).delivered).toHaveLength(1);
    expect(srv.requests).toHaveLength(2);
  });

  it('400 -> dead-lettered with the reason, no retry', async () => {
    const { srv, sink } = await hec(() => ({ status: 400, body: '{"text":"Invalid data format","code":6,"invalid-event-number":0}' }));
    const { p, sleeps } = policy();
    const [a] = alerts(1);
    const res = await deliverWithRetry(sink, [a], p);
    expect(res.delivered).toEqual([]);
    expect(res.deadLettered).toEqual([{
      alert: a,
      sink: 'splunk-hec',
      status: 400,
      reason: 'splunk-hec: HTTP 400: {"text":"Invalid data format","code":6,"invalid-event-number":0}',
    }]);
    expect(srv.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('a 400 batch is bisected so only the poison alert is dead-lettered', async () => {
    const { srv, sink } = await hec((r) => (r.body.includes('"alert_id":"id-2"') ? { status: 400, body: 'bad event' } : { status: 200 }));
    const { p, sleeps } = policy();
    const input = alerts(4);
    const res = await deliverWithRetry(sink, input, p);
    expect(res.delivered.map((a) => a.alert_id)).toEqual(['id-0', 'id-1', 'id-3']);
    expect(res.deadLettered.map((d) => [d.alert.alert_id, d.reason])).toEqual([['id-2', 'splunk-hec: HTTP 400: bad event']]);
    // [0,1,2,3] 400 -> [0,1] ok, [2,3] 400 -> [2] 400, [3] ok
    expect(srv.requests.map((r) => r.body.split('\n').length)).toEqual([4, 2, 2, 1, 1]);
    expect(sleeps).toEqual([]);
  });

  it('401 dead-letters the whole batch without splitting or retrying', async () => {
    const { srv, sink } = await hec(() => ({ status: 401, body: '{"text":"Invalid token","code":4}' }));
    const { p } = policy();
    const res = await deliverWithRetry(sink, alerts(3), p);
    expect(res.deadLettered).toHaveLength(3);
    expect(res.deadLettered[0].reason).toBe('splunk-hec: HTTP 401: {"text":"Invalid token","code":4}');
    expect(srv.requests).toHaveLength(1);
  });

  it('exhausted retries throw DeliveryExhaustedError (nothing to commit)', async () => {
    const { srv, sink } = await hec(() => ({ status: 500, body: 'boom' }));
    const { p, sleeps } = policy({ maxAttempts: 3 });
    const err = await deliverWithRetry(sink, alerts(2), p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryExhaustedError);
    const ex = err as DeliveryExhaustedError;
    expect(ex.attempts).toBe(3);
    expect(ex.pending.map((a) => a.alert_id)).toEqual(['id-0', 'id-1']);
    expect(ex.message).toBe('splunk-hec: delivery failed after 3 attempt(s): splunk-hec: HTTP 500: boom');
    expect(srv.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it("onExhausted: 'dead-letter' dead-letters after the last attempt", async () => {
    const { sink } = await hec(() => ({ status: 503 }));
    const { p } = policy({ maxAttempts: 2, onExhausted: 'dead-letter' });
    const res = await deliverWithRetry(sink, alerts(1), p);
    expect(res.deadLettered.map((d) => [d.reason, d.status])).toEqual([['splunk-hec: HTTP 503', 503]]);
  });

  it('timeouts are bounded: a hanging receiver fails within attempts x timeout', async () => {
    const srv = await startHttpServer(() => 'hang');
    cleanups.push(srv.close);
    const sink = new WebhookSink({ url: srv.url, secret: 'x'.repeat(32), timeoutMs: 100, maxBatchSize: 10 });
    const { p } = policy({ maxAttempts: 3 });
    const t0 = Date.now();
    const err = await deliverWithRetry(sink, alerts(1), p).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(DeliveryExhaustedError);
    expect((err as DeliveryExhaustedError).lastError.message).toBe('webhook: timeout after 100 ms');
    expect(srv.requests).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(290); // the receiver never answers: each attempt ended at its timeout
  });

  it('splits the input into batches of policy.batchSize (capped by the sink)', async () => {
    const { srv, sink } = await hec(() => ({ status: 200 }), { maxBatchSize: 3 });
    const { p } = policy({ batchSize: 2 });
    const res = await deliverWithRetry(sink, alerts(5), p);
    expect(res.delivered).toHaveLength(5);
    expect(srv.requests.map((r) => r.body.split('\n').length)).toEqual([2, 2, 1]);
    const { p: p2 } = policy({ batchSize: 50 });
    srv.requests.length = 0;
    await deliverWithRetry(sink, alerts(5), p2);
    expect(srv.requests.map((r) => r.body.split('\n').length)).toEqual([3, 2]);
  });
});

describe('deliverWithRetry with scripted sinks', () => {
  function scripted(results: Array<unknown | undefined>): SiemSink & { calls: number } {
    const s = {
      name: 'fake',
      maxBatchSize: 10,
      calls: 0,
      async send() {
        const r = results[s.calls++];
        if (r !== undefined) throw r;
      },
      async close() {},
    };
    return s;
  }

  it('network errors are retried', async () => {
    const e = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const sink = scripted([new TypeError('fetch failed', { cause: e }), undefined]);
    const { p } = policy();
    const onRetry = vi.fn();
    const res = await deliverWithRetry(sink, alerts(1), { ...p, onRetry });
    expect(res.delivered).toHaveLength(1);
    expect(sink.calls).toBe(2);
    expect(onRetry.mock.calls[0][0].error.message).toBe('fake: network error ECONNRESET: read ECONNRESET');
  });

  it('unknown errors are retried, then surface (never silently dead-lettered)', async () => {
    const sink = scripted([new TypeError('x is undefined'), new TypeError('x is undefined')]);
    const { p } = policy({ maxAttempts: 2 });
    await expect(deliverWithRetry(sink, alerts(1), p)).rejects.toThrow('fake: delivery failed after 2 attempt(s): fake: TypeError: x is undefined');
  });

  it('an abort signal stops waiting between retries', async () => {
    const sink = scripted([new RetryableDeliveryError('busy'), undefined]);
    const ac = new AbortController();
    const { p } = policy({ signal: ac.signal, sleep: async () => ac.abort(new Error('shutdown')) });
    await expect(deliverWithRetry(sink, alerts(1), p)).rejects.toThrow('shutdown');
    expect(sink.calls).toBe(1);
  });

  it('empty input sends nothing', async () => {
    const sink = scripted([]);
    expect(await deliverWithRetry(sink, [], policy().p)).toEqual({ delivered: [], deadLettered: [] });
    expect(sink.calls).toBe(0);
  });

  it('rejects invalid policies', async () => {
    await expect(deliverWithRetry(scripted([]), alerts(1), { maxAttempts: 0, baseDelayMs: 1, maxDelayMs: 1 })).rejects.toThrow(RangeError);
  });
});

describe('backoff and classification helpers', () => {
  it('full jitter: uniform in [0, min(max, base*2^(n-1)))', () => {
    expect(backoffDelay(1, 100, 1000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 1000, () => 0.999)).toBe(399);
    expect(backoffDelay(10, 100, 1000, () => 0.999)).toBe(999);
    expect(backoffDelay(10, 100, 1000, () => 0)).toBe(0);
  });

  it('parses Retry-After seconds and HTTP-dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 08:00:00 GMT'))).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('classifies timeouts as retryable and keeps DeliveryErrors', () => {
    const t = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(toDeliveryError('s', t)).toBeInstanceOf(RetryableDeliveryError);
    const perm = new PermanentDeliveryError('nope', { status: 403 });
    expect(toDeliveryError('s', perm)).toBe(perm);
  });
});
