import type pg from 'pg';
import { ApiError } from '../errors.js';

/**
 * Keyset pagination shared by the list routes: newest first by (timestamp column, id column), with an opaque
 * cursor naming the last row of the previous page. Keyset rather than OFFSET so a page is one index range scan
 * however deep the client pages, and rows inserted meanwhile never shift a page.
 */
export const MAX_LIMIT = 200;

/** The querystring properties every list route accepts. */
export const pageQuerystring = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 50 },
  cursor: { type: 'string', minLength: 1, maxLength: 400, pattern: '^[A-Za-z0-9_-]+$' },
} as const;

/** The cursor: (timestamp in µs since the epoch, id) of the last row, base64url. */
export function encodeCursor(us: string, id: string): string {
  return Buffer.from(`${us}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { us: string; id: string } {
  const m = /^(-?\d{1,19}):([^\u0000]{1,200})$/su.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ApiError(400, 'invalid_request', 'invalid cursor (pass next_cursor of the previous page unchanged)', [{ field: 'querystring.cursor', problem: 'not a cursor' }]);
  return { us: m[1], id: m[2] };
}

/** WHERE clauses with their positional parameters ($1, $2, … in the order added): values never enter the SQL text. */
export class SqlFilter {
  readonly params: unknown[] = [];
  private readonly clauses: string[] = [];

  /** `clause` receives one placeholder per value. */
  add(clause: (...placeholders: string[]) => string, ...values: unknown[]): void {
    const placeholders = values.map((v) => `$${this.params.push(v)}`);
    this.clauses.push(clause(...placeholders));
  }

  whereSql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

export interface PageSpec {
  /** Selected columns; must include the time column in µs as text AS cursor_us. */
  columns: string;
  table: string;
  timeColumn: string;
  idColumn: string;
  limit: number;
  cursor?: string;
}

/** One page of rows newest first, and the cursor of the next page (null on the last). */
export async function queryPage<Row extends { cursor_us: string }>(pool: pg.Pool, spec: PageSpec, filter: SqlFilter): Promise<{ rows: Row[]; nextCursor: string | null }> {
  if (spec.cursor) {
    const { us, id } = decodeCursor(spec.cursor);
    filter.add((u, i) => `(${spec.timeColumn}, ${spec.idColumn}) < ('epoch'::timestamptz + ${u}::bigint * interval '1 microsecond', ${i})`, us, id);
  }
  filter.params.push(spec.limit + 1);
  const { rows } = await pool.query<Row>(
    `SELECT ${spec.columns} FROM ${spec.table} ${filter.whereSql()} ORDER BY ${spec.timeColumn} DESC, ${spec.idColumn} DESC LIMIT $${filter.params.length}`,
    filter.params,
  );
  const page = rows.slice(0, spec.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > spec.limit && last ? encodeCursor(last.cursor_us, String((last as Record<string, unknown>)[spec.idColumn])) : null };
}
