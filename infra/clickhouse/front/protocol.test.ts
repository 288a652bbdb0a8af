import { parseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import {
  ClickhouseProtocolError,
  contentTypeForFormat,
  hasMultipleStatements,
  httpStatusForError,
  isInsertAwaitingData,
  leadingKeyword,
  parseMultipartFields,
  settingAssignment,
  toWireError,
  trailingOutputFormat,
} from './protocol.js';

describe('statement inspection', () => {
  it('finds the leading keyword past comments', () => {
    expect(leadingKeyword('  -- note\n/* x */ insert into t values')).toBe('INSERT');
    expect(leadingKeyword('# hash comment\nSELECT 1')).toBe('SELECT');
    expect(leadingKeyword('')).toBe('');
  });

  it('recognises INSERTs that wait for body data', () => {
    expect(isInsertAwaitingData('INSERT INTO db.t (a, b) FORMAT JSONEachRow')).toBe(true);
    expect(isInsertAwaitingData('INSERT INTO t VALUES ')).toBe(true);
    expect(isInsertAwaitingData('INSERT INTO t SELECT * FROM u')).toBe(false);
    expect(isInsertAwaitingData('SELECT 1 FORMAT CSV')).toBe(false);
  });

  it('reads the trailing output format', () => {
    expect(trailingOutputFormat('SELECT 1 \nFORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(trailingOutputFormat('SELECT 1 FORMAT CSVWithNames;')).toBe('CSVWithNames');
    expect(trailingOutputFormat('SELECT 1 FORMAT JSON SETTINGS max_threads = 1')).toBe('JSON');
    expect(trailingOutputFormat("SELECT 'FORMAT CSV'")).toBeUndefined();
    expect(trailingOutputFormat('INSERT INTO t FORMAT CSV')).toBeUndefined();
  });

  it('detects multi-statements outside literals and comments', () => {
    expect(hasMultipleStatements('SELECT 1; SELECT 2')).toBe(true);
    expect(hasMultipleStatements('SET a = 1;SELECT 2')).toBe(true);
    expect(hasMultipleStatements('SELECT 1;')).toBe(false);
    expect(hasMultipleStatements('SELECT 1; -- trailing comment\n ;')).toBe(false);
    expect(hasMultipleStatements("SELECT 'a;b', \"c;d\", `e;f` /* ; */ -- ;")).toBe(false);
    expect(hasMultipleStatements("SELECT 'it''s; \\' ;' ")).toBe(false);
    expect(hasMultipleStatements('SELECT $$ ; $$')).toBe(false);
    expect(hasMultipleStatements("SELECT 1; 'x'")).toBe(true);
  });
});

describe('wire errors', () => {
  it('keeps engine messages and adds the version, so the client parses code and type', () => {
    const wire = toWireError(new Error("Code: 60. DB::Exception: Unknown table expression identifier 'x' in scope SELECT * FROM x. (UNKNOWN_TABLE)"), '26.7.2.1');
    expect(wire).toMatchObject({ code: 60, type: 'UNKNOWN_TABLE', status: 404 });
    expect(wire.body).toBe("Code: 60. DB::Exception: Unknown table expression identifier 'x' in scope SELECT * FROM x. (UNKNOWN_TABLE) (version 26.7.2.1)\n");
    const parsed = parseError(wire.body) as { code: string; type: string };
    expect(parsed).toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
  });

  it('formats the front’s own errors the same way', () => {
    const wire = toWireError(new ClickhouseProtocolError('QUERY_IS_TOO_LARGE', 'Request body is larger than 10 bytes'), '1.0');
    expect(wire).toMatchObject({ code: 229, status: 413 });
    expect(wire.body).toBe('Code: 229. DB::Exception: Request body is larger than 10 bytes. (QUERY_IS_TOO_LARGE) (version 1.0)\n');
    expect(toWireError(new Error('socket hang up'), '1.0')).toMatchObject({ code: 1002, type: 'UNKNOWN_EXCEPTION', status: 500 });
  });

  it('maps error names to ClickHouse HTTP statuses', () => {
    expect(httpStatusForError('SYNTAX_ERROR')).toBe(400);
    expect(httpStatusForError('UNKNOWN_DATABASE')).toBe(404);
    expect(httpStatusForError('TIMEOUT_EXCEEDED')).toBe(408);
    expect(httpStatusForError('NOT_IMPLEMENTED')).toBe(501);
    expect(httpStatusForError('TABLE_ALREADY_EXISTS')).toBe(500);
  });
});

describe('settings and formats', () => {
  it('quotes setting values that are not numbers or booleans', () => {
    expect(settingAssignment('max_threads', '4')).toBe('max_threads = 4');
    expect(settingAssignment('max_execution_time', '2.5')).toBe('max_execution_time = 2.5');
    expect(settingAssignment('async_insert', 'true')).toBe('async_insert = true');
    expect(settingAssignment('log_comment', "it's \\ fine")).toBe("log_comment = 'it\\'s \\\\ fine'");
    expect(() => settingAssignment('x; DROP', '1')).toThrow(ClickhouseProtocolError);
  });

  it('picks ClickHouse content types', () => {
    expect(contentTypeForFormat('JSONEachRow')).toBe('application/x-ndjson; charset=UTF-8');
    expect(contentTypeForFormat('JSON')).toBe('application/json; charset=UTF-8');
    expect(contentTypeForFormat('TabSeparated')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(contentTypeForFormat('CSVWithNames')).toBe('text/csv; charset=UTF-8; header=present');
    expect(contentTypeForFormat('Parquet')).toBe('application/octet-stream');
  });

  it('reads multipart/form-data fields as @clickhouse/client builds them', () => {
    const boundary = '----clickhouse-js-abc';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="query"\r\n\r\nSELECT {v:Array(String)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="param_v"\r\n\r\n['a\\'b','c\r\nd']\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="ext"; filename="t.tsv"\r\n\r\n1\r\n` +
        `--${boundary}--\r\n`,
    );
    const { fields, files } = parseMultipartFields(body, `multipart/form-data; boundary=${boundary}`);
    expect(fields.get('query')).toBe('SELECT {v:Array(String)}');
    expect(fields.get('param_v')).toBe("['a\\'b','c\r\nd']");
    expect(files).toEqual(['ext']);
  });
});
