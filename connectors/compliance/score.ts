import { eventIdFor } from '../import/common.js';
import type { ComplianceEvent } from '../import/types.js';
import { readXccdf, RESULT_KINDS, type ResultKind, type XccdfDocument, type XccdfSeverity, type XccdfTestResult } from './xccdf.js';

/**
 * Rule weights by XCCDF severity for the compliance score. `info` and `unknown` weigh like `low`
 * so that every evaluated rule counts.
 */
export const SEVERITY_WEIGHTS: Readonly<Record<XccdfSeverity, number>> = { high: 3, medium: 2, low: 1, info: 1, unknown: 1 };

/** Results that count as passed (`fixed`: failed, then remediated during the scan). */
export const PASSED_KINDS: readonly ResultKind[] = ['pass', 'fixed'];
/** Results that count as failed. */
export const FAILED_KINDS: readonly ResultKind[] = ['fail'];
/**
 * Everything else is excluded from the score but reported in counts: notapplicable, notchecked,
 * notselected, informational (not evaluated or not a requirement), and error/unknown (the check
 * could not decide, which is neither a pass nor a fail).
 */

/** Score of one TestResult (one host × benchmark × profile scan). */
export interface ComplianceScanResult {
  host: string;
  benchmark: string;
  profile: string;
  testResultId: string;
  /** Σ weight(passed) / Σ weight(passed + failed), in [0, 1]; 0 when no rule passed or failed. */
  score: number;
  /** Rule results by kind; every XCCDF kind is present (0 when absent). */
  counts: Record<ResultKind, number>;
  passedWeight: number;
  failedWeight: number;
  /** TestResult end-time (else start-time) in UTC ms; null when the file has neither. */
  scanTime: number | null;
}

export function scoreTestResult(tr: XccdfTestResult): ComplianceScanResult {
  const counts = Object.fromEntries(RESULT_KINDS.map((k) => [k, 0])) as Record<ResultKind, number>;
  let passedWeight = 0;
  let failedWeight = 0;
  for (const rr of tr.ruleResults) {
    counts[rr.result]++;
    const w = SEVERITY_WEIGHTS[rr.severity];
    if (PASSED_KINDS.includes(rr.result)) passedWeight += w;
    else if (FAILED_KINDS.includes(rr.result)) failedWeight += w;
  }
  const total = passedWeight + failedWeight;
  return {
    host: tr.host,
    benchmark: tr.benchmark,
    profile: tr.profile,
    testResultId: tr.id,
    score: total === 0 ? 0 : passedWeight / total,
    counts,
    passedWeight,
    failedWeight,
    scanTime: tr.endTime ?? tr.startTime,
  };
}

/** Parse an OpenSCAP XCCDF results / ARF document and score every TestResult in it. */
export function scoreXccdf(textOrDoc: string | XccdfDocument): ComplianceScanResult[] {
  const doc = typeof textOrDoc === 'string' ? readXccdf(textOrDoc) : textOrDoc;
  return doc.testResults.map(scoreTestResult);
}

export interface ComplianceEventOptions {
  /** Event time when the scan has no time (the CLI passes the file mtime). */
  fallbackTime: number;
  /** Replaces the host as agent_id (the XCCDF target stays the event's host). */
  assetOverride?: string;
  /** attestation_id to put in the payload (the jti of the attestation issued for this scan). */
  attestationId?: string | null;
}

/**
 * COMPLIANCE event for one scored scan. event_id is deterministic over host, benchmark, profile,
 * TestResult id and scan time (a new scan of the same host/profile is a new event).
 */
export function complianceEvent(scan: ComplianceScanResult, opts: ComplianceEventOptions): ComplianceEvent {
  const agentId = opts.assetOverride ?? scan.host;
  return {
    event_id: eventIdFor(['openscap-compliance', agentId, scan.host, scan.benchmark, scan.profile, scan.testResultId, scan.scanTime]),
    agent_id: agentId,
    host: scan.host,
    source: 'scanner:openscap',
    event_time: scan.scanTime ?? opts.fallbackTime,
    type: 'COMPLIANCE',
    payload: {
      benchmark: scan.benchmark,
      profile: scan.profile,
      score: scan.score,
      counts: { ...scan.counts },
      attestation_id: opts.attestationId ?? null,
    },
    metadata: {
      import_format: 'openscap',
      test_result_id: scan.testResultId,
      weighted_passed: String(scan.passedWeight),
      weighted_failed: String(scan.failedWeight),
    },
    asset: null,
    ingest_time: null,
  };
}

/** Return a copy of a COMPLIANCE event carrying the given attestation id. */
export function withAttestationId(event: ComplianceEvent, attestationId: string): ComplianceEvent {
  return { ...event, payload: { ...event.payload, attestation_id: attestationId } };
}
