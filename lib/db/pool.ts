import pg from 'pg';
import { requireSetting } from '../config.js';

/** A bounded pool with timeouts, from DATABASE_URL. */
export function createPool(max = 5): pg.Pool {
  return new pg.Pool({
    connectionString: requireSetting('DATABASE_URL', 'PostgreSQL connection URL'),
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    query_timeout: 35_000,
  });
}
