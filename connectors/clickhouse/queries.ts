import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../lib/paths.js';

export const QUERIES_DIR = fromRoot('infra/clickhouse/queries');

export interface QueryParam {
  name: string;
  type: string;
  default: string;
  description: string;
}

export interface SavedQuery {
  name: string;
  description: string;
  params: QueryParam[];
  sql: string;
}

const NAME = /^[a-z][a-z0-9_]*$/;
const PARAM_LINE = /^@param\s+([A-Za-z_]\w*)\s+(\S+)\s*=\s*([^|]*?)\s*(?:\|\s*(.*))?$/;
const USED_PARAM = /\{([A-Za-z_]\w*):\s*([^}]+?)\s*\}/g;

/**
 * Parses a saved query: a header of `--` comment lines (the description, then `@param name Type = default | text`
 * lines), then the SQL, which uses ClickHouse `{name:Type}` parameters. Every parameter the SQL uses
 * must be declared with the same type, so each one has a default.
 */
export function parseSavedQuery(name: string, text: string): SavedQuery {
  const lines = text.split('\n');
  const description: string[] = [];
  const params: QueryParam[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (!line.startsWith('--')) break;
    const body = line.replace(/^--\s?/, '').trim();
    if (body.startsWith('@param')) {
      const m = PARAM_LINE.exec(body);
      if (!m) throw new Error(`saved query ${name}: bad header line "${line}" (expected "-- @param name Type = default | description")`);
      const raw = m[3];
      params.push({ name: m[1], type: m[2], default: /^'.*'$/.test(raw) ? raw.slice(1, -1) : raw, description: m[4] ?? '' });
    } else if (body) description.push(body);
  }
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '');
  if (!sql) throw new Error(`saved query ${name}: no SQL after the header`);
  if (!description.length) throw new Error(`saved query ${name}: the header has no description`);
  for (const m of sql.matchAll(USED_PARAM)) {
    const declared = params.find((p) => p.name === m[1]);
    if (!declared) throw new Error(`saved query ${name}: parameter {${m[1]}:${m[2]}} is not declared in the header`);
    if (declared.type !== m[2]) throw new Error(`saved query ${name}: parameter ${m[1]} is declared ${declared.type} but used as ${m[2]}`);
  }
  return { name, description: description.join(' '), params, sql };
}

export function listSavedQueries(dir = QUERIES_DIR): SavedQuery[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && NAME.test(f.slice(0, -4)))
    .sort()
    .map((f) => parseSavedQuery(f.slice(0, -4), readFileSync(join(dir, f), 'utf8')));
}

export function savedQuery(name: string, dir = QUERIES_DIR): SavedQuery {
  const found = NAME.test(name) ? listSavedQueries(dir).find((q) => q.name === name) : undefined;
  if (!found) throw new Error(`unknown saved query "${name}"; saved queries: ${listSavedQueries(dir).map((q) => q.name).join(', ') || '(none)'}`);
  return found;
}

/** `key=value` strings → a map; a key given twice is an error. */
export function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--param wants key=value, got "${pair}"`);
    const key = pair.slice(0, eq).trim();
    if (!/^[A-Za-z_]\w*$/.test(key)) throw new Error(`--param name "${key}" is not an identifier`);
    if (key in out) throw new Error(`--param ${key} is given twice`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** A saved query's parameter values: the defaults, overridden by the given ones (unknown names are an error). */
export function bindParams(query: SavedQuery, given: Record<string, string>): Record<string, string> {
  const unknown = Object.keys(given).filter((k) => !query.params.some((p) => p.name === k));
  if (unknown.length) {
    throw new Error(`saved query ${query.name} has no parameter ${unknown.join(', ')}; parameters: ${query.params.map((p) => p.name).join(', ') || '(none)'}`);
  }
  return Object.fromEntries(query.params.map((p) => [p.name, given[p.name] ?? p.default]));
}
