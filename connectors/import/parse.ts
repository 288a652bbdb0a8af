/** parseReport: the pure report → events step of `socflow import`. */
import { ImportError } from './errors.js';
import type { ParseOptions, FindingSink } from './common.js';
import type { ComplianceEvent, FindingEvent, TelemetryEvent } from './types.js';
import type { ComplianceScanResult } from '../compliance/score.js';
import { parseSarif } from './formats/sarif.js';
import { parseTrivy } from './formats/trivy.js';
import { parseZap } from './formats/zap.js';
import { parseSemgrep } from './formats/semgrep.js';
import { parseBandit } from './formats/bandit.js';
import { parseGitleaks } from './formats/gitleaks.js';
import { parseNuclei } from './formats/nuclei.js';
import { parseGrype } from './formats/grype.js';
import { parseNpmAudit } from './formats/npmAudit.js';
import { parseOpenScap } from './formats/openscap.js';

/** Format names accepted by parseReport and `socflow import <format>`. */
export const importFormats = [
  'sarif',
  'trivy',
  'zap',
  'semgrep',
  'bandit',
  'gitleaks',
  'nuclei',
  'grype',
  'npm-audit',
  'openscap',
] as const satisfies readonly string[];
export type ImportFormat = (typeof importFormats)[number];

/** One-line descriptions, used in `--help`. */
export const formatDescriptions: Readonly<Record<ImportFormat, string>> = {
  sarif: 'SARIF 2.1.0 log (any SARIF-producing tool): one finding per result',
  trivy: 'Trivy JSON (SchemaVersion 2): vulnerabilities, failed misconfigurations, secrets',
  zap: 'OWASP ZAP traditional XML or JSON report: one finding per alert item',
  semgrep: 'Semgrep JSON (--json): one finding per result',
  bandit: 'Bandit JSON (-f json): one finding per result',
  gitleaks: 'Gitleaks v8 JSON report: one finding per leak (severity high)',
  nuclei: 'Nuclei JSONL (one result per line) or JSON array export',
  grype: 'Grype JSON (-o json): one finding per match',
  'npm-audit': 'npm audit --json (npm 7+, auditReportVersion 2): one finding per vulnerable package',
  openscap: 'OpenSCAP XCCDF results or ARF: one finding per failed rule, plus a COMPLIANCE score per scan',
};

export interface ParseResult {
  /** FINDING events, in report order. */
  events: TelemetryEvent[];
  /** COMPLIANCE events (openscap only). */
  compliance?: TelemetryEvent[];
  /** Scored scans behind the COMPLIANCE events (openscap only), for issuing attestations. */
  complianceScans?: ComplianceScanResult[];
}

export function isImportFormat(format: string): format is ImportFormat {
  return (importFormats as readonly string[]).includes(format);
}

/**
 * Parse one report. All or nothing: throws ImportError (with .format and .where) on a malformed,
 * truncated or unexpected report and returns no events. Pure: the same text and options always
 * yield the same events (no clock reads; event_time falls back to opts.fallbackTime).
 */
export function parseReport(format: string, text: string, opts: ParseOptions): ParseResult {
  if (!isImportFormat(format)) {
    throw new ImportError(format, 'format', `unknown import format (expected one of: ${importFormats.join(', ')})`);
  }
  if (typeof text !== 'string') throw new TypeError('parseReport: text must be a string');
  if (!Number.isSafeInteger(opts.fallbackTime)) throw new TypeError('parseReport: opts.fallbackTime must be an integer (UTC ms)');
  if (opts.assetOverride !== undefined && opts.assetOverride.trim() === '') throw new TypeError('parseReport: opts.assetOverride must not be empty');
  if (text.trim() === '') throw new ImportError(format, 'end of input (line 1, column 1)', 'empty report');

  let sink: FindingSink;
  let compliance: ComplianceEvent[] | undefined;
  let scans: ComplianceScanResult[] | undefined;
  switch (format) {
    case 'sarif': sink = parseSarif(text, opts); break;
    case 'trivy': sink = parseTrivy(text, opts); break;
    case 'zap': sink = parseZap(text, opts); break;
    case 'semgrep': sink = parseSemgrep(text, opts); break;
    case 'bandit': sink = parseBandit(text, opts); break;
    case 'gitleaks': sink = parseGitleaks(text, opts); break;
    case 'nuclei': sink = parseNuclei(text, opts); break;
    case 'grype': sink = parseGrype(text, opts); break;
    case 'npm-audit': sink = parseNpmAudit(text, opts); break;
    case 'openscap': {
      const r = parseOpenScap(text, opts);
      sink = r.sink;
      compliance = r.compliance;
      scans = r.scans;
      break;
    }
  }
  opts.onProgress?.(sink.events.length);
  const events: FindingEvent[] = sink.events;
  return compliance ? { events, compliance, complianceScans: scans } : { events };
}
