/**
 * Test-only helpers for connectors/siem tests: a fixed alert and real local listeners
 * (HTTP, TCP, UDP) bound to 127.0.0.1 on an ephemeral port. No side effects on import.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Alert } from './alert.js';

export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    alert_id: '0123456789abcdef0123456789abcdef',
    agent_id: 'agent-7',
    host: 'web-01',
    severity: 'high',
    category: 'brute_force',
    title: 'SSH brute force',
    description: 'Many failed logins',
    remediation: 'Block source IP',
    detector: 'rule:ssh-bruteforce',
    score: 0.93,
    model_version: 'ids@1.2.0',
    techniques: ['T1110', 'T1110.001'],
    evidence_event_ids: ['e1', 'e2'],
    first_evidence_time: 1700000000000,
    event_time: 1700000000123,
    detected_at: 1700000001456,
    asset_criticality: 'high',
    metadata: { failed: '42' },
    ...overrides,
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Responder = (req: RecordedRequest, n: number) =>
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'hang';

export interface TestHttpServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startHttpServer(respond: Responder): Promise<TestHttpServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const r = respond(rec, requests.length);
      if (r === 'hang') return; // never answer
      res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestTcpServer {
  port: number;
  /** Bytes received, per accepted connection. */
  connections: Buffer[][];
  /** Resolves once at least `n` bytes in total have been received. */
  waitForBytes(n: number): Promise<Buffer>;
  /** Destroys every accepted connection (server keeps listening). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startTcpServer(): Promise<TestTcpServer> {
  const connections: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  let waiters: Array<() => void> = [];
  const all = () => Buffer.concat(connections.flat());
  const server = net.createServer((sock) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    sockets.add(sock);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    });
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    connections,
    waitForBytes: (n) =>
      new Promise<Buffer>((resolve) => {
        const check = () => {
          const b = all();
          if (b.length >= n) resolve(b);
          else waiters.push(check);
        };
        check();
      }),
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface TestUdpServer {
  port: number;
  datagrams: Buffer[];
  waitForDatagrams(n: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

export async function startUdpServer(): Promise<TestUdpServer> {
  const datagrams: Buffer[] = [];
  let waiters: Array<() => void> = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m) => {
    datagrams.push(m);
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    port: sock.address().port,
    datagrams,
    waitForDatagrams: (n) =>
      new Promise<Buffer[]>((resolve) => {
        const check = () => (datagrams.length >= n ? resolve(datagrams) : waiters.push(check));
        check();
      }),
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
