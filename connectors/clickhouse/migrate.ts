import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../lib/paths.js';
import { chTime, type ClickhouseOptions, clickhouseDatabase, clickhouseTtlDays, createClickhouse, quoteIdentifier } from './client.js';
import { splitStatements, substitute } from './sql.js';

export const MIGRATIONS_DIR = fromRoot('infra/clickhouse/migrations');
const FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: string;
  checksum: string;
  statements: string[];
}

/** The migration files in order, with `{ttl_days}` substituted and split into statements. */
export function loadMigrations(ttlDays: number, dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => FILE.test(f))
    .sort()
    .map((version) => {
      const text = readFileSync(join(dir, version), 'utf8');
      return {
        version,
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(substitute(text, { ttl_days: ttlDays })),
      };
    });
}

export interface MigrateResult {
  database: string;
  applied: string[];
  /** Applied earlier, but the file has changed since (a changed migration is never re-run). */
  changed: string[];
  /** Things an operator should know: changed files, a TTL setting other than the one the tables were created with. */
  warnings: string[];
}

/**
 * Creates the database, then applies infra/clickhouse/migrations/NNNN_name.sql in order, each once,
 * recorded in schema_migrations (version, checksum, settings). ClickHouse has no DDL transactions and no
 * locks, so every statement is written to be idempotent (IF NOT EXISTS; backfills into uniqExact states):
 * a half-applied migration is simply run again, and sinks starting together may race harmlessly.
 */
export async function migrateClickhouse(opts: ClickhouseOptions & { log?: (line: string) => void; dir?: string } = {}): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const database = clickhouseDatabase(opts);
  const ttlDays = clickhouseTtlDays(opts);
  const migrations = loadMigrations(ttlDays, opts.dir);
  const admin = createClickhouse({ ...opts, noDatabase: true });
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
  } finally {
    await admin.close();
  }
  const client = createClickhouse({ ...opts, database });
  try {
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations
              (version String, checksum String, settings String, applied_at DateTime64(3, 'UTC'))
              ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
    });
    const rs = await client.query({
      query: 'SELECT version, argMin(checksum, applied_at) AS checksum, argMin(settings, applied_at) AS settings FROM schema_migrations GROUP BY version',
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ version: string; checksum: string; settings: string }>();
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    const result: MigrateResult = { database, applied: [], changed: [], warnings: [] };
    const ttlsApplied = new Set(rows.map((r) => ttlOf(r.settings)).filter((d): d is number => d !== undefined));
    for (const m of migrations) {
      const known = done.get(m.version);
      if (known !== undefined) {
        if (known !== m.checksum) result.changed.push(m.version);
        continue;
      }
      for (const [i, statement] of m.statements.entries()) {
        try {
          await client.command({ query: statement });
        } catch (err) {
          throw new Error(`clickhouse migration ${m.version} statement ${i + 1} failed: ${(err as Error).message}`);
        }
      }
      await client.insert({
        table: 'schema_migrations',
        values: [{ version: m.version, checksum: m.checksum, settings: JSON.stringify({ ttl_days: ttlDays }), applied_at: chTime(Date.now()) }],
        format: 'JSONEachRow',
      });
      result.applied.push(m.version);
      log(`applied ${m.version} (${m.statements.length} statements) to ${database}`);
    }
    for (const v of result.changed) result.warnings.push(`${v} has changed since it was applied to ${database}; add a new migration instead`);
    const other = [...ttlsApplied].filter((d) => d !== ttlDays);
    if (other.length) {
      result.warnings.push(
        `tables in ${database} were created with a TTL of ${other.join(', ')} days, CLICKHOUSE_TTL_DAYS is now ${ttlDays}; ` +
          'the TTL of existing tables changes only with ALTER TABLE … MODIFY TTL (a new migration)',
      );
    }
    for (const w of result.warnings) log(`warning: ${w}`);
    return result;
  } finally {
    await client.close();
  }
}

function ttlOf(settings: string): number | undefined {
  try {
    const days = (JSON.parse(settings) as { ttl_days?: unknown }).ttl_days;
    return typeof days === 'number' ? days : undefined;
  } catch {
    return undefined;
  }
}
