/**
 * SIEM output configuration from environment variables (secrets come from env only).
 *
 * Splunk HEC (enabled when SIEM_SPLUNK_URL is set)
 *   SIEM_SPLUNK_URL           http(s) base URL, e.g. https://splunk:8088        (required)
 *   SIEM_SPLUNK_TOKEN         HEC token                                         (required, secret)
 *   SIEM_SPLUNK_INDEX, SIEM_SPLUNK_SOURCETYPE (default socflow:alert), SIEM_SPLUNK_SOURCE (default socflow)
 *   SIEM_SPLUNK_CHANNEL       X-Splunk-Request-Channel (GUID)
 *   SIEM_SPLUNK_TIMEOUT_MS    default 10000;  SIEM_SPLUNK_BATCH_SIZE default 100
 * Syslog (enabled when SIEM_SYSLOG_HOST is set)
 *   SIEM_SYSLOG_HOST, SIEM_SYSLOG_PORT (default 514), SIEM_SYSLOG_PROTOCOL tcp|udp (default tcp)
 *   SIEM_SYSLOG_FACILITY      0..23 or a name (local0, authpriv, ...); default local0
 *   SIEM_SYSLOG_APP_NAME (default socflow), SIEM_SYSLOG_HOSTNAME (default os.hostname()),
 *   SIEM_SYSLOG_PROC_ID (default -), SIEM_SYSLOG_MSG_ID (default alert), SIEM_SYSLOG_SD_ID (e.g. socflow@32473)
 *   SIEM_SYSLOG_MAX_MESSAGE_BYTES 480..65507, default 8192
 *   SIEM_SYSLOG_TIMEOUT_MS    default 5000;   SIEM_SYSLOG_BATCH_SIZE default 100
 * Webhook (enabled when SIEM_WEBHOOK_URL is set)
 *   SIEM_WEBHOOK_URL, SIEM_WEBHOOK_SECRET (required, >= 32 chars, secret)
 *   SIEM_WEBHOOK_TIMEOUT_MS   default 10000;  SIEM_WEBHOOK_BATCH_SIZE default 50
 * Retry (all sinks)
 *   SIEM_RETRY_MAX_ATTEMPTS (default 6), SIEM_RETRY_BASE_DELAY_MS (200), SIEM_RETRY_MAX_DELAY_MS (30000),
 *   SIEM_RETRY_MAX_RETRY_AFTER_MS (60000), SIEM_RETRY_ON_EXHAUSTED throw|dead-letter (throw)
 */
import os from 'node:os';
import { SYSLOG_FACILITIES } from './formatters.js';
import {
  SplunkHecSink,
  WebhookSink,
  createSyslogSink,
  type SiemSink,
  type SplunkHecConfig,
  type SyslogConfig,
  type WebhookConfig,
} from './sinks.js';
import type { RetryPolicy } from './delivery.js';

export type { SplunkHecConfig, SyslogConfig, WebhookConfig };

export interface SiemConfig {
  splunk?: SplunkHecConfig;
  syslog?: SyslogConfig;
  webhook?: WebhookConfig;
  retry: Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'onExhausted'>;
  /** Non-fatal findings, e.g. unknown SIEM_* variables (probable typos). */
  warnings: string[];
}

export type EnvLike = Readonly<Record<string, string | undefined>>;

export class SiemConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid SIEM configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'SiemConfigError';
  }
}

const KNOWN_KEYS = new Set([
  'SIEM_SPLUNK_URL', 'SIEM_SPLUNK_TOKEN', 'SIEM_SPLUNK_INDEX', 'SIEM_SPLUNK_SOURCETYPE', 'SIEM_SPLUNK_SOURCE',
  'SIEM_SPLUNK_CHANNEL', 'SIEM_SPLUNK_TIMEOUT_MS', 'SIEM_SPLUNK_BATCH_SIZE',
  'SIEM_SYSLOG_HOST', 'SIEM_SYSLOG_PORT', 'SIEM_SYSLOG_PROTOCOL', 'SIEM_SYSLOG_FACILITY', 'SIEM_SYSLOG_APP_NAME',
  'SIEM_SYSLOG_HOSTNAME', 'SIEM_SYSLOG_PROC_ID', 'SIEM_SYSLOG_MSG_ID', 'SIEM_SYSLOG_SD_ID',
  'SIEM_SYSLOG_MAX_MESSAGE_BYTES', 'SIEM_SYSLOG_TIMEOUT_MS', 'SIEM_SYSLOG_BATCH_SIZE',
  'SIEM_WEBHOOK_URL', 'SIEM_WEBHOOK_SECRET', 'SIEM_WEBHOOK_TIMEOUT_MS', 'SIEM_WEBHOOK_BATCH_SIZE',
  'SIEM_RETRY_MAX_ATTEMPTS', 'SIEM_RETRY_BASE_DELAY_MS', 'SIEM_RETRY_MAX_DELAY_MS', 'SIEM_RETRY_MAX_RETRY_AFTER_MS',
  'SIEM_RETRY_ON_EXHAUSTED',
]);

/** Prefixes of SIEM_* variables owned by other components (not reported as unknown). */
const FOREIGN_PREFIXES = ['SIEM_KAFKA_', 'SIEM_DLQ_', 'SIEM_CONSUMER_'];

class Reader {
  readonly issues: string[] = [];
  constructor(private readonly env: EnvLike) {}

  str(key: string): string | undefined {
    const v = this.env[key];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  }

  int(key: string, def: number, min: number, max: number): number {
    const raw = this.str(key);
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.issues.push(`${key} must be an integer between ${min} and ${max} (got ${JSON.stringify(raw)})`);
      return def;
    }
    return Number(raw);
  }

  url(key: string): string | undefined {
    const raw = this.str(key);
    if (raw === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      this.issues.push(`${key} must be an http(s) URL (got ${JSON.stringify(raw)})`);
      return undefined;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      this.issues.push(`${key} must be an http(s) URL (got scheme ${JSON.stringify(u.protocol)})`);
      return undefined;
    }
    if (u.username || u.password) {
      this.issues.push(`${key} must not embed credentials; use the token/secret variables`);
      return undefined;
    }
    return raw;
  }

  /** Secret: required, no whitespace/control characters; value never echoed in messages. */
  secret(key: string, requiredBy: string, minLength: number): string | undefined {
    const v = this.env[key];
    if (v === undefined || v.trim() === '') {
      this.issues.push(`${key} is required when ${requiredBy} is set`);
      return undefined;
    }
    if (/[\s\x00-\x1f\x7f]/.test(v)) {
      this.issues.push(`${key} must not contain whitespace or control characters`);
      return undefined;
    }
    if (v.length < minLength) {
      this.issues.push(`${key} must be at least ${minLength} characters long`);
      return undefined;
    }
    return v;
  }

  printable(key: string, def: string | undefined, maxLen: number): string | undefined {
    const v = this.str(key) ?? def;
    if (v === undefined) return undefined;
    if (!/^[\x21-\x7e]+$/.test(v) || v.length > maxLen) {
      this.issues.push(`${key} must be 1..${maxLen} printable ASCII characters without spaces (got ${JSON.stringify(v)})`);
      return def;
    }
    return v;
  }

  orphans(enabler: string, keys: string[]): void {
    if (this.str(enabler) !== undefined) return;
    for (const k of keys) {
      if (this.env[k] !== undefined && this.env[k]!.trim() !== '') this.issues.push(`${k} is set but ${enabler} is not`);
    }
  }
}

function parseFacility(r: Reader): number {
  const raw = r.str('SIEM_SYSLOG_FACILITY');
  if (raw === undefined) return SYSLOG_FACILITIES.local0;
  if (/^\d+$/.test(raw) && Number(raw) <= 23) return Number(raw);
  const named = SYSLOG_FACILITIES[raw.toLowerCase()];
  if (named !== undefined) return named;
  r.issues.push(`SIEM_SYSLOG_FACILITY must be 0..23 or one of ${Object.keys(SYSLOG_FACILITIES).join(', ')} (got ${JSON.stringify(raw)})`);
  return SYSLOG_FACILITIES.local0;
}

/** Validates SIEM_* variables; throws SiemConfigError listing every problem at once. */
export function parseSiemConfig(env: EnvLike): SiemConfig {
  const r = new Reader(env);
  const config: SiemConfig = {
    retry: {
      maxAttempts: r.int('SIEM_RETRY_MAX_ATTEMPTS', 6, 1, 100),
      baseDelayMs: r.int('SIEM_RETRY_BASE_DELAY_MS', 200, 0, 60_000),
      maxDelayMs: r.int('SIEM_RETRY_MAX_DELAY_MS', 30_000, 0, 600_000),
      maxRetryAfterMs: r.int('SIEM_RETRY_MAX_RETRY_AFTER_MS', 60_000, 0, 3_600_000),
      onExhausted: 'throw',
    },
    warnings: [],
  };
  const onExhausted = r.str('SIEM_RETRY_ON_EXHAUSTED');
  if (onExhausted !== undefined) {
    if (onExhausted === 'throw' || onExhausted === 'dead-letter') config.retry.onExhausted = onExhausted;
    else r.issues.push(`SIEM_RETRY_ON_EXHAUSTED must be "throw" or "dead-letter" (got ${JSON.stringify(onExhausted)})`);
  }

  // Splunk HEC
  r.orphans('SIEM_SPLUNK_URL', [...KNOWN_KEYS].filter((k) => k.startsWith('SIEM_SPLUNK_') && k !== 'SIEM_SPLUNK_URL'));
  if (r.str('SIEM_SPLUNK_URL') !== undefined) {
    const url = r.url('SIEM_SPLUNK_URL');
    const token = r.secret('SIEM_SPLUNK_TOKEN', 'SIEM_SPLUNK_URL', 1);
    const channel = r.str('SIEM_SPLUNK_CHANNEL');
    if (channel !== undefined && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(channel)) {
      r.issues.push(`SIEM_SPLUNK_CHANNEL must be a GUID (got ${JSON.stringify(channel)})`);
    }
    const cfg: SplunkHecConfig = {
      url: url ?? '',
      token: token ?? '',
      index: r.printable('SIEM_SPLUNK_INDEX', undefined, 80),
      sourcetype: r.printable('SIEM_SPLUNK_SOURCETYPE', 'socflow:alert', 200),
      source: r.printable('SIEM_SPLUNK_SOURCE', 'socflow', 200),
      channel,
      timeoutMs: r.int('SIEM_SPLUNK_TIMEOUT_MS', 10_000, 100, 300_000),
      maxBatchSize: r.int('SIEM_SPLUNK_BATCH_SIZE', 100, 1, 10_000),
    };
    if (cfg.index === undefined) delete cfg.index;
    if (cfg.channel === undefined) delete cfg.channel;
    config.splunk = cfg;
  }

  // Syslog
  r.orphans('SIEM_SYSLOG_HOST', [...KNOWN_KEYS].filter((k) => k.startsWith('SIEM_SYSLOG_') && k !== 'SIEM_SYSLOG_HOST'));
  const syslogHost = r.str('SIEM_SYSLOG_HOST');
  if (syslogHost !== undefined) {
    if (!/^[A-Za-z0-9.:_-]+$/.test(syslogHost) || syslogHost.length > 253) {
      r.issues.push(`SIEM_SYSLOG_HOST must be a hostname or IP address (got ${JSON.stringify(syslogHost)})`);
    }
    const protocol = (r.str('SIEM_SYSLOG_PROTOCOL') ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') {
      r.issues.push(`SIEM_SYSLOG_PROTOCOL must be "tcp" or "udp" (got ${JSON.stringify(r.str('SIEM_SYSLOG_PROTOCOL'))})`);
    }
    const sdId = r.str('SIEM_SYSLOG_SD_ID');
    if (sdId !== undefined && !/^[^\s="\]@]{1,32}@\d+(\.\d+)*$/.test(sdId)) {
      r.issues.push(`SIEM_SYSLOG_SD_ID must look like name@<private enterprise number>, e.g. socflow@32473 (got ${JSON.stringify(sdId)})`);
    } else if (sdId !== undefined && (sdId.length > 32 || !/^[\x21-\x7e]+$/.test(sdId))) {
      r.issues.push(`SIEM_SYSLOG_SD_ID must be at most 32 printable ASCII characters (got ${JSON.stringify(sdId)})`);
    }
    const cfg: SyslogConfig = {
      protocol: protocol === 'udp' ? 'udp' : 'tcp',
      host: syslogHost,
      port: r.int('SIEM_SYSLOG_PORT', 514, 1, 65_535),
      facility: parseFacility(r),
      appName: r.printable('SIEM_SYSLOG_APP_NAME', 'socflow', 48)!,
      hostname: r.printable('SIEM_SYSLOG_HOSTNAME', os.hostname().replace(/[^\x21-\x7e]/g, '_').slice(0, 255) || '-', 255)!,
      procId: r.printable('SIEM_SYSLOG_PROC_ID', '-', 128),
      msgId: r.printable('SIEM_SYSLOG_MSG_ID', 'alert', 32),
      maxMessageBytes: r.int('SIEM_SYSLOG_MAX_MESSAGE_BYTES', 8192, 480, 65_507),
      timeoutMs: r.int('SIEM_SYSLOG_TIMEOUT_MS', 5_000, 100, 300_000),
      maxBatchSize: r.int('SIEM_SYSLOG_BATCH_SIZE', 100, 1, 10_000),
    };
    if (sdId !== undefined) cfg.sdId = sdId;
    config.syslog = cfg;
  }

  // Webhook
  r.orphans('SIEM_WEBHOOK_URL', [...KNOWN_KEYS].filter((k) => k.startsWith('SIEM_WEBHOOK_') && k !== 'SIEM_WEBHOOK_URL'));
  if (r.str('SIEM_WEBHOOK_URL') !== undefined) {
    const url = r.url('SIEM_WEBHOOK_URL');
    const secret = r.secret('SIEM_WEBHOOK_SECRET', 'SIEM_WEBHOOK_URL', 32);
    config.webhook = {
      url: url ?? '',
      secret: secret ?? '',
      timeoutMs: r.int('SIEM_WEBHOOK_TIMEOUT_MS', 10_000, 100, 300_000),
      maxBatchSize: r.int('SIEM_WEBHOOK_BATCH_SIZE', 50, 1, 10_000),
    };
  }

  if (config.retry.maxDelayMs < config.retry.baseDelayMs) {
    r.issues.push(`SIEM_RETRY_MAX_DELAY_MS (${config.retry.maxDelayMs}) must be >= SIEM_RETRY_BASE_DELAY_MS (${config.retry.baseDelayMs})`);
  }

  for (const k of Object.keys(env)) {
    if (k.startsWith('SIEM_') && !KNOWN_KEYS.has(k) && !FOREIGN_PREFIXES.some((p) => k.startsWith(p))) {
      config.warnings.push(`unknown variable ${k} ignored`);
    }
  }

  if (r.issues.length > 0) throw new SiemConfigError(r.issues);
  return config;
}

/** Copy safe to log: token and secret replaced. */
export function redactSiemConfig(c: SiemConfig): SiemConfig {
  return {
    ...c,
    ...(c.splunk ? { splunk: { ...c.splunk, token: '[redacted]' } } : {}),
    ...(c.webhook ? { webhook: { ...c.webhook, secret: '[redacted]' } } : {}),
  };
}

/** One sink per configured output. */
export function createSiemSinks(c: SiemConfig): SiemSink[] {
  const sinks: SiemSink[] = [];
  if (c.splunk) sinks.push(new SplunkHecSink(c.splunk));
  if (c.syslog) sinks.push(createSyslogSink(c.syslog));
  if (c.webhook) sinks.push(new WebhookSink(c.webhook));
  return sinks;
}
