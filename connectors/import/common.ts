import { createHash } from 'node:crypto';
import { ImportError } from './errors.js';
import type { Finding, FindingEvent, Severity } from './types.js';
import { mapSeverity, vocabulary } from './severity.js';

export interface ParseOptions {
  /** Event time when the report carries no scan time (the CLI passes the file mtime). UTC ms. */
  fallbackTime: number;
  /** Replaces the asset (agent_id and payload.asset) named by the report. */
  assetOverride?: string;
  /** Progress callback: number of findings produced so far (called every 1000 and at the end). */
  onProgress?: (count: number) => void;
}

/** Asset used when a report does not say what was scanned (pass --asset). */
export const UNKNOWN_ASSET = 'unknown';

/**
 * An asset name from a report, or null when it names nothing useful: empty, or a bare relative
 * directory such as `.` (a filesystem scan of the current directory says nothing about *which* tree).
 */
export function meaningfulAsset(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const t = name.trim().replace(/^"(.*)"$/, '$1').trim();
  if (t === '' || t === '.' || t === './' || t === '..' || t === '../') return null;
  return t;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic JSON with sorted object keys (depth-capped), for hashing identifier tuples. */
export function canonicalJson(v: unknown, depth = 0): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object' || depth > 64) return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map((x) => canonicalJson(x, depth + 1)).join(',') + ']';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k], depth + 1)).join(',') + '}';
}

/** event_id = first 32 hex chars of sha256 over the canonical identifier tuple. */
export function eventIdFor(parts: unknown[]): string {
  return sha256Hex(canonicalJson(parts)).slice(0, 32);
}

export interface FindingInput {
  /** The scanner's stable identifiers for this finding (rule id, location, package+version, ...). */
  key: unknown[];
  /** What was scanned, as named by the report (UNKNOWN_ASSET when the report does not say). */
  asset: string;
  /** A real host named by the report (ZAP site, nuclei host, XCCDF target); defaults to the asset. */
  host?: string | null;
  /** Scan time from the report (UTC ms), or null to use the fallback time. */
  time: number | null;
  finding: Omit<Finding, 'asset'>;
  metadata?: Record<string, string | number | boolean | null | undefined>;
}

/**
 * Collects FINDING events for one report. Ids are deterministic (format + asset + the scanner's
 * identifiers); a finding that is repeated verbatim in a report gets its occurrence index mixed
 * in, so ids are unique within a report and stable across re-imports.
 */
export class FindingSink {
  readonly events: FindingEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly occurrences = new Map<string, number>();

  constructor(
    readonly format: string,
    readonly opts: ParseOptions,
  ) {}

  add(input: FindingInput): void {
    const agentId = this.opts.assetOverride ?? input.asset;
    const host = input.host ?? agentId;
    const base = [this.format, agentId, ...input.key];
    let id = eventIdFor(base);
    if (this.seen.has(id)) {
      let n = this.occurrences.get(id) ?? 1;
      let candidate: string;
      do {
        candidate = eventIdFor([...base, { occurrence: n }]);
        n++;
      } while (this.seen.has(candidate));
      this.occurrences.set(id, n);
      id = candidate;
    }
    this.seen.add(id);
    const metadata: Record<string, string> = { import_format: this.format };
    if (input.metadata) {
      for (const [k, v] of Object.entries(input.metadata)) {
        if (v !== undefined && v !== null && v !== '') metadata[k] = String(v);
      }
    }
    const f = input.finding;
    this.events.push({
      event_id: id,
      agent_id: agentId,
      host,
      source: `scanner:${this.format}`,
      event_time: input.time ?? this.opts.fallbackTime,
      type: 'FINDING',
      payload: {
        scanner: f.scanner,
        scanner_id: f.scanner_id,
        rule_id: f.rule_id,
        title: f.title,
        description: f.description,
        severity: f.severity,
        cve: f.cve,
        cwe: f.cwe,
        asset: agentId,
        location: f.location,
        line: f.line,
        package: f.package,
        installed_version: f.installed_version,
        fixed_version: f.fixed_version,
        url: f.url,
      },
      metadata,
      asset: null,
      ingest_time: null,
    });
    if (this.opts.onProgress && this.events.length % 1000 === 0) this.opts.onProgress(this.events.length);
  }
}

/** Severity through the scanner's documented table, or an ImportError naming the field. */
export function severityOf(format: string, table: string, value: string, where: string): Severity {
  const s = mapSeverity(table, value);
  if (s === null) throw new ImportError(format, where, `unknown severity ${JSON.stringify(value)} (expected one of: ${vocabulary(table)})`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// time

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Strict ISO-8601 / RFC 3339 date-time → UTC ms (fractions beyond ms truncated). A time without a
 * zone designator is taken as UTC (XCCDF and some scanners omit it). Returns null when invalid.
 */
export function parseIsoTime(s: string): number | null {
  const m = ISO_RE.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), Number((frac + '000').slice(0, 3)));
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    ms -= sign * (oh * 60 + om) * 60000;
  }
  return ms;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * ZAP's `generated` attribute, e.g. `Tue, 12 May 2020 20:57:30`. ZAP writes it in the scanning
 * machine's local time without a zone; it is taken as UTC (documented), so output is reproducible.
 */
export function parseZapGenerated(s: string): number | null {
  const m = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})(?:\s*(GMT|UTC|Z))?$/.exec(s.trim());
  if (!m) return parseIsoTime(s);
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return null;
  const day = Number(m[1]);
  const check = new Date(Date.UTC(Number(m[3]), month, day));
  if (check.getUTCDate() !== day || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return null;
  return Date.UTC(Number(m[3]), month, day, Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Parse an optional time field; a present but unparseable value is an ImportError. */
export function timeField(format: string, value: string | null, where: string, parse = parseIsoTime): number | null {
  if (value === null || value.trim() === '') return null;
  const t = parse(value);
  if (t === null) throw new ImportError(format, where, `invalid date-time ${JSON.stringify(value)}`);
  return t;
}

// ---------------------------------------------------------------------------------------------
// identifiers and text

const CVE_RE = /CVE-\d{4}-\d{4,}/gi;

/** Unique CVE ids (upper-cased) found in the given strings, in order. */
export function cveIds(...values: Array<string | null | undefined>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (!v) continue;
    for (const m of v.matchAll(CVE_RE)) out.add(m[0].toUpperCase());
  }
  return [...out];
}

/**
 * Normalize one CWE reference to `CWE-<n>`: accepts 79, "79", "CWE-79", "cwe-79",
 * "CWE-696: Incorrect Behavior Order", "external/cwe/cwe-79". Returns null for none/-1/0.
 */
export function normCwe(v: unknown): string | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? `CWE-${v}` : null;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  let m = /^(\d+)$/.exec(s);
  if (!m) m = /(?:^|[^A-Za-z])cwe[-_:/ ]?(\d+)/i.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 ? `CWE-${n}` : null;
}

export function cweIds(values: Iterable<unknown>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    const c = normCwe(v);
    if (c) out.add(c);
  }
  return [...out];
}

/** Plain text from the small HTML fragments some scanners embed (ZAP, Trivy); null when empty. */
export function htmlToText(s: string | null): string | null {
  if (s === null) return null;
  const t = s
    .replace(/<\s*br\s*\/?>/gi, '\n')
    .replace(/<\/\s*(p|li|div|h[1-6])\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(lt|gt|amp|quot|apos|nbsp|#39);/g, (_, e: string) =>
      ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', '#39': "'" })[e] ?? '',
    )
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('\n');
  return t.length > 0 ? t : null;
}

/** First non-empty line, cut to `max` characters. */
export function firstLine(s: string, max = 200): string {
  const line = s.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}

/** First http(s) URL in a text (HTML tags stripped first), or null. Keeps balanced parentheses. */
export function firstUrl(s: string | null): string | null {
  if (!s) return null;
  const m = /https?:\/\/[^\s<>"]+/.exec(s.replace(/<[^>]*>/g, ' '));
  if (!m) return null;
  let url = m[0].replace(/[.,;:!?'"]+$/, '');
  while (url.endsWith(')') && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) url = url.slice(0, -1);
  return url;
}

/** Host (with non-default port) of a URL-ish target such as `https://example.com:8443/x` or `www.example.com:443`. */
export function urlHost(target: string): { asset: string; host: string } | null {
  const t = target.trim();
  if (t === '') return null;
  try {
    const u = new URL(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(t) ? t : `tcp://${t}`);
    if (!u.hostname) return null;
    const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
    return { asset: u.host || hostname, host: hostname };
  } catch {
    return null;
  }
}
