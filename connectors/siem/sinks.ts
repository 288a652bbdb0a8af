/**
 * Thin I/O sinks. Each `send()` delivers one batch or throws a DeliveryError
 * (PermanentDeliveryError / RetryableDeliveryError); retries live in delivery.ts.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Alert } from './alert.js';
import { RetryableDeliveryError, httpStatusError, toDeliveryError } from './errors.js';
import {
  WEBHOOK_IDEMPOTENCY_HEADER,
  octetCountingFrame,
  signWebhook,
  syslogSeverity,
  toCef,
  toSplunkHecBody,
  toSyslog5424,
  toWebhookBody,
  truncateUtf8,
  webhookIdempotencyKey,
  type CefOptions,
} from './formatters.js';

export interface SiemSink {
  readonly name: string;
  /** Largest batch one send() puts on the wire; larger inputs are split. */
  readonly maxBatchSize: number;
  send(alerts: Alert[]): Promise<void>;
  close(): Promise<void>;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const MAX_RESPONSE_SNIPPET = 2048;

async function readSnippet(res: Response): Promise<string> {
  try {
    const text = await res.text();
    return text.length > MAX_RESPONSE_SNIPPET ? text.slice(0, MAX_RESPONSE_SNIPPET) : text;
  } catch {
    return '';
  }
}

/** POST with a hard timeout covering connect, headers and body; no redirects followed. */
async function postOnce(sink: string, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError') {
      throw new RetryableDeliveryError(`${sink}: timeout after ${timeoutMs} ms`, { cause: e });
    }
    throw toDeliveryError(sink, e);
  }
  const text = await readSnippet(res);
  if (res.status >= 200 && res.status < 300) return;
  throw httpStatusError(sink, res.status, res.headers.get('retry-after'), text.trim());
}

// ---------------------------------------------------------------------------------------
// Splunk HEC
// ---------------------------------------------------------------------------------------

export interface SplunkHecConfig {
  /** Base URL, e.g. https://splunk.example:8088 (or the full .../services/collector/event). */
  url: string;
  /** HEC token (from env SIEM_SPLUNK_TOKEN). */
  token: string;
  index?: string;
  sourcetype?: string;
  source?: string;
  /** Sent as X-Splunk-Request-Channel when set (required by HEC when indexer ack is on). */
  channel?: string;
  timeoutMs: number;
  maxBatchSize: number;
}

export function splunkHecEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith('/services/collector/event') ? base : `${base}/services/collector/event`;
}

export class SplunkHecSink implements SiemSink {
  readonly name = 'splunk-hec';
  readonly maxBatchSize: number;
  private readonly endpoint: string;
  constructor(private readonly cfg: SplunkHecConfig) {
    this.maxBatchSize = cfg.maxBatchSize;
    this.endpoint = splunkHecEndpoint(cfg.url);
  }

  async send(alerts: Alert[]): Promise<void> {
    for (const batch of chunk(alerts, this.maxBatchSize)) {
      const body = toSplunkHecBody(batch, { index: this.cfg.index, sourcetype: this.cfg.sourcetype, source: this.cfg.source });
      const headers: Record<string, string> = {
        Authorization: `Splunk ${this.cfg.token}`,
        'Content-Type': 'application/json',
      };
      if (this.cfg.channel) headers['X-Splunk-Request-Channel'] = this.cfg.channel;
      await postOnce(this.name, this.endpoint, headers, body, this.cfg.timeoutMs);
    }
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------
// Webhook
// ---------------------------------------------------------------------------------------

export interface WebhookConfig {
  url: string;
  /** HMAC-SHA256 secret (from env SIEM_WEBHOOK_SECRET). */
  secret: string;
  timeoutMs: number;
  maxBatchSize: number;
}

export class WebhookSink implements SiemSink {
  readonly name = 'webhook';
  readonly maxBatchSize: number;
  /** Clock in unix seconds (injectable for tests). */
  private readonly nowSec: () => number;
  constructor(private readonly cfg: WebhookConfig, opts: { nowSec?: () => number } = {}) {
    this.maxBatchSize = cfg.maxBatchSize;
    this.nowSec = opts.nowSec ?? (() => Math.floor(Date.now() / 1000));
  }

  async send(alerts: Alert[]): Promise<void> {
    for (const batch of chunk(alerts, this.maxBatchSize)) {
      const body = toWebhookBody(batch);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        ...signWebhook(body, this.cfg.secret, this.nowSec()),
        [WEBHOOK_IDEMPOTENCY_HEADER]: webhookIdempotencyKey(batch),
      };
      await postOnce(this.name, this.cfg.url, headers, body, this.cfg.timeoutMs);
    }
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------
// Syslog (RFC 5424 + CEF)
// ---------------------------------------------------------------------------------------

export interface SyslogConfig {
  protocol: 'tcp' | 'udp';
  host: string;
  port: number;
  /** 0..23 */
  facility: number;
  appName: string;
  /** HOSTNAME field of the syslog header (this machine's name). */
  hostname: string;
  procId?: string;
  msgId?: string;
  /** When set, each message carries `[<sdId> alert_id=".." severity=".." category=".."]`. */
  sdId?: string;
  /** Messages longer than this (UTF-8 bytes) are truncated safely. */
  maxMessageBytes: number;
  timeoutMs: number;
  maxBatchSize: number;
  cef?: CefOptions;
}

/** One alert -> the RFC 5424 message (CEF payload), truncated to cfg.maxMessageBytes. */
export function formatSyslogAlert(alert: Alert, cfg: Omit<SyslogConfig, 'protocol' | 'host' | 'port' | 'timeoutMs' | 'maxBatchSize'>): Buffer {
  const msg = toSyslog5424(toCef(alert, cfg.cef), {
    appName: cfg.appName,
    hostname: cfg.hostname,
    facility: cfg.facility,
    severity: syslogSeverity(alert.severity),
    timestamp: alert.detected_at,
    procId: cfg.procId,
    msgId: cfg.msgId,
    structuredData: cfg.sdId
      ? [{ id: cfg.sdId, params: { alert_id: alert.alert_id, severity: alert.severity, category: alert.category } }]
      : undefined,
  });
  return truncateUtf8(msg, cfg.maxMessageBytes);
}

/**
 * Persistent TCP connection, RFC 6587 octet-counting framing. The connection is opened
 * lazily, dropped on any error/close/end, and re-opened by the next send().
 * Note: TCP syslog has no application-level ack; a write is "done" once handed to the
 * kernel, so a connection dying right after a write can lose data.
 */
export class SyslogTcpSink implements SiemSink {
  readonly name = 'syslog-tcp';
  readonly maxBatchSize: number;
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private closed = false;
  /** Number of TCP connections opened so far (observability/tests). */
  connections = 0;

  /** True while a usable connection is open. */
  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && this.socket.writable;
  }

  constructor(private readonly cfg: SyslogConfig) {
    this.maxBatchSize = cfg.maxBatchSize;
  }

  private drop(sock: net.Socket): void {
    if (this.socket === sock) this.socket = undefined;
    sock.destroy();
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed && this.socket.writable) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const p = new Promise<net.Socket>((resolve, reject) => {
      const sock = net.createConnection({ host: this.cfg.host, port: this.cfg.port });
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new RetryableDeliveryError(`${this.name}: connect timeout after ${this.cfg.timeoutMs} ms to ${this.cfg.host}:${this.cfg.port}`));
      }, this.cfg.timeoutMs);
      const onError = (e: Error) => {
        clearTimeout(timer);
        sock.destroy();
        reject(toDeliveryError(this.name, e));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.off('error', onError);
        this.connections++;
        // Lifetime handlers: any of these makes the next send() reconnect.
        sock.on('error', () => this.drop(sock));
        sock.on('close', () => this.drop(sock));
        sock.on('end', () => this.drop(sock));
        // Syslog receivers do not talk back; discard anything they send.
        sock.on('data', () => {});
        this.socket = sock;
        resolve(sock);
      });
    });
    this.connecting = p;
    const clear = () => {
      if (this.connecting === p) this.connecting = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private write(sock: net.Socket, data: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.off('close', onClose);
        if (err) {
          this.drop(sock);
          reject(toDeliveryError(this.name, err));
        } else resolve();
      };
      const onClose = () => finish(new RetryableDeliveryError(`${this.name}: connection closed during write`));
      const timer = setTimeout(
        () => finish(new RetryableDeliveryError(`${this.name}: write timeout after ${this.cfg.timeoutMs} ms`)),
        this.cfg.timeoutMs,
      );
      sock.once('close', onClose);
      sock.write(data, (err) => finish(err ?? undefined));
    });
  }

  async send(alerts: Alert[]): Promise<void> {
    if (this.closed) throw new RetryableDeliveryError(`${this.name}: sink is closed`);
    for (const batch of chunk(alerts, this.maxBatchSize)) {
      const payload = Buffer.concat(batch.map((a) => octetCountingFrame(formatSyslogAlert(a, this.cfg))));
      const sock = await this.connect();
      await this.write(sock, payload);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const sock = this.socket ?? (await this.connecting?.catch(() => undefined));
    this.socket = undefined;
    if (!sock || sock.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sock.destroy();
        resolve();
      }, this.cfg.timeoutMs);
      sock.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      sock.end();
    });
  }
}

/**
 * One datagram per message (RFC 5426), each truncated to cfg.maxMessageBytes.
 * The socket is connected to the destination, so ICMP port-unreachable surfaces as
 * ECONNREFUSED on a later send; any error recreates the socket.
 */
export class SyslogUdpSink implements SiemSink {
  readonly name = 'syslog-udp';
  readonly maxBatchSize: number;
  private socket: Promise<dgram.Socket> | undefined;
  private closed = false;

  constructor(private readonly cfg: SyslogConfig) {
    this.maxBatchSize = cfg.maxBatchSize;
  }

  private open(): Promise<dgram.Socket> {
    if (this.socket) return this.socket;
    const type = net.isIPv6(this.cfg.host) ? 'udp6' : 'udp4';
    const p = new Promise<dgram.Socket>((resolve, reject) => {
      const s = dgram.createSocket(type);
      const timer = setTimeout(() => {
        s.close();
        reject(new RetryableDeliveryError(`${this.name}: connect timeout after ${this.cfg.timeoutMs} ms`));
      }, this.cfg.timeoutMs);
      const onError = (e: Error) => {
        clearTimeout(timer);
        try { s.close(); } catch { /* already closed */ }
        reject(toDeliveryError(this.name, e));
      };
      s.once('error', onError);
      s.connect(this.cfg.port, this.cfg.host, () => {
        clearTimeout(timer);
        s.off('error', onError);
        s.on('error', () => this.reset(p));
        resolve(s);
      });
    });
    this.socket = p;
    p.catch(() => this.reset(p));
    return p;
  }

  private reset(p: Promise<dgram.Socket>): void {
    if (this.socket !== p) return;
    this.socket = undefined;
    p.then((s) => { try { s.close(); } catch { /* already closed */ } }, () => {});
  }

  private sendOne(s: dgram.Socket, p: Promise<dgram.Socket>, msg: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reset(p);
        reject(new RetryableDeliveryError(`${this.name}: send timeout after ${this.cfg.timeoutMs} ms`));
      }, this.cfg.timeoutMs);
      s.send(msg, (err) => {
        clearTimeout(timer);
        if (err) {
          this.reset(p);
          reject(toDeliveryError(this.name, err));
        } else resolve();
      });
    });
  }

  async send(alerts: Alert[]): Promise<void> {
    if (this.closed) throw new RetryableDeliveryError(`${this.name}: sink is closed`);
    for (const batch of chunk(alerts, this.maxBatchSize)) {
      const p = this.open();
      const s = await p;
      for (const a of batch) await this.sendOne(s, p, formatSyslogAlert(a, this.cfg));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.socket;
    this.socket = undefined;
    const s = await p?.catch(() => undefined);
    if (s) await new Promise<void>((resolve) => { try { s.close(() => resolve()); } catch { resolve(); } });
  }
}

/** Creates the sink for a syslog config (TCP or UDP). */
export function createSyslogSink(cfg: SyslogConfig): SiemSink {
  return cfg.protocol === 'tcp' ? new SyslogTcpSink(cfg) : new SyslogUdpSink(cfg);
}
