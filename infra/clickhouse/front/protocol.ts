/**
 * The small pieces of ClickHouse's HTTP protocol the front reproduces: error codes and
 * their HTTP statuses, the error body format, which URL parameters are protocol knobs
 * rather than engine settings, output-format detection for response headers, and a
 * minimal multipart/form-data reader (what @clickhouse/client sends for large query params).
 */

/** ClickHouse error codes the front raises itself (numbers checked against the engine's errorCodeToName()). */
export const ErrorCode = {
  UNSUPPORTED_METHOD: 1,
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  LOGICAL_ERROR: 49,
  UNKNOWN_TABLE: 60,
  SYNTAX_ERROR: 62,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_SETTING: 115,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUERY_IS_TOO_LARGE: 229,
  CANNOT_DECOMPRESS: 271,
  SESSION_NOT_FOUND: 372,
  INVALID_SESSION_TIMEOUT: 374,
  QUERY_WAS_CANCELLED: 394,
  UNKNOWN_EXCEPTION: 1002,
} as const;
export type ErrorName = keyof typeof ErrorCode;

/** An error in ClickHouse's shape: numeric code, symbolic name, message without the `Code: N.` prefix. */
export class ClickhouseProtocolError extends Error {
  readonly code: number;
  readonly type: string;
  /** HTTP status override; otherwise derived from the error name the way ClickHouse does. */
  readonly httpStatus?: number;
  constructor(type: ErrorName, message: string, httpStatus?: number) {
    super(message);
    this.name = 'ClickhouseProtocolError';
    this.type = type;
    this.code = ErrorCode[type];
    this.httpStatus = httpStatus;
  }
}

const BAD_REQUEST = new Set([
  'BAD_ARGUMENTS', 'CANNOT_COMPILE_REGEXP', 'CANNOT_PARSE_TEXT', 'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_QUOTED_STRING', 'CANNOT_PARSE_DATE', 'CANNOT_PARSE_DATETIME', 'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', 'CANNOT_PARSE_IPV4', 'CANNOT_PARSE_IPV6',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'CANNOT_PARSE_UUID', 'DUPLICATE_COLUMN', 'ILLEGAL_COLUMN',
  'UNKNOWN_ELEMENT_IN_AST', 'UNKNOWN_TYPE_OF_AST_NODE', 'THERE_IS_NO_COLUMN', 'TOO_DEEP_AST', 'TOO_BIG_AST',
  'UNEXPECTED_AST_STRUCTURE', 'SYNTAX_ERROR', 'INCORRECT_DATA', 'TYPE_MISMATCH', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
]);
const NOT_FOUND = new Set([
  'UNKNOWN_TABLE', 'UNKNOWN_FUNCTION', 'UNKNOWN_IDENTIFIER', 'UNKNOWN_TYPE', 'UNKNOWN_STORAGE', 'UNKNOWN_DATABASE',
  'UNKNOWN_SETTING', 'UNKNOWN_DIRECTION_OF_SORTING', 'UNKNOWN_AGGREGATE_FUNCTION', 'UNKNOWN_FORMAT',
  'UNKNOWN_DATABASE_ENGINE', 'UNKNOWN_TYPE_OF_QUERY', 'UNKNOWN_ROLE',
]);

/** The HTTP status ClickHouse's HTTP handler uses for an exception of this name (exceptionCodeToHTTPStatus). */
export function httpStatusForError(type: string): number {
  if (type === 'REQUIRED_PASSWORD') return 401;
  if (type === 'UNKNOWN_USER' || type === 'WRONG_PASSWORD' || type === 'AUTHENTICATION_FAILED') return 403;
  if (BAD_REQUEST.has(type)) return 400;
  if (NOT_FOUND.has(type)) return 404;
  if (type === 'QUERY_IS_TOO_LARGE') return 413;
  if (type === 'NOT_IMPLEMENTED') return 501;
  if (type === 'SOCKET_TIMEOUT' || type === 'CANNOT_OPEN_FILE' || type === 'CANNOT_SCHEDULE_TASK') return 503;
  if (type === 'HTTP_LENGTH_REQUIRED') return 411;
  if (type === 'TIMEOUT_EXCEEDED') return 408;
  return 500;
}

export interface WireError {
  code: number;
  type: string;
  /** Full `Code: N. DB::Exception: … (TYPE) (version V)` text, newline-terminated. */
  body: string;
  status: number;
}

const ENGINE_MESSAGE = /^Code: (\d+)\. /;
const TRAILING_TYPE = /\(([A-Z][A-Z0-9_]*)\)\s*$/;

/**
 * Turns anything thrown while serving a query into ClickHouse's wire error. Engine errors
 * already read `Code: 60. DB::Exception: … (UNKNOWN_TABLE)`; only the version suffix is added.
 */
export function toWireError(err: unknown, version: string): WireError {
  const suffix = ` (version ${version})`;
  if (err instanceof ClickhouseProtocolError) {
    const text = `Code: ${err.code}. DB::Exception: ${err.message.replace(/\.$/, '')}. (${err.type})${suffix}\n`;
    return { code: err.code, type: err.type, body: text, status: err.httpStatus ?? httpStatusForError(err.type) };
  }
  const message = err instanceof Error ? err.message : String(err);
  const m = ENGINE_MESSAGE.exec(message);
  if (m) {
    const code = Number(m[1]);
    const trimmed = message.trimEnd();
    const type = TRAILING_TYPE.exec(trimmed)?.[1] ?? 'UNKNOWN_EXCEPTION';
    const body = /\(version [^)]*\)\s*$/.test(trimmed) ? `${trimmed}\n` : `${trimmed}${suffix}\n`;
    return { code, type, body, status: httpStatusForError(type) };
  }
  const fallback = new ClickhouseProtocolError('UNKNOWN_EXCEPTION', message);
  return toWireError(fallback, version);
}

/**
 * URL parameters that belong to the HTTP protocol (or to the front), never SET on the engine.
 * Everything else that is not `param_*` is treated as a setting, as ClickHouse does.
 */
export const PROTOCOL_PARAMS = new Set([
  'query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'close_session', 'user', 'password', 'quota_key', 'role', 'stacktrace', 'compress', 'decompress',
  'buffer_size', 'client_protocol_version', 'query_kind',
]);

/**
 * Settings ClickHouse implements in its HTTP layer. The front either honours them itself
 * (enable_http_compression, http_zlib_compression_level) or they have no meaning here because
 * every response is fully buffered before it is sent (wait_end_of_query and the progress knobs).
 */
export const HTTP_LAYER_SETTINGS = new Set([
  'wait_end_of_query', 'http_wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms', 'http_response_buffer_size', 'enable_http_compression', 'http_zlib_compression_level',
  'http_response_compression_method', 'http_native_compression_disable_checksumming_on_decompress',
  'cancel_http_readonly_queries_on_client_close', 'add_http_cors_header', 'http_max_request_param_data_size',
  'http_max_field_name_size', 'http_max_field_value_size', 'http_max_fields', 'http_max_uri_size',
  'http_max_multipart_form_data_size', 'http_connection_timeout', 'http_receive_timeout', 'http_send_timeout',
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMERIC = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** `name = literal` for a SET statement; URL values are strings, numbers/booleans go unquoted. */
export function settingAssignment(name: string, value: string): string {
  if (!SETTING_NAME.test(name)) {
    throw new ClickhouseProtocolError('BAD_ARGUMENTS', `Invalid setting name ${JSON.stringify(name)}`);
  }
  const literal = NUMERIC.test(value) || value === 'true' || value === 'false'
    ? value
    : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `${name} = ${literal}`;
}

/** Backtick-quoted identifier (database names from the `database` parameter). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

// Leading whitespace, `-- …` / `# …` line comments and `/* … */` block comments.
const LEADING_NOISE = /^(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/** The first keyword of a statement, upper-cased ('' when there is none). */
export function leadingKeyword(sql: string): string {
  const rest = sql.replace(LEADING_NOISE, '');
  const m = /^[A-Za-z]+/.exec(rest);
  return m ? m[0].toUpperCase() : '';
}

export function isInsert(sql: string): boolean {
  return leadingKeyword(sql) === 'INSERT';
}

/** An INSERT whose data is expected to follow the statement (FORMAT x / VALUES at the very end). */
export function isInsertAwaitingData(sql: string): boolean {
  if (!isInsert(sql)) return false;
  const tail = sql.replace(/[\s;]+$/, '');
  return /\bFORMAT\s+[A-Za-z0-9_]+$/i.test(tail) || /\bVALUES$/i.test(tail);
}

/**
 * Whether the text holds more than one statement (a `;` followed by anything but whitespace,
 * comments or more `;`), outside string literals, quoted identifiers and comments. ClickHouse's
 * HTTP interface refuses multi-statements; the embedded engine would run them all.
 */
export function hasMultipleStatements(sql: string): boolean {
  let i = 0;
  let sawTerminator = false;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      if (sawTerminator) return true;
      i++;
      while (i < n) {
        const d = sql[i]!;
        if (d === '\\') i += 2;
        else if (d === c && sql[i + 1] === c) i += 2;
        else if (d === c) break;
        else i++;
      }
      i++;
    } else if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === '$' && sql[i + 1] === '$') {
      if (sawTerminator) return true;
      const end = sql.indexOf('$$', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === ';') {
      sawTerminator = true;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      if (sawTerminator) return true;
      i++;
    }
  }
  return false;
}

/**
 * The output format named by a trailing `FORMAT x` clause (optionally followed by SETTINGS),
 * for the X-ClickHouse-Format/Content-Type headers. INSERT's FORMAT names the input, not the output.
 */
export function trailingOutputFormat(sql: string): string | undefined {
  if (isInsert(sql)) return undefined;
  const tail = sql.replace(/[\s;]+$/, '');
  const m = /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)(?:\s+SETTINGS\s+[^()'"`]*)?$/i.exec(tail);
  return m?.[1];
}

/** Content-Type ClickHouse sends for an output format. */
export function contentTypeForFormat(format: string): string {
  const f = format.toLowerCase();
  if (/^(jsoneachrow|jsonstringseachrow|jsoncompacteachrow|jsoncompactstringseachrow|jsonlines|ndjson|jsoneachrowwithprogress|jsonstringseachrowwithprogress)/.test(f)) {
    return 'application/x-ndjson; charset=UTF-8';
  }
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'xml') return 'application/xml; charset=UTF-8';
  if (/^(parquet|arrow|arrowstream|orc|avro|native|rowbinary|protobuf|capnproto|msgpack|bson|npy|rawblob)/.test(f)) {
    return 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}

/** Parses a multipart/form-data body into its text fields; file parts (external tables) are reported. */
export function parseMultipartFields(body: Buffer, contentType: string): { fields: Map<string, string>; files: string[] } {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new ClickhouseProtocolError('BAD_ARGUMENTS', 'multipart/form-data request without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const fields = new Map<string, string>();
  const files: string[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing `--boundary--`
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    else if (body[start] === 0x0a) start += 1;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body[end - 1] === 0x0a) end -= 1;
    if (body[end - 1] === 0x0d) end -= 1;
    const part = body.subarray(start, end);
    let headerEnd = part.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (headerEnd === -1) {
      headerEnd = part.indexOf('\n\n');
      sepLen = 2;
    }
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const disposition = /content-disposition:[^\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      if (name !== undefined) {
        if (filename !== undefined) files.push(name);
        else fields.set(name, part.subarray(headerEnd + sepLen).toString('utf8'));
      }
    }
    pos = next;
  }
  return { fields, files };
}
