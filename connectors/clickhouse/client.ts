import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { ConfigError, intSetting, requireSetting, setting } from '../../lib/config.js';

/** Settings of the ClickHouse connection; each falls back to the environment (CLICKHOUSE_*). */
export interface ClickhouseOptions {
  /** HTTP endpoint (CLICKHOUSE_URL): a ClickHouse server, or the local front over the embedded engine. */
  url?: string;
  /** Database for every table and view (CLICKHOUSE_DATABASE, default socflow). */
  database?: string;
  /** Row TTL in days applied by the migrations (CLICKHOUSE_TTL_DAYS, default 90). */
  ttlDays?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function clickhouseUrl(opts: ClickhouseOptions = {}): string {
  return opts.url ?? requireSetting('CLICKHOUSE_URL', 'the ClickHouse HTTP endpoint');
}

export function clickhouseDatabase(opts: ClickhouseOptions = {}): string {
  const name = opts.database ?? setting('CLICKHOUSE_DATABASE') ?? 'socflow';
  if (!IDENTIFIER.test(name)) throw new ConfigError(`CLICKHOUSE_DATABASE must match ${IDENTIFIER.source}, got "${name}"`);
  return name;
}

export function clickhouseTtlDays(opts: ClickhouseOptions = {}): number {
  const days = opts.ttlDays ?? intSetting('CLICKHOUSE_TTL_DAYS', 90, 1, 36_500);
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new ConfigError(`CLICKHOUSE_TTL_DAYS must be an integer between 1 and 36500, got "${days}"`);
  return days;
}

/**
 * A plain @clickhouse/client for the socflow database (or, with `database: null`, for none: to create it).
 * The client's own error logging is off: callers report errors once, with context.
 */
export function createClickhouse(opts: ClickhouseOptions & { noDatabase?: boolean } = {}): ClickHouseClient {
  return createClient({
    url: clickhouseUrl(opts),
    database: opts.noDatabase ? undefined : clickhouseDatabase(opts),
    request_timeout: 120_000,
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: {
      // Identical on a server and on the embedded engine; DateTime64 values are sent as 'YYYY-MM-DD hh:mm:ss.sss' UTC.
      date_time_input_format: 'basic',
    },
  });
}

export const quoteIdentifier = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

// DateTime64's range: a value outside it (which normalize would have rejected) is clamped rather than
// failing the whole batch, which the sink runtime would retry forever.
const MIN_TIME_MS = Date.UTC(1900, 0, 1);
const MAX_TIME_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/** UTC milliseconds → the DateTime64(3) text ClickHouse parses under every date_time_input_format. */
export function chTime(ms: number): string {
  const clamped = Number.isFinite(ms) ? Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, Math.trunc(ms))) : 0;
  return new Date(clamped).toISOString().replace('T', ' ').replace('Z', '');
}
