import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from './alert.js';
import { RetryableDeliveryError } from './errors.js';
import { verifyWebhookSignature } from './formatters.js';
import { SplunkHecSink, SyslogTcpSink, SyslogUdpSink, WebhookSink, splunkHecEndpoint, type SyslogConfig } from './sinks.js';
import { makeAlert, startHttpServer, startTcpServer, startUdpServer } from './testkit.js';

/**
 * For tests about what is sent, not about timing: a loopback POST once took more than 1 s on a loaded CI
 * machine and failed the suite with a timeout.
 */
const ROOMY_TIMEOUT_MS = 10_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Short alerts so the exact expected syslog bytes stay readable. */
function smallAlert(overrides: Partial<Alert> = {}): Alert {
  return makeAlert({
    description: 'café', remediation: '', techniques: [], model_version: null, score: null, metadata: {},
    evidence_event_ids: ['e1'], asset_criticality: 'unknown', ...overrides,
  });
}
const A1 = smallAlert();
const A2 = smallAlert({ alert_id: 'f'.repeat(32), severity: 'critical', title: 'Second', detected_at: 1700000002000 });

const CEF1 =
  'CEF:0|socflow|socflow|0.1.0|rule:ssh-bruteforce|SSH brute force|8|externalId=0123456789abcdef0123456789abcdef ' +
  'rt=1700000000123 start=1700000000000 dhost=web-01 cat=brute_force msg=café cs2=agent-7 cs2Label=agentId ' +
  'cs3=rule:ssh-bruteforce cs3Label=detector cs5=unknown cs5Label=assetCriticality ' +
  'deviceCustomDate1=1700000001456 deviceCustomDate1Label=detectedAt flexString1=e1 flexString1Label=evidenceEventIds';
const CEF2 =
  'CEF:0|socflow|socflow|0.1.0|rule:ssh-bruteforce|Second|10|externalId=ffffffffffffffffffffffffffffffff ' +
  'rt=1700000000123 start=1700000000000 dhost=web-01 cat=brute_force msg=café cs2=agent-7 cs2Label=agentId ' +
  'cs3=rule:ssh-bruteforce cs3Label=detector cs5=unknown cs5Label=assetCriticality ' +
  'deviceCustomDate1=1700000002000 deviceCustomDate1Label=detectedAt flexString1=e1 flexString1Label=evidenceEventIds';

function syslogCfg(port: number, over: Partial<SyslogConfig> = {}): SyslogConfig {
  return {
    protocol: 'tcp', host: '127.0.0.1', port, facility: 16, appName: 'socflow', hostname: 'sensor-1',
    procId: '-', msgId: 'alert', maxMessageBytes: 8192, timeoutMs: ROOMY_TIMEOUT_MS, maxBatchSize: 100, ...over,
  };
}

describe('SplunkHecSink', () => {
  it('POSTs newline-joined events to /services/collector/event with the Splunk token', async () => {
    const srv = await startHttpServer(() => ({ status: 200, body: '{"text":"Success","code":0}' }));
    cleanups.push(srv.close);
    const sink = new SplunkHecSink({
      url: `${srv.url}/`, token: 'tok-123', index: 'sec', channel: '11111111-2222-3333-4444-555555555555',
      timeoutMs: ROOMY_TIMEOUT_MS, maxBatchSize: 10,
    });
    const a = makeAlert();
    const b = makeAlert({ alert_id: 'b'.repeat(32), host: 'db-02', event_time: 1700000009999 });
    await sink.send([a, b]);

    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/services/collector/event');
    expect(req.headers.authorization).toBe('Splunk tok-123');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-splunk-request-channel']).toBe('11111111-2222-3333-4444-555555555555');
    const expected =
      `{"time":1700000000.123,"host":"web-01","source":"socflow","sourcetype":"socflow:alert","index":"sec","event":${JSON.stringify(a)}}` +
      '\n' +
      `{"time":1700000009.999,"host":"db-02","source":"socflow","sourcetype":"socflow:alert","index":"sec","event":${JSON.stringify(b)}}`;
    expect(req.body).toBe(expected);
  });

  it('splits input larger than maxBatchSize into several requests', async () => {
    const srv = await startHttpServer(() => ({ status: 200 }));
    cleanups.push(srv.close);
    const sink = new SplunkHecSink({ url: srv.url, token: 't', timeoutMs: ROOMY_TIMEOUT_MS, maxBatchSize: 2 });
    await sink.send([1, 2, 3, 4, 5].map((i) => makeAlert({ alert_id: String(i) })));
    expect(srv.requests.map((r) => r.body.split('\n').length)).toEqual([2, 2, 1]);
    expect(srv.requests[0].headers['x-splunk-request-channel']).toBeUndefined();
  });

  it('endpoint accepts base URLs with or without the collector path', () => {
    expect(splunkHecEndpoint('https://s:8088')).toBe('https://s:8088/services/collector/event');
    expect(splunkHecEndpoint('https://s:8088/services/collector/event/')).toBe('https://s:8088/services/collector/event');
  });

  // The server never answers: returning at all is the timeout; the lower bound shows it waited for it.
  it('a hanging server fails at its timeout with a retryable error', async () => {
    const srv = await startHttpServer(() => 'hang');
    cleanups.push(srv.close);
    const sink = new SplunkHecSink({ url: srv.url, token: 't', timeoutMs: 150, maxBatchSize: 10 });
    const t0 = Date.now();
    const err = await sink.send([makeAlert()]).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect((err as Error).message).toBe('splunk-hec: timeout after 150 ms');
  });
});

describe('WebhookSink', () => {
  const secret = 's'.repeat(40);

  it('POSTs the JSON body with a verifiable HMAC signature and batch idempotency key', async () => {
    const srv = await startHttpServer(() => ({ status: 204 }));
    cleanups.push(srv.close);
    const sink = new WebhookSink({ url: `${srv.url}/hook`, secret, timeoutMs: ROOMY_TIMEOUT_MS, maxBatchSize: 10 }, { nowSec: () => 1700000100 });
    const a = makeAlert({ alert_id: 'aaa' });
    const b = makeAlert({ alert_id: 'bbb' });
    await sink.send([b, a]);

    const req = srv.requests[0];
    expect(req.url).toBe('/hook');
    expect(req.body).toBe(JSON.stringify({ alerts: [b, a] }));
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-socflow-timestamp']).toBe('1700000100');
    expect(req.headers['x-socflow-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({
      body: req.body, secret, signature: req.headers['x-socflow-signature'] as string,
      timestamp: req.headers['x-socflow-timestamp'] as string, nowSec: 1700000100,
    })).toBe(true);
    expect(verifyWebhookSignature({
      body: req.body, secret: 'wrong'.repeat(8), signature: req.headers['x-socflow-signature'] as string,
      timestamp: req.headers['x-socflow-timestamp'] as string, nowSec: 1700000100,
    })).toBe(false);
    // sha256("aaa\nbbb")
    expect(req.headers['idempotency-key']).toBe('f62677b0cf3c886e32d8bd5c6d95860d0af79de15382e48b5b0770d65592870c');
  });

  it('uses the alert_id as idempotency key for a single alert', async () => {
    const srv = await startHttpServer(() => ({ status: 200 }));
    cleanups.push(srv.close);
    const sink = new WebhookSink({ url: srv.url, secret, timeoutMs: ROOMY_TIMEOUT_MS, maxBatchSize: 10 });
    await sink.send([makeAlert()]);
    expect(srv.requests[0].headers['idempotency-key']).toBe('0123456789abcdef0123456789abcdef');
  });

  it('does not follow redirects (treated as permanent)', async () => {
    const srv = await startHttpServer(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/x' } }));
    cleanups.push(srv.close);
    const sink = new WebhookSink({ url: srv.url, secret, timeoutMs: ROOMY_TIMEOUT_MS, maxBatchSize: 10 });
    await expect(sink.send([makeAlert()])).rejects.toMatchObject({ name: 'PermanentDeliveryError', status: 302 });
    expect(srv.requests).toHaveLength(1);
  });

  it('a hanging receiver fails at its timeout with a retryable error', async () => {
    const srv = await startHttpServer(() => 'hang');
    cleanups.push(srv.close);
    const sink = new WebhookSink({ url: srv.url, secret, timeoutMs: 150, maxBatchSize: 10 });
    const t0 = Date.now();
    await expect(sink.send([makeAlert()])).rejects.toThrow('webhook: timeout after 150 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
  });
});

describe('SyslogTcpSink', () => {
  it('writes exact RFC 6587 octet-counted RFC 5424 frames for two alerts', async () => {
    const srv = await startTcpServer();
    cleanups.push(srv.close);
    const sink = new SyslogTcpSink(syslogCfg(srv.port, { sdId: 'socflow@32473' }));
    cleanups.push(() => sink.close());
    await sink.send([A1, A2]);

    const msg1 =
      '<131>1 2023-11-14T22:13:21.456Z sensor-1 socflow - alert ' +
      '[socflow@32473 alert_id="0123456789abcdef0123456789abcdef" severity="high" category="brute_force"] ' + CEF1;
    const msg2 =
      '<130>1 2023-11-14T22:13:22.000Z sensor-1 socflow - alert ' +
      '[socflow@32473 alert_id="ffffffffffffffffffffffffffffffff" severity="critical" category="brute_force"] ' + CEF2;
    // lengths are UTF-8 byte counts, not characters ("é" is 2 bytes)
    expect([msg1.length, msg2.length]).toEqual([564, 560]);
    const expected = `565 ${msg1}561 ${msg2}`;
    const got = await srv.waitForBytes(Buffer.byteLength(expected));
    expect(got.toString('utf8')).toBe(expected);
    expect(srv.connections).toHaveLength(1);
  });

  it('keeps one persistent connection and reconnects after the server drops it', async () => {
    const srv = await startTcpServer();
    cleanups.push(srv.close);
    const sink = new SyslogTcpSink(syslogCfg(srv.port));
    cleanups.push(() => sink.close());
    const f1 = `<131>1 2023-11-14T22:13:21.456Z sensor-1 socflow - alert - ${CEF1}`;
    const frame1 = `${Buffer.byteLength(f1)} ${f1}`;

    await sink.send([A1]);
    await sink.send([A1]);
    await srv.waitForBytes(2 * Buffer.byteLength(frame1));
    expect(sink.connections).toBe(1);

    srv.dropConnections();
    for (let i = 0; i < 100 && sink.connected; i++) await new Promise((r) => setTimeout(r, 5));
    expect(sink.connected).toBe(false);

    await sink.send([A1]);
    await srv.waitForBytes(3 * Buffer.byteLength(frame1));
    expect(sink.connections).toBe(2);
    expect(srv.connections).toHaveLength(2);
    expect(Buffer.concat(srv.connections[1]).toString('utf8')).toBe(frame1);
  });

  it('connection refused is a retryable network error', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const sink = new SyslogTcpSink(syslogCfg(port));
    cleanups.push(() => sink.close());
    const err = await sink.send([A1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect((err as Error).message).toMatch(/^syslog-tcp: network error ECONNREFUSED/);
  });
});

describe('SyslogUdpSink', () => {
  it('sends one exact datagram per alert', async () => {
    const srv = await startUdpServer();
    cleanups.push(srv.close);
    const sink = new SyslogUdpSink(syslogCfg(srv.port, { protocol: 'udp', procId: '1234' }));
    cleanups.push(() => sink.close());
    await sink.send([A1, A2]);
    const dgrams = await srv.waitForDatagrams(2);
    expect(dgrams.map((d) => d.toString('utf8'))).toEqual([
      `<131>1 2023-11-14T22:13:21.456Z sensor-1 socflow 1234 alert - ${CEF1}`,
      `<130>1 2023-11-14T22:13:22.000Z sensor-1 socflow 1234 alert - ${CEF2}`,
    ]);
  });

  it('truncates to maxMessageBytes at a character boundary', async () => {
    const srv = await startUdpServer();
    cleanups.push(srv.close);
    const sink = new SyslogUdpSink(syslogCfg(srv.port, { protocol: 'udp', maxMessageBytes: 480 }));
    cleanups.push(() => sink.close());
    // 'é' = 2 bytes; an odd byte budget would otherwise split one
    await sink.send([smallAlert({ description: 'é'.repeat(2000) })]);
    const [d] = await srv.waitForDatagrams(1);
    expect(d.length).toBeLessThanOrEqual(480);
    expect(d.length).toBeGreaterThanOrEqual(479);
    const text = d.toString('utf8');
    expect(text).not.toContain('\uFFFD');
    const full = `<131>1 2023-11-14T22:13:21.456Z sensor-1 socflow - alert - ${CEF1.replace('msg=café', `msg=${'é'.repeat(2000)}`)}`;
    expect(full.startsWith(text)).toBe(true);
  });
});
