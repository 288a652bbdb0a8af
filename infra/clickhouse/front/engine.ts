/**
 * The embedded ClickHouse engine (chdb) as the front uses it: one data directory per process,
 * one long-lived "anchor" connection that holds the directory, and cheap per-request
 * connections (each carries its own settings and current database, and is thrown away after
 * the request — the same isolation a ClickHouse server gives each HTTP query).
 *
 * Two things the public chdb API cannot express exactly are taken from its native addon,
 * with a fallback when the addon does not have them:
 *  - query parameters as the raw `param_<name>` strings ClickHouse's HTTP interface receives
 *    (the public queryBind re-escapes values it is given, which double-escapes what
 *    @clickhouse/client already escaped);
 *  - raw INSERT passthrough (statement + body bytes, no string concatenation), which also
 *    reports written rows/bytes for X-ClickHouse-Summary.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Session, drainPending } from 'chdb';

export interface EngineResult {
  bytes: Buffer;
  elapsedSec: number;
  rowsRead: number;
  bytesRead: number;
  rowsWritten: number;
  bytesWritten: number;
}

interface NativeQueryResult {
  bytes: Uint8Array;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}
interface NativeInsertResult {
  elapsed: number;
  rowsWritten: number;
  bytesWritten: number;
}
interface NativeAddon {
  QueryAsyncConnection(conn: unknown, sql: string, format: string, params?: Record<string, string>): Promise<NativeQueryResult>;
  InsertRawAsyncConnection(conn: unknown, prefix: string, payload: Buffer, countLines: boolean): Promise<NativeInsertResult>;
}

function loadNativeAddon(): NativeAddon | undefined {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('chdb'));
    const loader = require(join(root, 'dist', 'loader.js')) as { loadNative(): Partial<NativeAddon> };
    const addon = loader.loadNative();
    if (typeof addon.QueryAsyncConnection === 'function' && typeof addon.InsertRawAsyncConnection === 'function') {
      return addon as NativeAddon;
    }
  } catch {
    // fall back to the public API
  }
  return undefined;
}

const native = loadNativeAddon();

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Undo TSV escaping of a top-level param value (fallback path only: the public binder re-escapes). */
function tsvUnescape(s: string): string {
  const map: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', "'": "'" };
  return s.replace(/\\(.)/g, (_, c: string) => map[c] ?? c);
}

/** One engine connection: its own settings, current database and query-parameter state. */
export class EngineConnection {
  #session: Session | undefined;

  constructor(session: Session) {
    this.#session = session;
  }

  get open(): boolean {
    return this.#session !== undefined;
  }

  #live(): Session {
    if (!this.#session) throw new Error('engine connection is closed');
    return this.#session;
  }

  async query(sql: string, format: string, params?: Record<string, string>): Promise<EngineResult> {
    const session = this.#live();
    const hasParams = params !== undefined && Object.keys(params).length > 0;
    if (native) {
      const raw = hasParams
        ? await native.QueryAsyncConnection(session.connection, sql, format, params)
        : await native.QueryAsyncConnection(session.connection, sql, format);
      return {
        bytes: toBuffer(raw.bytes),
        elapsedSec: raw.elapsed,
        rowsRead: raw.rowsRead,
        bytesRead: raw.bytesRead,
        rowsWritten: 0,
        bytesWritten: 0,
      };
    }
    const r = hasParams
      ? await session.queryBindAsync(sql, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v === '\\N' ? null : tsvUnescape(v)])), { format })
      : await session.queryAsync(sql, { format });
    return { bytes: toBuffer(r.bytes()), elapsedSec: r.elapsed, rowsRead: r.rowsRead, bytesRead: r.bytesRead, rowsWritten: 0, bytesWritten: 0 };
  }

  /** `INSERT … FORMAT x` / `INSERT … VALUES` with its data as raw bytes. */
  async insert(statement: string, data: Buffer): Promise<EngineResult> {
    const session = this.#live();
    if (native) {
      const raw = await native.InsertRawAsyncConnection(session.connection, statement, data, false);
      return {
        bytes: Buffer.alloc(0),
        elapsedSec: raw.elapsed,
        rowsRead: 0,
        bytesRead: 0,
        rowsWritten: raw.rowsWritten ?? 0,
        bytesWritten: raw.bytesWritten ?? 0,
      };
    }
    return this.query(`${statement}\n${data.toString('utf8')}`, 'TabSeparated');
  }

  close(): void {
    const s = this.#session;
    this.#session = undefined;
    s?.close();
  }
}

export class EngineOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineOpenError';
  }
}

/** Data directories this process has open through {@link Engine.open}. */
const openPaths = new Set<string>();

function describeLockHolder(dataPath: string): string | undefined {
  const statusFile = join(dataPath, 'status');
  if (!existsSync(statusFile)) return undefined;
  try {
    const pid = Number(/PID:\s*(\d+)/.exec(readFileSync(statusFile, 'utf8'))?.[1]);
    if (!pid || pid === process.pid) return undefined;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    }
    return `pid ${pid}`;
  } catch {
    return undefined;
  }
}

export class Engine {
  readonly dataPath: string;
  readonly version: string;
  readonly timezone: string;
  #anchor: EngineConnection | undefined;
  #connections = new Set<EngineConnection>();

  private constructor(dataPath: string, anchor: EngineConnection, version: string, timezone: string) {
    this.dataPath = dataPath;
    this.#anchor = anchor;
    this.version = version;
    this.timezone = timezone;
  }

  /** Whether the raw-parameter / raw-insert native paths are available (otherwise public-API fallbacks). */
  static get nativePassthrough(): boolean {
    return native !== undefined;
  }

  /**
   * Opens (or creates) the data directory. Fails with a clear message when another process
   * holds it ("Cannot lock file …/status"), when this process already serves it, or when this
   * process's engine is bound to a different directory (chdb allows one per process).
   */
  static async open(dataPath: string): Promise<Engine> {
    const path = resolve(dataPath);
    if (openPaths.has(path)) {
      throw new EngineOpenError(`data directory ${path} is already served by a clickhouse front in this process`);
    }
    mkdirSync(path, { recursive: true });
    let session: Session;
    try {
      session = new Session(path);
    } catch (err) {
      const holder = describeLockHolder(path);
      const detail = err instanceof Error ? err.message : String(err);
      if (holder) {
        throw new EngineOpenError(
          `data directory ${path} is locked by another ClickHouse engine (${holder}; Cannot lock file ${join(path, 'status')}). ` +
            'Only one process can open a chdb data directory: point clients at the front that owns it, or stop that process.',
          { cause: err },
        );
      }
      if (openPaths.size > 0) {
        throw new EngineOpenError(
          `cannot open ${path}: this process already runs the embedded engine on ${[...openPaths][0]} (chdb binds one data directory per process)`,
          { cause: err },
        );
      }
      throw new EngineOpenError(`cannot open the embedded ClickHouse engine on ${path}: ${detail} (see the engine's message on stderr)`, {
        cause: err,
      });
    }
    openPaths.add(path);
    const anchor = new EngineConnection(session);
    try {
      const r = await anchor.query('SELECT version(), timezone()', 'TabSeparated');
      const [version = 'unknown', timezone = 'UTC'] = r.bytes.toString('utf8').trim().split('\t');
      return new Engine(path, anchor, version, timezone);
    } catch (err) {
      anchor.close();
      openPaths.delete(path);
      await drainPending();
      throw new EngineOpenError(`the embedded ClickHouse engine on ${path} does not answer: ${(err as Error).message}`, { cause: err });
    }
  }

  get closed(): boolean {
    return this.#anchor === undefined;
  }

  /** A fresh connection (about a millisecond): own settings and current database; close it when done. */
  connect(): EngineConnection {
    if (!this.#anchor) throw new Error('engine is closed');
    const conn = new EngineConnection(new Session(this.dataPath));
    this.#connections.add(conn);
    return conn;
  }

  release(conn: EngineConnection): void {
    this.#connections.delete(conn);
    conn.close();
  }

  /** Closes every connection and the anchor; the engine shuts down and unlocks the directory. */
  async close(): Promise<void> {
    if (!this.#anchor) return;
    for (const c of this.#connections) c.close();
    this.#connections.clear();
    this.#anchor.close();
    this.#anchor = undefined;
    await drainPending();
    openPaths.delete(this.dataPath);
  }
}
