import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { intSetting } from '../config.js';
import { fromRoot } from '../paths.js';

const MIGRATIONS = fromRoot('infra/postgres/migrations');

/**
 * Applies infra/postgres/migrations/NNNN_name.sql in order, each once, each in its own transaction,
 * recorded in schema_migrations. An advisory lock lets several processes call it at start-up safely.
 */
export async function migrate(client: pg.ClientBase, log: (line: string) => void = () => {}): Promise<string[]> {
  const files = readdirSync(MIGRATIONS).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  await client.query('SELECT pg_advisory_lock(727001)');
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f))) {
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(join(MIGRATIONS, file), 'utf8'));
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
      log(`applied ${file}`);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(727001)');
  }
}

/**
 * Start-up of a process that needs PostgreSQL: waits for the server (retrying the connection with backoff up
 * to SOCFLOW_DB_STARTUP_TIMEOUT_MS, default 5 minutes, with a line per failed try), then migrates. A stage
 * started while PostgreSQL restarts or fails over then comes up on its own instead of exiting.
 */
export async function migrateWhenReady(pool: pg.Pool, log: (line: string) => void = () => {}, timeoutMs = intSetting('SOCFLOW_DB_STARTUP_TIMEOUT_MS', 300_000, 0, 86_400_000)): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1, waitMs = 250; ; attempt++, waitMs = Math.min(waitMs * 2, 5000)) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      const reason = (err as Error).message || (err as NodeJS.ErrnoException).code || String(err);
      if (Date.now() + waitMs > deadline) throw new Error(`PostgreSQL is not reachable after ${attempt} attempts in ${Math.round(timeoutMs / 1000)} s: ${reason}`);
      log(`PostgreSQL not reachable (attempt ${attempt}: ${reason}); retrying in ${waitMs} ms`);
      await sleep(waitMs);
      continue;
    }
    try {
      return await migrate(client, log);
    } finally {
      client.release();
    }
  }
}
