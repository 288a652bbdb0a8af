/**
 * Pure formatters: Alert -> Splunk HEC event, CEF line, RFC 5424 syslog message,
 * webhook body + HMAC signature. No I/O, no clock (timestamps are passed in).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert } from './alert.js';

// ---------------------------------------------------------------------------------------
// Splunk HTTP Event Collector
// ---------------------------------------------------------------------------------------

export interface SplunkHecEventOptions {
  index?: string;
  /** Default "socflow:alert". */
  sourcetype?: string;
  /** Default "socflow". */
  source?: string;
}

export interface SplunkHecEvent {
  /** Epoch seconds with millisecond fraction (alert.event_time). */
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index?: string;
  event: Alert;
}

export function toSplunkHecEvent(alert: Alert, opts: SplunkHecEventOptions = {}): SplunkHecEvent {
  const ev: SplunkHecEvent = {
    // ms / 1000 is correctly rounded, so it prints as e.g. 1700000000.123.
    time: alert.event_time / 1000,
    host: alert.host,
    source: opts.source ?? 'socflow',
    sourcetype: opts.sourcetype ?? 'socflow:alert',
    event: alert,
  };
  if (opts.index) {
    // keep `event` last for readability in Splunk's raw view
    const { event, ...rest } = ev;
    return { ...rest, index: opts.index, event };
  }
  return ev;
}

/** Body for POST /services/collector/event: one JSON event per line. */
export function toSplunkHecBody(alerts: readonly Alert[], opts: SplunkHecEventOptions = {}): string {
  return alerts.map((a) => JSON.stringify(toSplunkHecEvent(a, opts))).join('\n');
}

// ---------------------------------------------------------------------------------------
// CEF
// ---------------------------------------------------------------------------------------

export const SOCFLOW_VERSION = '0.1.0';

export interface CefOptions {
  /** Default "socflow". */
  vendor?: string;
  /** Default "socflow". */
  product?: string;
  /** Default SOCFLOW_VERSION. */
  version?: string;
}

/** Alert severity -> CEF 0..10 (0-3 low, 4-6 medium, 7-8 high, 9-10 very high). */
export function cefSeverity(severity: string): number {
  switch (severity.toLowerCase()) {
    case 'critical': return 10;
    case 'high': return 8;
    case 'medium': return 5;
    case 'low': return 3;
    case 'info': return 1;
    default: return 5;
  }
}

/**
 * CEF header field: escape `\` and `|`. Header fields cannot be multi-line, so CR/LF
 * (and any other control character) become a space.
 */
export function escapeCefHeader(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|[\r\n]/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/**
 * CEF extension value: escape `\`, `=`, and encode newlines as the two-character
 * sequences `\n` / `\r`. Other control characters become a space.
 */
export function escapeCefExtension(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\t]/g, ' ');
}

function truncateChars(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max;
  // do not split a surrogate pair
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut -= 1;
  return s.slice(0, cut);
}

/**
 * Alert -> `CEF:0|vendor|product|version|<detector>|<title>|<0-10>|<extension>`.
 *
 * Extension keys (empty values are omitted, labels only with their value):
 *   externalId=alert_id rt=event_time start=first_evidence_time dhost=host cat=category
 *   msg=description cs1=techniques (comma-joined) cs2=agent_id cs3=detector
 *   cs4=model_version cs5=asset_criticality cs6=remediation cfp1=score
 *   deviceCustomDate1=detected_at flexString1=evidence_event_ids (comma-joined)
 *   flexString2=metadata (JSON)
 * Times are epoch milliseconds (a CEF-accepted form).
 */
export function toCef(alert: Alert, opts: CefOptions = {}): string {
  const header = [
    'CEF:0',
    escapeCefHeader(truncateChars(opts.vendor ?? 'socflow', 63)),
    escapeCefHeader(truncateChars(opts.product ?? 'socflow', 63)),
    escapeCefHeader(truncateChars(opts.version ?? SOCFLOW_VERSION, 31)),
    escapeCefHeader(truncateChars(alert.detector, 1023)),
    escapeCefHeader(truncateChars(alert.title, 512)),
    String(cefSeverity(alert.severity)),
  ].join('|');

  const ext: Array<[string, string]> = [];
  const add = (key: string, value: string | number | null | undefined, label?: [string, string]) => {
    if (value === null || value === undefined) return;
    const v = String(value);
    if (v === '') return;
    ext.push([key, v]);
    if (label) ext.push(label);
  };
  add('externalId', alert.alert_id);
  add('rt', alert.event_time);
  add('start', alert.first_evidence_time);
  add('dhost', alert.host);
  add('cat', alert.category);
  add('msg', alert.description);
  add('cs1', alert.techniques.join(','), ['cs1Label', 'mitreTechniques']);
  add('cs2', alert.agent_id, ['cs2Label', 'agentId']);
  add('cs3', alert.detector, ['cs3Label', 'detector']);
  add('cs4', alert.model_version, ['cs4Label', 'modelVersion']);
  add('cs5', alert.asset_criticality, ['cs5Label', 'assetCriticality']);
  add('cs6', alert.remediation, ['cs6Label', 'remediation']);
  add('cfp1', alert.score, ['cfp1Label', 'score']);
  add('deviceCustomDate1', alert.detected_at, ['deviceCustomDate1Label', 'detectedAt']);
  add('flexString1', alert.evidence_event_ids.join(','), ['flexString1Label', 'evidenceEventIds']);
  const metaKeys = Object.keys(alert.metadata ?? {}).sort();
  if (metaKeys.length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of metaKeys) sorted[k] = alert.metadata[k];
    add('flexString2', JSON.stringify(sorted), ['flexString2Label', 'metadata']);
  }
  const extension = ext.map(([k, v]) => `${k}=${escapeCefExtension(v)}`).join(' ');
  return `${header}|${extension}`;
}

// ---------------------------------------------------------------------------------------
// Syslog RFC 5424
// ---------------------------------------------------------------------------------------

export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  authpriv: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** Alert severity -> syslog severity (2 crit, 3 err, 4 warning, 5 notice, 6 info). */
export function syslogSeverity(severity: string): number {
  switch (severity.toLowerCase()) {
    case 'critical': return 2;
    case 'high': return 3;
    case 'medium': return 4;
    case 'low': return 5;
    case 'info': return 6;
    default: return 4;
  }
}

export interface StructuredDataElement {
  /** SD-ID, e.g. "socflow@32473" (1-32 printable ASCII chars, no `=`, space, `]`, `"`). */
  id: string;
  params: Record<string, string>;
}

export interface Syslog5424Options {
  appName: string;
  hostname: string;
  /** 0..23 */
  facility: number;
  /** Syslog severity 0..7 (see syslogSeverity()). */
  severity: number;
  /** Message timestamp, epoch ms or Date (rendered in UTC with ms). */
  timestamp: number | Date;
  procId?: string;
  msgId?: string;
  structuredData?: StructuredDataElement[];
}

/** HOSTNAME/APP-NAME/PROCID/MSGID: PRINTUSASCII (33..126), bounded, "-" when empty. */
function headerField(value: string | undefined, maxLen: number): string {
  if (value === undefined || value === '') return '-';
  const clean = value.replace(/[^\x21-\x7e]/g, '_');
  return clean.slice(0, maxLen);
}

const SD_NAME = /^[\x21-\x7e]{1,32}$/;
function isSdName(s: string): boolean {
  return SD_NAME.test(s) && !/[= \]"]/.test(s);
}

export function escapeSdParamValue(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function formatStructuredData(elements: readonly StructuredDataElement[] | undefined): string {
  if (!elements || elements.length === 0) return '-';
  return elements
    .map((el) => {
      if (!isSdName(el.id)) throw new RangeError(`invalid SD-ID ${JSON.stringify(el.id)}`);
      const params = Object.entries(el.params).map(([k, v]) => {
        if (!isSdName(k)) throw new RangeError(`invalid SD PARAM-NAME ${JSON.stringify(k)}`);
        return ` ${k}="${escapeSdParamValue(v)}"`;
      });
      return `[${el.id}${params.join('')}]`;
    })
    .join('');
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`, PRI = facility * 8 + severity. */
export function toSyslog5424(msg: string, opts: Syslog5424Options): string {
  if (!Number.isInteger(opts.facility) || opts.facility < 0 || opts.facility > 23) {
    throw new RangeError(`syslog facility must be an integer 0..23, got ${opts.facility}`);
  }
  if (!Number.isInteger(opts.severity) || opts.severity < 0 || opts.severity > 7) {
    throw new RangeError(`syslog severity must be an integer 0..7, got ${opts.severity}`);
  }
  const pri = opts.facility * 8 + opts.severity;
  const ts = new Date(typeof opts.timestamp === 'number' ? opts.timestamp : opts.timestamp.getTime());
  if (Number.isNaN(ts.getTime())) throw new RangeError('syslog timestamp is invalid');
  return [
    `<${pri}>1`,
    ts.toISOString(),
    headerField(opts.hostname, 255),
    headerField(opts.appName, 48),
    headerField(opts.procId, 128),
    headerField(opts.msgId, 32),
    formatStructuredData(opts.structuredData),
    msg,
  ].join(' ');
}

/**
 * Truncates a message to at most `maxBytes` UTF-8 bytes without splitting a multi-byte
 * character and without leaving a dangling CEF escape (an odd trailing backslash).
 */
export function truncateUtf8(message: string, maxBytes: number): Buffer {
  const buf = Buffer.from(message, 'utf8');
  if (buf.length <= maxBytes) return buf;
  let cut = Math.max(0, maxBytes);
  // buf[cut] is the first dropped byte; if it is a continuation byte, back up to the lead byte.
  while (cut > 0 && (buf[cut] & 0xc0) === 0x80) cut--;
  let trailing = 0;
  while (cut - trailing > 0 && buf[cut - trailing - 1] === 0x5c) trailing++;
  if (trailing % 2 === 1) cut--;
  return buf.subarray(0, cut);
}

/** RFC 6587 octet-counting frame: `<byte length> <msg>`. */
export function octetCountingFrame(message: Buffer | string): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

// ---------------------------------------------------------------------------------------
// Webhook
// ---------------------------------------------------------------------------------------

export const WEBHOOK_SIGNATURE_HEADER = 'X-Socflow-Signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'X-Socflow-Timestamp';
export const WEBHOOK_IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** `{"alerts":[...]}` — deterministic for a given batch (no clock inside). */
export function toWebhookBody(alerts: readonly Alert[]): string {
  return JSON.stringify({ alerts });
}

/** alert_id for a single alert; sha256 hex over the sorted, newline-joined ids for a batch. */
export function webhookIdempotencyKey(alerts: readonly Alert[]): string {
  if (alerts.length === 1) return alerts[0].alert_id;
  const ids = alerts.map((a) => a.alert_id).sort();
  return createHash('sha256').update(ids.join('\n'), 'utf8').digest('hex');
}

/**
 * Signature headers: `X-Socflow-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 * and `X-Socflow-Timestamp: <timestamp>` (unix seconds).
 */
export function signWebhook(body: string, secret: string, timestamp: number): Record<string, string> {
  const ts = String(Math.floor(timestamp));
  const mac = createHmac('sha256', secret).update(`${ts}.${body}`, 'utf8').digest('hex');
  return { [WEBHOOK_SIGNATURE_HEADER]: `sha256=${mac}`, [WEBHOOK_TIMESTAMP_HEADER]: ts };
}

export interface VerifyWebhookInput {
  body: string;
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  /** Receiver clock, unix seconds. */
  nowSec: number;
  /** Allowed clock skew / replay window in seconds. Default 300. */
  toleranceSec?: number;
}

/** Receiver-side check (constant-time compare, replay window). */
export function verifyWebhookSignature(input: VerifyWebhookInput): boolean {
  const { body, secret, signature, timestamp, nowSec } = input;
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(nowSec - ts) > (input.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhook(body, secret, ts)[WEBHOOK_SIGNATURE_HEADER], 'utf8');
  const got = Buffer.from(signature, 'utf8');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
