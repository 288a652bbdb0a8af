import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { createKafka } from '../lib/kafka/client.js';

/** One dependency probe; it should honour the signal (aborted at the timeout). */
export interface HealthCheck {
  name: string;
  check(signal: AbortSignal): Promise<void>;
}

export interface PartHealth {
  status: 'up' | 'down';
  latency_ms: number;
  /** Why it is down — a short reason (timeout, error code, HTTP status), never data or credentials. */
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  parts: Record<string, PartHealth>;
  failed: string[];
}

/** Runs every check in parallel, each bounded by `timeoutMs` (a check that ignores its signal is abandoned). */
export async function runHealthChecks(checks: HealthCheck[], timeoutMs: number): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c): Promise<[string, PartHealth]> => {
      const started = performance.now();
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`timeout after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        await Promise.race([c.check(controller.signal), timeout]);
        return [c.name, { status: 'up', latency_ms: elapsed(started) }];
      } catch (err) {
        return [c.name, { status: 'down', latency_ms: elapsed(started), error: reason(err, timeoutMs, controller.signal.aborted) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const parts = Object.fromEntries(results);
  const failed = results.filter(([, h]) => h.status === 'down').map(([n]) => n);
  return { status: failed.length ? 'degraded' : 'ok', parts, failed };
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

function reason(err: unknown, timeoutMs: number, aborted: boolean): string {
  if (aborted) return `timeout after ${timeoutMs} ms`;
  const e = err as { code?: unknown; cause?: { code?: unknown }; name?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (code && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  if (e instanceof HttpStatusError) return e.message;
  return e?.name && /^[A-Za-z]{1,60}$/.test(e.name) ? e.name : 'error';
}

class HttpStatusError extends Error {
  constructor(status: number) {
    super(`HTTP ${status}`);
  }
}

/** GET url, ok on 2xx; credentials in the URL become a Basic authorization header (fetch refuses them inline). */
export async function httpProbe(url: string, signal: AbortSignal): Promise<void> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const res = await fetch(u, { headers, signal });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new HttpStatusError(res.status);
}

export function postgresCheck(pool: pg.Pool): HealthCheck {
  return { name: 'postgres', check: async () => void (await pool.query({ text: 'SELECT 1', query_timeout: 5000 } as pg.QueryConfig)) };
}

export function httpCheck(name: string, url: string): HealthCheck {
  return { name, check: (signal) => httpProbe(url, signal) };
}

/** describeCluster over one admin client, connected on first use and rebuilt after a failure. */
export function kafkaCheck(): HealthCheck & { close(): Promise<void> } {
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const connect = () =>
    (connecting ??= (async () => {
      const a = createKafka('socflow-api-health', { connectionTimeout: 1500, requestTimeout: 2000, retry: { retries: 0 } }).admin();
      await a.connect();
      admin = a;
      return a;
    })());
  const reset = async () => {
    const a = admin;
    admin = undefined;
    connecting = undefined;
    await a?.disconnect().catch(() => undefined);
  };
  return {
    name: 'kafka',
    async check() {
      try {
        const a = await connect();
        const cluster = await a.describeCluster();
        if (!cluster.brokers.length) throw new Error('no brokers');
      } catch (err) {
        await reset();
        throw err;
      }
    },
    close: reset,
  };
}
