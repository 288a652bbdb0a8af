import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickhouseFront, type ClickhouseFront } from './server.js';

const DB = 'front_test';
let dir: string;
let front: ClickhouseFront;
let client: ClickHouseClient; // database = front_test
let admin: ClickHouseClient; // database = default

async function rows<T = Record<string, unknown>>(c: ClickHouseClient, query: string, query_params?: Record<string, unknown>): Promise<T[]> {
  const rs = await c.query({ query, format: 'JSONEachRow', query_params });
  return rs.json<T>();
}

async function expectClickHouseError(p: Promise<unknown>, code: string, type: string): Promise<ClickHouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClickHouseError);
  expect((err as ClickHouseError).code).toBe(code);
  expect((err as ClickHouseError).type).toBe(type);
  return err as ClickHouseError;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ch-front-test-'));
  front = await startClickhouseFront({ dataPath: dir, port: 0, maxBodyBytes: 1024 * 1024, queryTimeoutMs: 4_000 });
  admin = createClient({ url: front.url });
  await admin.command({ query: `CREATE DATABASE ${DB}` });
  client = createClient({ url: front.url, database: DB });
});

afterAll(async () => {
  await client?.close();
  await admin?.close();
  await front?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('health and raw HTTP', () => {
  it('answers /ping and client.ping()', async () => {
    const res = await fetch(`${front.url}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Ok.\n');
    expect((await client.ping()).success).toBe(true);
    expect((await client.ping({ select: true })).success).toBe(true);
  });

  it('runs curl-style GET /?query= and POST bodies', async () => {
    const get = await fetch(`${front.url}/?query=SELECT%201`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('1\n');
    expect(get.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(get.headers.get('x-clickhouse-query-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(get.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({ read_rows: '1' });

    const post = await fetch(`${front.url}/?query_id=q-raw-1&default_format=JSONEachRow`, { method: 'POST', body: 'SELECT 1 AS one, \'x\' AS s' });
    expect(post.headers.get('x-clickhouse-query-id')).toBe('q-raw-1');
    expect(post.headers.get('content-type')).toContain('application/x-ndjson');
    expect(await post.text()).toBe('{"one":1,"s":"x"}\n');

    const both = await fetch(`${front.url}/?query=${encodeURIComponent('SELECT number FROM numbers(3) WHERE number >')}`, { method: 'POST', body: '0' });
    expect(await both.text()).toBe('1\n2\n');

    const basicAuth = await fetch(`${front.url}/?query=SELECT%20currentUser()`, {
      headers: { Authorization: `Basic ${Buffer.from('someone:secret').toString('base64')}`, 'X-ClickHouse-User': 'someone', 'X-ClickHouse-Key': 'secret' },
    });
    expect(basicAuth.status).toBe(200);
  });

  it('answers unknown paths with 404 and empty queries with a syntax error', async () => {
    expect((await fetch(`${front.url}/nope`)).status).toBe(404);
    expect(await (await fetch(`${front.url}/`)).text()).toBe('Ok.\n');
    const empty = await fetch(`${front.url}/`, { method: 'POST', body: '' });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('x-clickhouse-exception-code')).toBe('62');
  });

  it('refuses multi-statements, like ClickHouse', async () => {
    const res = await fetch(`${front.url}/`, { method: 'POST', body: 'SELECT 1; SELECT 2' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error: Multi-statements are not allowed\. \(SYNTAX_ERROR\)/);
    expect(await (await fetch(`${front.url}/`, { method: 'POST', body: "SELECT 'a;b';" })).text()).toBe('a;b\n');
  });

  it('treats GET as read-only, like ClickHouse', async () => {
    const res = await fetch(`${front.url}/?query=${encodeURIComponent('CREATE TABLE default.ro (a UInt8) ENGINE = Memory')}`);
    expect(res.status).toBe(500);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await res.text()).toMatch(/^Code: 164\. DB::Exception: .*\(READONLY\) \(version [^)]+\)\n$/s);
  });

  it('refuses bodies above maxBodyBytes with 413, plain or gzip-bombed, and keeps serving', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const res = await fetch(`${front.url}/?query=${encodeURIComponent(`INSERT INTO ${DB}.nothing FORMAT TSV`)}`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('229');
    expect(await res.text()).toContain('(QUERY_IS_TOO_LARGE)');

    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res2 = await fetch(`${front.url}/?query=${encodeURIComponent(`INSERT INTO ${DB}.nothing FORMAT TSV`)}`, {
      method: 'POST',
      body: bomb,
      headers: { 'Content-Encoding': 'gzip' },
    });
    expect(res2.status).toBe(413);

    const bad = await fetch(`${front.url}/?query=SELECT%201`, { method: 'POST', body: 'not gzip', headers: { 'Content-Encoding': 'gzip' } });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain('(CANNOT_DECOMPRESS)');
    expect(await (await fetch(`${front.url}/?query=SELECT%202`)).text()).toBe('2\n');
  });
});

describe('@clickhouse/client against the front', () => {
  it('creates MergeTree and ReplacingMergeTree tables, inserts JSONEachRow and reads every format back', async () => {
    await client.command({
      query: 'CREATE TABLE events (ts DateTime, host String, sev UInt8, bytes UInt64) ENGINE = MergeTree ORDER BY (host, ts)',
    });
    await client.command({ query: 'CREATE TABLE assets (host String, owner String, ver UInt32) ENGINE = ReplacingMergeTree(ver) ORDER BY host' });
    const ins = await client.insert({
      table: 'events',
      format: 'JSONEachRow',
      values: [
        { ts: '2026-01-01 00:00:01', host: 'a', sev: 3, bytes: 10 },
        { ts: '2026-01-01 00:00:02', host: 'b', sev: 5, bytes: '18446744073709551615' },
      ],
    });
    expect(ins.summary?.written_rows).toBe('2');
    expect(ins.executed).toBe(true);

    expect(await rows(client, 'SELECT host, sev, bytes FROM events ORDER BY host')).toEqual([
      { host: 'a', sev: 3, bytes: '10' }, // 64-bit integers quoted, as a ClickHouse server does
      { host: 'b', sev: 5, bytes: '18446744073709551615' },
    ]);
    const json = await (await client.query({ query: 'SELECT host, sev FROM events ORDER BY host', format: 'JSON' })).json<{ host: string; sev: number }>();
    expect(json.data).toEqual([{ host: 'a', sev: 3 }, { host: 'b', sev: 5 }]);
    expect(json.meta).toEqual([{ name: 'host', type: 'String' }, { name: 'sev', type: 'UInt8' }]);
    expect(json.rows).toBe(2);
    expect(await (await client.query({ query: 'SELECT host, sev FROM events ORDER BY host', format: 'CSV' })).text()).toBe('"a",3\n"b",5\n');
    expect(await (await client.query({ query: 'SELECT host, sev FROM events ORDER BY host', format: 'TabSeparated' })).text()).toBe('a\t3\nb\t5\n');
    const rs = await client.query({ query: 'SELECT host FROM events ORDER BY host', format: 'CSVWithNames' });
    expect(rs.response_headers['x-clickhouse-format']).toBe('CSVWithNames');
    expect(await rs.text()).toBe('"host"\n"a"\n"b"\n');

    // streaming read of a bigger result
    const stream = (await client.query({ query: 'SELECT number FROM numbers(10000)', format: 'JSONEachRow' })).stream();
    let n = 0;
    for await (const batch of stream) n += batch.length;
    expect(n).toBe(10000);
  });

  it('binds query_params ({name:Type}) from URL params and from a multipart body', async () => {
    const tricky = "tab\there 'q' back\\slash\nnl ✓";
    const params = { s: tricky, arr: ["a'b", 'c\\d', 'e\tf'], n: '18446744073709551615', i: -7, d: '2026-01-02 03:04:05', ns: null, b: false };
    const q = 'SELECT {s:String} AS s, {arr:Array(String)} AS arr, {n:UInt64} AS n, {i:Int32} AS i, {d:DateTime} AS d, {ns:Nullable(String)} AS ns, {b:Bool} AS b';
    const expected = [{ s: tricky, arr: ["a'b", 'c\\d', 'e\tf'], n: '18446744073709551615', i: -7, d: '2026-01-02 03:04:05', ns: null, b: false }];
    expect(await rows(client, q, params)).toEqual(expected);
    const viaMultipart = await client.query({ query: q, format: 'JSONEachRow', query_params: params, use_multipart_params: true });
    expect(await viaMultipart.json()).toEqual(expected);

    const many = Array.from({ length: 2000 }, (_, i) => `host-${i}`);
    const big = await rows<{ n: string }>(client, 'SELECT length({hosts:Array(String)}) AS n', { hosts: many }); // > URL budget: multipart
    expect(big).toEqual([{ n: '2000' }]);

    expect(await rows(client, 'SELECT host FROM events WHERE sev >= {sev:UInt8} AND host = {h:String}', { sev: 4, h: 'b' })).toEqual([{ host: 'b' }]);
  });

  it('raises ClickHouseError with the server codes for syntax errors, unknown tables, databases and settings', async () => {
    const syntax = await expectClickHouseError(client.query({ query: 'SELEC 1' }), '62', 'SYNTAX_ERROR');
    expect(syntax.message).toContain('Syntax error');
    await expectClickHouseError(client.query({ query: 'SELECT * FROM no_such_table' }), '60', 'UNKNOWN_TABLE');
    await expectClickHouseError(client.command({ query: 'CREATE TABLE events (x UInt8) ENGINE = Memory' }), '57', 'TABLE_ALREADY_EXISTS');
    await expectClickHouseError(client.insert({ table: 'no_such_table', values: [{ a: 1 }], format: 'JSONEachRow' }), '60', 'UNKNOWN_TABLE');
    const other = createClient({ url: front.url, database: 'no_such_db' });
    try {
      await expectClickHouseError(other.query({ query: 'SELECT 1' }), '81', 'UNKNOWN_DATABASE');
    } finally {
      await other.close();
    }
    await expectClickHouseError(client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as never }), '115', 'UNKNOWN_SETTING');
    await expectClickHouseError(client.query({ query: 'SELECT {x:UInt8}', query_params: { x: 'nope' } }), '457', 'BAD_QUERY_PARAMETER');

    const res = await fetch(`${front.url}/?query=${encodeURIComponent(`SELECT * FROM ${DB}.nope`)}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('60');
  });

  it('feeds a materialized view from inserts', async () => {
    await client.command({ query: 'CREATE TABLE sev_counts (sev UInt8, n UInt64) ENGINE = SummingMergeTree ORDER BY sev' });
    await client.command({ query: 'CREATE TABLE mv_src (sev UInt8, msg String) ENGINE = MergeTree ORDER BY sev' });
    await client.command({ query: 'CREATE MATERIALIZED VIEW sev_mv TO sev_counts AS SELECT sev, count() AS n FROM mv_src GROUP BY sev' });
    const ins = await client.insert({ table: 'mv_src', format: 'JSONEachRow', values: [{ sev: 1, msg: 'a' }, { sev: 1, msg: 'b' }, { sev: 4, msg: 'c' }] });
    expect(Number(ins.summary?.written_rows)).toBeGreaterThanOrEqual(3); // source rows (+ view rows, as on a server)
    await client.insert({ table: 'mv_src', format: 'JSONEachRow', values: [{ sev: 4, msg: 'd' }] });
    expect(await rows(client, 'SELECT sev, sum(n) AS n FROM sev_counts GROUP BY sev ORDER BY sev')).toEqual([
      { sev: 1, n: '2' },
      { sev: 4, n: '2' },
    ]);
  });

  it('dedupes with ReplacingMergeTree FINAL and with insert_deduplication_token', async () => {
    await client.insert({ table: 'assets', format: 'JSONEachRow', values: [{ host: 'a', owner: 'old', ver: 1 }, { host: 'b', owner: 'bob', ver: 1 }] });
    await client.insert({ table: 'assets', format: 'JSONEachRow', values: [{ host: 'a', owner: 'new', ver: 2 }] });
    expect(await rows(client, 'SELECT host, owner FROM assets FINAL ORDER BY host')).toEqual([
      { host: 'a', owner: 'new' },
      { host: 'b', owner: 'bob' },
    ]);
    await client.command({ query: 'CREATE TABLE batches (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100' });
    for (let i = 0; i < 3; i++) {
      await client.insert({ table: 'batches', format: 'JSONEachRow', values: [{ id: 1 }, { id: 2 }], clickhouse_settings: { insert_deduplication_token: 'batch-42' } });
    }
    expect(await rows(client, 'SELECT count() AS n FROM batches')).toEqual([{ n: '2' }]);
  });

  it('passes settings through per request without leaking them into the next one', async () => {
    expect(await rows(client, 'SELECT toUInt64(5) AS v', undefined)).toEqual([{ v: '5' }]);
    const unquoted = await client.query({ query: 'SELECT toUInt64(5) AS v', format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    expect(await unquoted.json()).toEqual([{ v: 5 }]);
    const withThreads = await client.query({ query: "SELECT getSetting('max_threads') AS t", format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 } });
    expect(await withThreads.json()).toEqual([{ t: 1 }]);
    const after = await rows<{ t: number }>(client, "SELECT getSetting('max_threads') AS t");
    expect(after[0]?.t).not.toBe(1);

    await client.command({ query: 'CREATE TABLE dt (ts DateTime) ENGINE = MergeTree ORDER BY ts' });
    await client.insert({
      table: 'dt',
      format: 'JSONEachRow',
      values: [{ ts: '2026-03-04T05:06:07Z' }],
      clickhouse_settings: { date_time_input_format: 'best_effort', async_insert: 0, wait_end_of_query: 1, insert_deduplicate: 1 },
    });
    expect(await rows(client, 'SELECT toString(ts) AS ts FROM dt')).toEqual([{ ts: '2026-03-04 05:06:07' }]);
    const rs = await client.query({ query: 'SELECT 1 AS x', format: 'JSONEachRow', query_id: 'my-query-id', clickhouse_settings: { send_progress_in_http_headers: 1 } });
    expect(rs.query_id).toBe('my-query-id');
    expect(rs.response_headers['x-clickhouse-query-id']).toBe('my-query-id');
  });

  it('enforces the engine-side timeout and reports TIMEOUT_EXCEEDED', async () => {
    await expectClickHouseError(
      client.query({ query: 'SELECT count() FROM numbers(1000000000000)', clickhouse_settings: { max_execution_time: 1 } }),
      '159',
      'TIMEOUT_EXCEEDED',
    );
    // and the front's own cap (queryTimeoutMs = 4 s) when the client asks for none
    const started = Date.now();
    await expectClickHouseError(client.query({ query: 'SELECT count() FROM numbers(1000000000000)' }), '159', 'TIMEOUT_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('answers TIMEOUT_EXCEEDED on time when the engine cannot interrupt a statement, then recovers', async () => {
    // A read from a url() table that answers only after 6 s blocks inside the engine, beyond
    // max_execution_time's reach: the watchdog answers at deadline + 1 s while the statement keeps the engine busy.
    const stall = createServer((req, res) => {
      if (req.method === 'HEAD') res.end(); // the engine probes with HEAD first, then GETs
      else setTimeout(() => res.end('late\n'), 6_000).unref();
    });
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
    const stallPort = (stall.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const err = await expectClickHouseError(
        client.query({
          query: `SELECT * FROM url('http://127.0.0.1:${stallPort}/slow', 'TSV', 'a String')`,
          clickhouse_settings: { http_max_tries: '1' },
        }),
        '159',
        'TIMEOUT_EXCEEDED',
      );
      const elapsed = Date.now() - started;
      expect(err.message).toContain('did not finish within 4000 ms');
      expect(elapsed).toBeGreaterThanOrEqual(4_900);
      expect(elapsed).toBeLessThan(6_500);
      const ping = await fetch(`${front.url}/ping`);
      expect(ping.status).toBe(200);
      expect(await rows(client, 'SELECT 1 AS one')).toEqual([{ one: 1 }]); // queued behind the straggler, then served
      expect(Date.now() - started).toBeGreaterThanOrEqual(6_000);
    } finally {
      stall.closeAllConnections();
      stall.close();
    }
  });

  it('handles gzip request bodies and compressed responses when the client asks', async () => {
    const gz = createClient({ url: front.url, database: DB, compression: { request: true, response: true } });
    try {
      await gz.command({ query: 'CREATE TABLE gz (id UInt32, s String) ENGINE = MergeTree ORDER BY id' });
      await gz.insert({ table: 'gz', format: 'JSONEachRow', values: Array.from({ length: 500 }, (_, id) => ({ id, s: `row ${id}` })) });
      const rs = await gz.query({ query: 'SELECT count() AS n, max(s) AS m FROM gz', format: 'JSONEachRow' });
      expect(rs.response_headers['content-encoding']).toBe('gzip');
      expect(await rs.json()).toEqual([{ n: '500', m: 'row 99' }]);
    } finally {
      await gz.close();
    }
  });

  it('keeps a session_id session (temporary tables, SET) across requests', async () => {
    const session_id = `s-${Date.now()}`;
    await client.command({ query: 'CREATE TEMPORARY TABLE tmp (x UInt8)', session_id });
    await client.command({ query: 'INSERT INTO tmp VALUES (1), (2)', session_id });
    await client.command({ query: 'SET max_threads = 3', session_id });
    const rs = await client.query({ query: "SELECT count() AS n, getSetting('max_threads') AS t FROM tmp", format: 'JSONEachRow', session_id });
    expect(await rs.json()).toEqual([{ n: '2', t: 3 }]);
    await expectClickHouseError(client.query({ query: 'SELECT count() FROM tmp' }), '60', 'UNKNOWN_TABLE');
    const closeRes = await fetch(`${front.url}/?session_id=${session_id}&close_session=1&query=SELECT%201`);
    expect(closeRes.status).toBe(200);
    const gone = await fetch(`${front.url}/?session_id=${session_id}&session_check=1&query=SELECT%201`);
    expect(gone.headers.get('x-clickhouse-exception-code')).toBe('372');
  });

  it('serializes concurrent requests and stays responsive to /ping during a slow query', async () => {
    await client.command({ query: 'CREATE TABLE conc (id UInt32, w UInt8) ENGINE = MergeTree ORDER BY id' });
    let slowDone = false;
    const slow = client.query({ query: 'SELECT sleep(1.5) AS s', format: 'JSONEachRow' }).then((r) => r.json()).finally(() => { slowDone = true; });
    await new Promise((r) => setTimeout(r, 200));
    const ping = await fetch(`${front.url}/ping`);
    expect(ping.status).toBe(200);
    expect(slowDone).toBe(false); // answered while the query still held the engine, not queued behind it
    const writers = Array.from({ length: 8 }, (_, w) =>
      client.insert({ table: 'conc', format: 'JSONEachRow', values: Array.from({ length: 50 }, (_, i) => ({ id: w * 50 + i, w })) }),
    );
    const readers = Array.from({ length: 8 }, () => rows(client, 'SELECT 1 AS one'));
    await Promise.all([slow, ...writers, ...readers]);
    expect(await rows(client, 'SELECT count() AS n, uniqExact(w) AS w FROM conc')).toEqual([{ n: '400', w: '8' }]);
  });

  it('accepts an INSERT with an empty body and inline INSERT data in the query body', async () => {
    const empty = await fetch(`${front.url}/?query=${encodeURIComponent(`INSERT INTO ${DB}.conc FORMAT JSONEachRow`)}`, { method: 'POST', body: '' });
    expect(empty.status).toBe(200);
    const inline = await fetch(`${front.url}/`, { method: 'POST', body: `INSERT INTO ${DB}.conc FORMAT JSONEachRow\n{"id":100000,"w":9}\n` });
    expect(inline.status).toBe(200);
    expect(await rows(client, 'SELECT count() AS n FROM conc WHERE w = 9')).toEqual([{ n: '1' }]);
    const values = await fetch(`${front.url}/?query=${encodeURIComponent(`INSERT INTO ${DB}.conc VALUES`)}`, { method: 'POST', body: '(100001, 10), (100002, 10)' });
    expect(JSON.parse(values.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({ written_rows: '2' });
  });
});
