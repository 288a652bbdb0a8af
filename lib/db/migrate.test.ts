import { createServer, type Server, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/kit.js';
import { migrateWhenReady } from './migrate.js';

/** A TCP port that refuses connections until `open()`, then forwards each one to the real PostgreSQL. */
async function gatedProxy(target: URL): Promise<{ url: string; open(): void; close(): Promise<void> }> {
  let forwarding = false;
  const server: Server = createServer((socket) => {
    if (!forwarding) return socket.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    open: () => (forwarding = true),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('migrateWhenReady (real PostgreSQL)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('waits for a server that comes up late, then applies every migration', async () => {
    const proxy = await gatedProxy(new URL(await freshDatabase('migrate-late')));
    cleanup.push(proxy.close);
    const pool = new pg.Pool({ connectionString: proxy.url, connectionTimeoutMillis: 2000, max: 2 });
    cleanup.push(() => pool.end());
    const lines: string[] = [];
    setTimeout(proxy.open, 1500);
    const applied = await migrateWhenReady(pool, (l) => lines.push(l), 60_000);
    expect(lines.some((l) => /^PostgreSQL not reachable \(attempt 1: .+\); retrying in 250 ms$/.test(l))).toBe(true);
    expect(applied.length).toBeGreaterThan(0);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM schema_migrations');
    expect(Number(rows[0].n)).toBe(applied.length);
  });

  it('gives up at its deadline with the number of attempts and the cause', async () => {
    const proxy = await gatedProxy(new URL(await freshDatabase('migrate-never')));
    cleanup.push(proxy.close);
    const pool = new pg.Pool({ connectionString: proxy.url, connectionTimeoutMillis: 1000, max: 1 });
    cleanup.push(() => pool.end());
    await expect(migrateWhenReady(pool, () => {}, 1200)).rejects.toThrow(/^PostgreSQL is not reachable after \d+ attempts in 1 s: /);
  });
});
