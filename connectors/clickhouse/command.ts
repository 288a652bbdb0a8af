import { type ClickHouseClient, ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { type Command, Option } from 'commander';
import { clickhouseDatabase, clickhouseUrl } from './client.js';
import { migrateClickhouse } from './migrate.js';
import { bindParams, listSavedQueries, parseParams, savedQuery } from './queries.js';

export type OutputFormat = 'table' | 'csv' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

export interface QueryRequest {
  /** A saved query name (infra/clickhouse/queries/<name>.sql) … */
  name?: string;
  /** … or ad-hoc SQL. */
  sql?: string;
  params?: Record<string, string>;
  format?: OutputFormat;
  url?: string;
  database?: string;
}

/** A read-only client: readonly=1 is the request's only setting, so the server refuses every write and every SET. */
function readOnlyClient(url: string, database: string): ClickHouseClient {
  return createClient({ url, database, request_timeout: 120_000, log: { level: ClickHouseLogLevel.OFF }, clickhouse_settings: { readonly: '1' } });
}

/** Runs a saved or ad-hoc query read-only and renders the result (table, csv or json), ending in a newline. */
export async function runQuery(req: QueryRequest): Promise<string> {
  if ((req.name === undefined) === (req.sql === undefined)) throw new Error('give a saved query name or --sql "…", not both');
  const format = req.format ?? 'table';
  if (!OUTPUT_FORMATS.includes(format)) throw new Error(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got "${format}"`);
  let sql: string;
  let params: Record<string, string>;
  if (req.name !== undefined) {
    const q = savedQuery(req.name);
    sql = q.sql;
    params = bindParams(q, req.params ?? {});
  } else {
    sql = req.sql!.trim().replace(/;\s*$/, '');
    if (!sql) throw new Error('--sql is empty');
    params = req.params ?? {};
  }
  const database = clickhouseDatabase(req);
  const client = readOnlyClient(clickhouseUrl(req), database);
  try {
    return await render(client, sql, params, format);
  } catch (err) {
    throw explain(err, database);
  } finally {
    await client.close();
  }
}

/** ClickHouse's error, said once, with a hint where there is an obvious next step. */
function explain(err: unknown, database: string): Error {
  if (!(err instanceof ClickHouseError)) return err instanceof Error ? err : new Error(String(err));
  const message = err.message.trim().replace(/^default: /, '');
  if (err.type === 'UNKNOWN_DATABASE') return new Error(`ClickHouse: ${message} (run \`socflow clickhouse migrate\` to create ${database}, or pick one with --database)`);
  if (err.type === 'READONLY') return new Error(`ClickHouse: ${message} (socflow query runs with readonly=1: only SELECT and the like)`);
  return new Error(`ClickHouse: ${message}`);
}

async function render(client: ClickHouseClient, sql: string, params: Record<string, string>, format: OutputFormat): Promise<string> {
  if (format === 'csv') {
    const rs = await client.query({ query: sql, query_params: params, format: 'CSVWithNames' });
    const text = await rs.text();
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  }
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONCompactEachRowWithNamesAndTypes' });
  const [names = [], types = [], ...rows] = await rs.json<unknown[]>();
  const result = { names: names as string[], types: types as string[], rows };
  return format === 'json' ? `${JSON.stringify(toObjects(result), null, 2)}\n` : renderTable(result);
}

interface Result {
  names: string[];
  types: string[];
  rows: unknown[][];
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
const INT64 = /^(Nullable\()?U?Int(64|128|256)\b/;

/** Rows as objects; 64-bit integers (strings in ClickHouse JSON) become numbers when they are exact. */
export function toObjects(r: Result): Record<string, unknown>[] {
  return r.rows.map((row) =>
    Object.fromEntries(
      r.names.map((n, i) => {
        const v = row[i];
        if (typeof v === 'string' && INT64.test(r.types[i] ?? '') && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return [n, Number(v)];
        return [n, v];
      }),
    ),
  );
}

const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** An aligned text table: a header, a rule, numbers right-aligned, a row count. */
export function renderTable(r: Result): string {
  if (!r.names.length) return '(no columns)\n';
  const body = r.rows.map((row) => r.names.map((_, i) => cell(row[i]).replace(/[\r\n\t]/g, ' ')));
  const widths = r.names.map((n, i) => Math.max(n.length, ...body.map((row) => row[i].length)));
  const right = r.types.map((t) => NUMERIC.test(t));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [line(r.names), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`];
  return `${out.join('\n')}\n`;
}

export function renderQueryList(): string {
  const queries = listSavedQueries();
  if (!queries.length) return '(no saved queries)\n';
  const width = Math.max(...queries.map((q) => q.name.length));
  const lines: string[] = [];
  for (const q of queries) {
    lines.push(`${q.name.padEnd(width)}  ${q.description}`);
    for (const p of q.params) lines.push(`${' '.repeat(width)}    --param ${p.name}=<${p.type}> (default ${p.default === '' ? "''" : p.default})${p.description ? `  ${p.description}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `socflow query …` and `socflow clickhouse migrate`. */
export function registerClickhouseCommands(program: Command, out: (s: string) => void = (s) => process.stdout.write(s)): void {
  program
    .command('query')
    .description('Run a saved ClickHouse query (infra/clickhouse/queries/<name>.sql) or ad-hoc read-only SQL')
    .argument('[name]', 'saved query name (see --list)')
    .option('--sql <sql>', 'ad-hoc SQL instead of a saved query; runs with readonly=1, so writes are refused')
    .option('--param <key=value>', 'query parameter {key:Type} (repeatable); saved queries default the ones not given', collect, [] as string[])
    .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS]).default('table'))
    .option('--list', 'list the saved queries with their descriptions and parameters')
    .option('--database <name>', 'ClickHouse database (default CLICKHOUSE_DATABASE or socflow)')
    .addHelpText('after', '\nExamples:\n  socflow query --list\n  socflow query alerts_per_hour --param hours=48\n  socflow query top_agents --format csv\n  socflow query --sql "SELECT severity, count() FROM alerts FINAL GROUP BY severity" --format json\n')
    .action(async (name: string | undefined, opts: { sql?: string; param: string[]; format: OutputFormat; list?: boolean; database?: string }) => {
      if (opts.list) {
        if (name !== undefined || opts.sql !== undefined) throw new Error('--list takes no query');
        out(renderQueryList());
        return;
      }
      out(await runQuery({ name, sql: opts.sql, params: parseParams(opts.param), format: opts.format, database: opts.database }));
    });

  const ch = program.command('clickhouse').description('ClickHouse analytics schema (infra/clickhouse/migrations)');
  ch.command('migrate')
    .description('Create the database and apply pending migrations in order, each once (TTL from CLICKHOUSE_TTL_DAYS, default 90)')
    .option('--database <name>', 'ClickHouse database (default CLICKHOUSE_DATABASE or socflow)')
    .option('--ttl-days <days>', 'row TTL in days for newly created tables (default CLICKHOUSE_TTL_DAYS or 90)')
    .action(async (opts: { database?: string; ttlDays?: string }) => {
      const ttlDays = opts.ttlDays === undefined ? undefined : Number(opts.ttlDays);
      if (ttlDays !== undefined && (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 36_500)) throw new Error(`--ttl-days must be an integer 1..36500, got "${opts.ttlDays}"`);
      const result = await migrateClickhouse({ database: opts.database, ttlDays, log: (line) => (line.startsWith('warning: ') ? process.stderr.write(`${line}\n`) : out(`${line}\n`)) });
      out(result.applied.length ? `${result.applied.length} migration(s) applied to ${result.database}\n` : `schema of ${result.database} up to date\n`);
    });
}
