/**
 * The local ClickHouse front: one process owns the embedded engine (chdb) and serves the
 * subset of ClickHouse's HTTP interface that @clickhouse/client 1.x and curl use, so every
 * other process talks to it over plain HTTP with CLICKHOUSE_URL, as to a real server.
 *
 * Security: it binds loopback addresses only and does NOT check credentials — Basic auth,
 * `user`/`password` parameters and X-ClickHouse-User/X-ClickHouse-Key headers are accepted
 * and ignored. Anything that can reach the port can run any statement.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import pino, { type Logger } from 'pino';
import { Engine, type EngineConnection, type EngineResult } from './engine.js';
import {
  ClickhouseProtocolError,
  HTTP_LAYER_SETTINGS,
  PROTOCOL_PARAMS,
  contentTypeForFormat,
  hasMultipleStatements,
  isInsert,
  isInsertAwaitingData,
  parseMultipartFields,
  quoteIdentifier,
  settingAssignment,
  toWireError,
  trailingOutputFormat,
} from './protocol.js';
import { QueueFullError, SerialQueue } from './queue.js';

export type FrontLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ClickhouseFrontOptions {
  /** chdb data directory (created if missing). Only one process may open it. */
  dataPath: string;
  /** Loopback address to bind: 127.0.0.1 (default), another 127.x address, ::1 or localhost. */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `url`). */
  port: number;
  /** Largest accepted request body, after decompression (default 128 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /**
   * Deadline per request, queue wait included (default 60 s). The engine enforces it as
   * max_execution_time; a statement the engine cannot interrupt is answered with
   * TIMEOUT_EXCEEDED one second after the deadline while it finishes in the background.
   */
  queryTimeoutMs?: number;
  /** Requests allowed to wait for the engine before new ones get TOO_MANY_SIMULTANEOUS_QUERIES (default 256). */
  maxQueuedQueries?: number;
  /** Concurrent `session_id` sessions (default 64). */
  maxSessions?: number;
  /**
   * Leave the engine's own setting defaults alone instead of applying
   * {@link SERVER_COMPAT_SETTINGS} to every connection (default false).
   */
  engineDefaults?: boolean;
  logger?: FrontLogger;
}

export interface ClickhouseFront {
  /** `http://127.0.0.1:<port>` — the CLICKHOUSE_URL for clients. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataPath: string;
  /** Engine version, as reported in error messages (`version …`). */
  readonly engineVersion: string;
  /** Stops accepting requests, lets queued ones finish, closes the engine (unlocking the directory). */
  close(): Promise<void>;
}

/**
 * Where chdb's defaults differ from a ClickHouse server's in ways clients notice, the front
 * applies the server's value on every connection (clients can still override per request):
 *  - 64-bit integers are quoted in JSON output (server default; chdb prints bare numbers);
 *  - inserts are synchronous (chdb defaults to async_insert=1).
 */
export const SERVER_COMPAT_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  output_format_json_quote_64bit_integers: '1',
  async_insert: '0',
});

const DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;
const DEFAULT_QUERY_TIMEOUT_MS = 60_000;
const WATCHDOG_GRACE_MS = 1_000;
const DRAIN_ALLOWANCE_BYTES = 64 * 1024 * 1024;
const DEFAULT_SESSION_TIMEOUT_S = 60;
const MAX_SESSION_TIMEOUT_S = 3600;
const SERVER_DISPLAY_NAME = 'clickhouse-front';

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|localhost)$/i;

type Plan =
  | { kind: 'query'; sql: string; params: Record<string, string> }
  | { kind: 'insert'; statement: string; data: Buffer }
  | { kind: 'empty-insert'; statement: string };

interface FrontSession {
  conn: EngineConnection;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
}

interface RequestContext {
  queryId: string;
  abandoned: boolean;
}

type Codec = 'gzip' | 'deflate' | 'br' | 'zstd';

const zstdCompress = (zlib as unknown as { zstdCompress?: typeof zlib.gzip }).zstdCompress;
const createZstdDecompress = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;

const compressors: Record<Codec, ((buf: Buffer, level: number) => Promise<Buffer>) | undefined> = {
  gzip: (buf, level) => promisify(zlib.gzip)(buf, { level }),
  deflate: (buf, level) => promisify(zlib.deflate)(buf, { level }),
  br: (buf, level) =>
    promisify(zlib.brotliCompress)(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: Math.min(11, Math.max(0, level)) } }),
  zstd: zstdCompress ? (buf) => promisify(zstdCompress)(buf) : undefined,
};

function pickResponseCodec(acceptEncoding: string | undefined): Codec | undefined {
  if (!acceptEncoding) return undefined;
  for (const token of acceptEncoding.split(',')) {
    const name = token.split(';')[0]?.trim().toLowerCase();
    if (name === 'gzip' || name === 'deflate' || name === 'br' || name === 'zstd') {
      if (compressors[name]) return name;
    }
  }
  return undefined;
}

function requestDecoder(encoding: string): NodeJS.ReadWriteStream | undefined {
  switch (encoding) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'zstd':
      if (createZstdDecompress) return createZstdDecompress();
      throw new ClickhouseProtocolError('NOT_IMPLEMENTED', 'zstd request bodies need Node.js >= 22.15; send gzip, deflate or br');
    default:
      throw new ClickhouseProtocolError('NOT_IMPLEMENTED', `Unsupported Content-Encoding ${JSON.stringify(encoding)}; use gzip, deflate or br`);
  }
}

/** Errors raised before the request body was read: the connection is closed after answering. */
const closeAfterResponse = new WeakSet<object>();

/**
 * Reads the request body, decoding Content-Encoding, refusing more than `limit` decoded bytes.
 * An oversized body is still read to its end (up to `limit` + 64 MiB) so the client sees the
 * 413 instead of a reset connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolveBody, reject) => {
    const drainCap = limit + DRAIN_ALLOWANCE_BYTES;
    const tooLarge = () =>
      new ClickhouseProtocolError('QUERY_IS_TOO_LARGE', `Request body is larger than the front's limit of ${limit} bytes (maxBodyBytes)`);
    let settled = false;
    const fail = (err: Error, close = false) => {
      if (settled) return;
      settled = true;
      if (close) closeAfterResponse.add(err);
      reject(err);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > drainCap) {
      fail(tooLarge(), true);
      return;
    }
    let decoder: NodeJS.ReadWriteStream | undefined;
    try {
      decoder = requestDecoder(String(req.headers['content-encoding'] ?? '').trim().toLowerCase());
    } catch (err) {
      fail(err as Error);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let decodedBytes = 0;
    let rawBytes = 0;
    let overLimit = false;
    let reqEnded = false;
    const collect = (chunk: Buffer) => {
      if (overLimit) return;
      decodedBytes += chunk.length;
      if (decodedBytes > limit) {
        overLimit = true;
        chunks.length = 0;
        if (decoder) {
          req.unpipe(decoder as NodeJS.WritableStream);
          (decoder as unknown as { destroy(): void }).destroy();
          req.resume(); // keep draining the raw body so the client gets to read the 413
          if (reqEnded) fail(tooLarge());
        }
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (rawBytes > drainCap) {
        fail(tooLarge(), true);
        req.destroy();
        return;
      }
      if (!decoder) collect(chunk);
    });
    req.on('error', (err) => fail(err));
    req.on('aborted', () => fail(new Error('client closed the connection while sending the body')));
    if (decoder) {
      decoder.on('data', collect);
      decoder.on('error', (err: Error) => {
        if (!overLimit) fail(new ClickhouseProtocolError('CANNOT_DECOMPRESS', `Cannot decode the request body: ${err.message}`));
      });
      decoder.on('end', () => {
        if (!overLimit && !settled) {
          settled = true;
          resolveBody(Buffer.concat(chunks));
        }
      });
      req.pipe(decoder as NodeJS.WritableStream);
    }
    req.on('end', () => {
      reqEnded = true;
      if (overLimit) fail(tooLarge());
      else if (!decoder && !settled) {
        settled = true;
        resolveBody(Buffer.concat(chunks));
      }
    });
  });
}

function assertLoopback(host: string): void {
  if (!LOOPBACK.test(host)) {
    throw new Error(
      `refusing to bind ${host}: the clickhouse front does not authenticate clients, so it only listens on loopback (127.0.0.1, ::1, localhost)`,
    );
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${host} is already in use`, { cause: err }));
      else if (err.code === 'EACCES') reject(new Error(`not allowed to listen on ${host}:${port}`, { cause: err }));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolveListen();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startClickhouseFront(options: ClickhouseFrontOptions): Promise<ClickhouseFront> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`invalid port ${String(options.port)}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const maxSessions = options.maxSessions ?? 64;
  const log: FrontLogger = options.logger ?? pino({ level: 'silent' });
  const baseSettings = options.engineDefaults ? {} : SERVER_COMPAT_SETTINGS;

  const engine = await Engine.open(options.dataPath);
  const queue = new SerialQueue(options.maxQueuedQueries ?? 256);
  const sessions = new Map<string, FrontSession>();
  let closing = false;

  const baseHeaders = (queryId?: string): Record<string, string> => ({
    ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
    'X-ClickHouse-Server-Display-Name': SERVER_DISPLAY_NAME,
    'X-ClickHouse-Timezone': engine.timezone,
  });

  const sendText = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=UTF-8', ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  };

  const sendError = (res: ServerResponse, err: unknown, queryId?: string) => {
    const wire = toWireError(err, engine.version);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {
      ...baseHeaders(queryId),
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(wire.code),
    };
    if (typeof err === 'object' && err !== null && closeAfterResponse.has(err)) headers.Connection = 'close';
    res.writeHead(wire.status, headers);
    res.end(wire.body);
  };

  const applyAndRun = async (
    conn: EngineConnection,
    plan: Plan,
    args: {
      settings: Array<[string, string]>;
      database?: string;
      defaultFormat: string;
      readonly?: number;
      remainingMs: number;
      isSession: boolean;
    },
  ): Promise<EngineResult> => {
    const assignments: string[] = [];
    const changed: string[] = [];
    let userMaxExec: number | undefined;
    for (const [name, value] of args.settings) {
      if (name === 'max_execution_time') {
        userMaxExec = Number(value);
        continue;
      }
      assignments.push(settingAssignment(name, value));
      changed.push(name);
    }
    const capSec = Math.max(0.001, args.remainingMs / 1000);
    const maxExec = userMaxExec !== undefined && Number.isFinite(userMaxExec) && userMaxExec > 0 ? Math.min(userMaxExec, capSec) : capSec;
    assignments.push(`max_execution_time = ${maxExec.toFixed(3)}`);
    changed.push('max_execution_time');
    let previousDatabase: string | undefined;
    try {
      await conn.query(`SET ${assignments.join(', ')}`, 'TabSeparated');
      if (args.database !== undefined && args.database !== '') {
        if (args.isSession) {
          previousDatabase = (await conn.query('SELECT currentDatabase()', 'TabSeparated')).bytes.toString('utf8').trim();
        }
        await conn.query(`USE ${quoteIdentifier(args.database)}`, 'TabSeparated');
      }
      if (args.readonly !== undefined) await conn.query(`SET readonly = ${args.readonly}`, 'TabSeparated');
      switch (plan.kind) {
        case 'query':
          return await conn.query(plan.sql, args.defaultFormat, plan.params);
        case 'insert':
          return await conn.insert(plan.statement, plan.data);
        case 'empty-insert':
          return { bytes: Buffer.alloc(0), elapsedSec: 0, rowsRead: 0, bytesRead: 0, rowsWritten: 0, bytesWritten: 0 };
      }
    } finally {
      if (args.isSession && conn.open) {
        // Per-request settings and database do not outlive the request, as on a server.
        await conn.query(`SET ${changed.map((n) => `${n} = DEFAULT`).join(', ')}`, 'TabSeparated').catch(() => undefined);
        if (previousDatabase) await conn.query(`USE ${quoteIdentifier(previousDatabase)}`, 'TabSeparated').catch(() => undefined);
      }
    }
  };

  const openSession = async (id: string, timeoutSec: number, check: boolean): Promise<FrontSession> => {
    const existing = sessions.get(id);
    if (existing) {
      if (existing.timer) clearTimeout(existing.timer);
      existing.timer = undefined;
      existing.timeoutMs = timeoutSec * 1000;
      return existing;
    }
    if (check) throw new ClickhouseProtocolError('SESSION_NOT_FOUND', `Session ${id} not found`);
    if (sessions.size >= maxSessions) {
      throw new ClickhouseProtocolError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many open sessions (limit ${maxSessions})`);
    }
    const conn = engine.connect();
    const base = Object.entries(baseSettings);
    if (base.length > 0) {
      try {
        await conn.query(`SET ${base.map(([k, v]) => settingAssignment(k, v)).join(', ')}`, 'TabSeparated');
      } catch (err) {
        engine.release(conn);
        throw err;
      }
    }
    const session: FrontSession = { conn, timeoutMs: timeoutSec * 1000 };
    sessions.set(id, session);
    return session;
  };

  const closeSession = (id: string, session: FrontSession) => {
    if (session.timer) clearTimeout(session.timer);
    if (sessions.get(id) === session) sessions.delete(id);
    engine.release(session.conn);
  };

  const armSessionTimer = (id: string, session: FrontSession) => {
    session.timer = setTimeout(() => {
      queue
        .run(async () => {
          if (sessions.get(id) === session && session.timer) closeSession(id, session);
        })
        .catch(() => undefined);
    }, session.timeoutMs);
    session.timer.unref();
  };

  const handleQuery = async (req: IncomingMessage, res: ServerResponse, url: URL, started: number) => {
    const sp = url.searchParams;
    const ctx: RequestContext = { queryId: sp.get('query_id') || randomUUID(), abandoned: false };
    res.on('close', () => {
      if (!res.writableFinished) ctx.abandoned = true;
    });
    try {
      if (closing) throw new ClickhouseProtocolError('TOO_MANY_SIMULTANEOUS_QUERIES', 'The clickhouse front is shutting down');
      if (sp.get('compress') === '1' || sp.get('decompress') === '1') {
        throw new ClickhouseProtocolError(
          'NOT_IMPLEMENTED',
          'ClickHouse native (LZ4) HTTP compression is not supported by the front; use Content-Encoding/Accept-Encoding with enable_http_compression=1',
        );
      }
      const body = await readBody(req, maxBodyBytes);
      let query: string | null = sp.get('query');
      let data: Buffer | undefined = body.length > 0 ? body : undefined;
      const params: Record<string, string> = {};
      const settings: Array<[string, string]> = [];
      for (const [key, value] of sp) {
        if (key.startsWith('param_')) params[key.slice('param_'.length)] = value;
        else if (!PROTOCOL_PARAMS.has(key) && !HTTP_LAYER_SETTINGS.has(key)) settings.push([key, value]);
      }
      const contentType = String(req.headers['content-type'] ?? '');
      if (data && /^multipart\/form-data/i.test(contentType)) {
        const { fields, files } = parseMultipartFields(data, contentType);
        if (files.length > 0) {
          throw new ClickhouseProtocolError('NOT_IMPLEMENTED', `External tables (multipart file parts: ${files.join(', ')}) are not supported by the front`);
        }
        for (const [name, value] of fields) {
          if (name === 'query') query = value;
          else if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
        }
        data = undefined;
      }

      let plan: Plan;
      const hasParams = Object.keys(params).length > 0;
      if (query === null) {
        const sql = data?.toString('utf8') ?? '';
        if (sql.trim() === '') throw new ClickhouseProtocolError('SYNTAX_ERROR', 'Empty query');
        plan = { kind: 'query', sql, params };
      } else if (data) {
        plan = isInsert(query) && !hasParams
          ? { kind: 'insert', statement: query, data }
          : { kind: 'query', sql: `${query}\n${data.toString('utf8')}`, params };
      } else if (isInsertAwaitingData(query)) {
        plan = { kind: 'empty-insert', statement: query };
      } else {
        if (query.trim() === '') throw new ClickhouseProtocolError('SYNTAX_ERROR', 'Empty query');
        plan = { kind: 'query', sql: query, params };
      }

      if (plan.kind === 'query' && !isInsert(plan.sql) && hasMultipleStatements(plan.sql)) {
        throw new ClickhouseProtocolError('SYNTAX_ERROR', 'Syntax error: Multi-statements are not allowed');
      }
      const database = sp.get('database') ?? header(req, 'x-clickhouse-database');
      const defaultFormat = sp.get('default_format') || header(req, 'x-clickhouse-format') || 'TabSeparated';
      const outputFormat = (plan.kind === 'query' ? trailingOutputFormat(plan.sql) : undefined) ?? defaultFormat;
      const sessionId = sp.get('session_id') || undefined;
      const userReadonly = settings.find(([k]) => k === 'readonly')?.[1];
      const engineSettings = settings.filter(([k]) => k !== 'readonly');
      let readonly: number | undefined;
      if (!sessionId) {
        if (userReadonly === '1') readonly = 1;
        else if (req.method === 'GET' || userReadonly === '2') readonly = 2; // as ClickHouse: GET is read-only
      }
      let sessionTimeoutSec = DEFAULT_SESSION_TIMEOUT_S;
      if (sessionId && sp.has('session_timeout')) {
        sessionTimeoutSec = Number(sp.get('session_timeout'));
        if (!Number.isInteger(sessionTimeoutSec) || sessionTimeoutSec <= 0 || sessionTimeoutSec > MAX_SESSION_TIMEOUT_S) {
          throw new ClickhouseProtocolError('INVALID_SESSION_TIMEOUT', `Invalid session timeout: ${sp.get('session_timeout')}`);
        }
      }

      const deadline = started + queryTimeoutMs;
      const job = queue.run(async () => {
        if (ctx.abandoned) throw new ClickhouseProtocolError('QUERY_WAS_CANCELLED', 'The client went away before the query started');
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) {
          throw new ClickhouseProtocolError('TIMEOUT_EXCEEDED', `Timeout exceeded: the query waited ${Date.now() - started} ms for the engine (queryTimeoutMs ${queryTimeoutMs})`);
        }
        if (sessionId) {
          const session = await openSession(sessionId, sessionTimeoutSec, sp.get('session_check') === '1');
          try {
            return await applyAndRun(session.conn, plan, { settings: engineSettings, database: database ?? undefined, defaultFormat, remainingMs, isSession: true });
          } finally {
            if (sp.get('close_session') === '1') closeSession(sessionId, session);
            else armSessionTimer(sessionId, session);
          }
        }
        const conn = engine.connect();
        try {
          const base = Object.entries(baseSettings).filter(([k]) => !engineSettings.some(([u]) => u === k));
          return await applyAndRun(conn, plan, {
            settings: [...base, ...engineSettings],
            database: database ?? undefined,
            defaultFormat,
            readonly,
            remainingMs,
            isSession: false,
          });
        } finally {
          engine.release(conn);
        }
      });
      job.catch(() => undefined); // the watchdog may answer first; the job still settles later
      let watchdog: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        watchdog = setTimeout(() => {
          log.warn({ queryId: ctx.queryId, queryTimeoutMs }, 'clickhouse front: query overran its deadline; answering TIMEOUT_EXCEEDED while the engine finishes it');
          reject(new ClickhouseProtocolError('TIMEOUT_EXCEEDED', `Timeout exceeded: the query did not finish within ${queryTimeoutMs} ms (queryTimeoutMs)`));
        }, Math.max(0, deadline + WATCHDOG_GRACE_MS - Date.now()));
      });
      let result: EngineResult;
      try {
        result = await Promise.race([job, timedOut]);
      } finally {
        clearTimeout(watchdog);
      }
      if (ctx.abandoned) return;

      const summary = {
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: String(result.rowsWritten),
        written_bytes: String(result.bytesWritten),
        total_rows_to_read: String(result.rowsRead),
        result_rows: String(result.rowsWritten),
        result_bytes: String(result.rowsWritten > 0 ? result.bytesWritten : result.bytes.length),
        elapsed_ns: String(Math.round(result.elapsedSec * 1e9)),
      };
      const headers: Record<string, string> = {
        ...baseHeaders(ctx.queryId),
        'Content-Type': contentTypeForFormat(outputFormat),
        'X-ClickHouse-Format': outputFormat,
        'X-ClickHouse-Summary': JSON.stringify(summary),
      };
      let payload = result.bytes;
      const wantsCompression = sp.get('enable_http_compression') === '1' || sp.get('enable_http_compression') === 'true';
      const codec = wantsCompression ? pickResponseCodec(header(req, 'accept-encoding') ?? undefined) : undefined;
      const compress = codec ? compressors[codec] : undefined;
      if (codec && compress) {
        const level = Number(sp.get('http_zlib_compression_level') ?? 3);
        payload = await compress(payload, Number.isInteger(level) && level >= 1 && level <= 9 ? level : 3);
        headers['Content-Encoding'] = codec;
        headers.Vary = 'Accept-Encoding';
      }
      headers['Content-Length'] = String(payload.length);
      res.writeHead(200, headers);
      res.end(payload);
      log.debug({ queryId: ctx.queryId, ms: Date.now() - started, format: outputFormat, bytes: payload.length }, 'clickhouse front: query done');
    } catch (err) {
      if (err instanceof QueueFullError) {
        sendError(res, new ClickhouseProtocolError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries: ${err.message}`), ctx.queryId);
        return;
      }
      if (ctx.abandoned) return;
      if (!(err instanceof ClickhouseProtocolError) && !/^Code: \d+\./.test((err as Error)?.message ?? '')) {
        log.error({ err, queryId: ctx.queryId }, 'clickhouse front: unexpected failure serving a query');
      }
      sendError(res, err, ctx.queryId);
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://front.invalid');
    } catch {
      sendError(res, new ClickhouseProtocolError('BAD_ARGUMENTS', 'Malformed request URL'));
      return;
    }
    const method = req.method ?? 'GET';
    if (url.pathname === '/ping' || url.pathname === '/replicas_status') {
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(res, new ClickhouseProtocolError('UNSUPPORTED_METHOD', `${method} is not allowed on ${url.pathname}`, 405));
        return;
      }
      sendText(res, 200, 'Ok.\n');
      return;
    }
    if (url.pathname !== '/') {
      sendText(res, 404, `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\nSend queries with POST / or GET /?query=...\n`);
      return;
    }
    if (method === 'HEAD' || (method === 'GET' && !url.searchParams.has('query'))) {
      sendText(res, 200, 'Ok.\n');
      return;
    }
    if (method !== 'GET' && method !== 'POST') {
      sendError(res, new ClickhouseProtocolError('UNSUPPORTED_METHOD', `HTTP method ${method} is not supported; use GET or POST`, 405));
      return;
    }
    void handleQuery(req, res, url, started);
  };

  // ClickHouse accepts URLs up to http_max_uri_size (1 MiB); query params travel in the URL.
  const server = createServer({ keepAliveTimeout: 10_000, maxHeaderSize: 1024 * 1024, noDelay: true }, onRequest);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable) {
      const wire = toWireError(new ClickhouseProtocolError('BAD_ARGUMENTS', `Malformed HTTP request (${err.code ?? err.message})`), engine.version);
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=UTF-8\r\n` +
          `X-ClickHouse-Exception-Code: ${wire.code}\r\nContent-Length: ${Buffer.byteLength(wire.body)}\r\n\r\n${wire.body}`,
      );
    } else socket.destroy();
    log.debug({ err }, 'clickhouse front: malformed HTTP request');
  });
  try {
    await listen(server, host, options.port);
  } catch (err) {
    await engine.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, dataPath: engine.dataPath, engineVersion: engine.version }, 'clickhouse front listening');

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const serverClosed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await queue.idle();
      for (const [id, session] of [...sessions]) closeSession(id, session);
      await engine.close();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      force.unref();
      await serverClosed;
      clearTimeout(force);
      log.info({ dataPath: engine.dataPath }, 'clickhouse front closed');
    })();
    return closed;
  };

  return { url, host, port, dataPath: engine.dataPath, engineVersion: engine.version, close };
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}
