import pg from 'pg';
import { requireSetting } from '../config.js';
import { createLogger } from '../log.js';

const log = createLogger('socflow-db');

/** A bounded pool with timeouts, from DATABASE_URL. */
export function createPool(max = 5): pg.Pool {
  const pool = new pg.Pool({
    connectionString: requireSetting('DATABASE_URL', 'PostgreSQL connection URL'),
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    query_timeout: 35_000,
  });
  // When the server goes away (restart, failover, shutdown) every idle client gets an error and the pool
  // re-emits it; with no listener Node throws it and the whole process dies. The pool has already dropped
  // that client: the next query opens a new connection, and a failing one is retried by the caller.
  pool.on('error', (err) => log.warn({ err: err.message }, 'an idle PostgreSQL connection was lost; the pool reconnects on next use'));
  return pool;
}

/** Runs `work` in one transaction on a pooled connection: COMMIT if it resolves, ROLLBACK (and rethrow) if it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
