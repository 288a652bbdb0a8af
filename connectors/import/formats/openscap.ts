import { cveIds, FindingSink, severityOf, type ParseOptions } from '../common.js';
import type { ComplianceEvent } from '../types.js';
import { complianceEvent, scoreTestResult, type ComplianceScanResult } from '../../compliance/score.js';
import { readXccdf } from '../../compliance/xccdf.js';

const FORMAT = 'openscap';

/**
 * OpenSCAP XCCDF results or ARF: one finding per rule-result whose result is `fail`, in every
 * TestResult; plus one COMPLIANCE event per TestResult (see connectors/compliance).
 *
 * Severity (rule-result, else Rule @severity): high/medium/low one to one, info and unknown → info.
 * Asset and host: TestResult/target. Time: TestResult end-time (else start-time); XCCDF times
 * without a zone are taken as UTC.
 */
export function parseOpenScap(
  text: string,
  opts: ParseOptions,
): { sink: FindingSink; scans: ComplianceScanResult[]; compliance: ComplianceEvent[] } {
  const doc = readXccdf(text);
  const sink = new FindingSink(FORMAT, opts);
  const scans: ComplianceScanResult[] = [];
  for (const tr of doc.testResults) {
    const time = tr.endTime ?? tr.startTime;
    for (const rr of tr.ruleResults) {
      if (rr.result !== 'fail') continue;
      const rule = rr.rule;
      const cves = cveIds(...rr.idents.filter((i) => i.system === null || /cve/i.test(i.system) || /^CVE-/i.test(i.value)).map((i) => i.value));
      const cce = rr.idents.filter((i) => /^CCE-/i.test(i.value)).map((i) => i.value);
      sink.add({
        key: [tr.benchmark, tr.profile, tr.id, rr.idref],
        asset: tr.host,
        host: tr.host,
        time,
        finding: {
          scanner: 'openscap',
          scanner_id: rr.idref,
          rule_id: rr.idref,
          title: rule?.title ?? rr.idref,
          description: rule?.description ?? null,
          severity: severityOf(FORMAT, 'openscap', rr.severity, `rule-result ${rr.idref} (line ${rr.line})`),
          cve: cves,
          cwe: [],
          location: null,
          line: null,
          package: null,
          installed_version: null,
          fixed_version: null,
          url: rule?.references.find((r) => /^https?:\/\//.test(r)) ?? null,
        },
        metadata: {
          benchmark: tr.benchmark,
          profile: tr.profile,
          test_result_id: tr.id,
          check: rr.check,
          cce: cce.length > 0 ? cce.join(',') : null,
        },
      });
    }
    scans.push(scoreTestResult(tr));
  }
  const compliance = scans.map((s) => complianceEvent(s, { fallbackTime: opts.fallbackTime, assetOverride: opts.assetOverride }));
  return { sink, scans, compliance };
}
