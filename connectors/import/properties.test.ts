/** Properties every importer must have: reproducible ids, unique ids, Avro-valid events, linear cost. */
import { describe, expect, it } from 'vitest';
import { avroType } from '../../lib/schemas/load.js';
import { telemetryFromWire, telemetryToWire } from '../../lib/serde/telemetry.js';
import { parseReport } from './parse.js';
import { FALLBACK, fixture } from './testutil.js';
import type { TelemetryEvent } from './types.js';

const ALL: Array<[string, string]> = [
  ['sarif', 'sarif/appendix_k1.sarif'],
  ['sarif', 'sarif/dockle_0_3_15.sarif'],
  ['sarif', 'sarif/bash-report.sarif'],
  ['sarif', 'sarif/gitleaks_7.5.0.sarif'],
  ['trivy', 'trivy/scheme_2_no_vuln.json'],
  ['trivy', 'trivy/scheme_2_many_vulns.json'],
  ['trivy', 'trivy/misconfigurations_and_secrets.json'],
  ['zap', 'zap/empty_2.9.0.xml'],
  ['zap', 'zap/some_2.9.0.xml'],
  ['zap', 'zap/some_2.9.0.json'],
  ['zap', 'zap/dvwa_baseline_dojo.xml'],
  ['semgrep', 'semgrep/empty.json'],
  ['semgrep', 'semgrep/one_finding.json'],
  ['semgrep', 'semgrep/many_findings.json'],
  ['bandit', 'bandit/no_vuln.json'],
  ['bandit', 'bandit/one_vuln.json'],
  ['gitleaks', 'gitleaks/gitleaks8_many.json'],
  ['nuclei', 'nuclei/issue_9201.json'],
  ['nuclei', 'nuclei/multiple_v3.json'],
  ['grype', 'anchore_grype/many_vulns4.json'],
  ['npm-audit', 'npm_audit_7_plus/no_vuln.json'],
  ['npm-audit', 'npm_audit_7_plus/one_vuln.json'],
  ['npm-audit', 'npm_audit_7_plus/many_vulns.json'],
  ['openscap', 'openscap/one_vuln_rhsa.xml'],
  ['openscap', 'openscap/arf_two_hosts.xml'],
];

const telemetryType = avroType('telemetry-event.avsc');

function all(format: string, file: string, fallbackTime = FALLBACK): TelemetryEvent[] {
  const r = parseReport(format, fixture(file), { fallbackTime });
  return [...r.events, ...(r.compliance ?? [])];
}

describe.each(ALL)('%s %s', (format, file) => {
  it('re-importing yields identical events (ids included); the fallback time changes only event_time', () => {
    const a = all(format, file);
    expect(all(format, file)).toEqual(a);
    const later = all(format, file, FALLBACK + 86_400_000);
    expect(later.map((e) => e.event_id)).toEqual(a.map((e) => e.event_id));
  });

  it('event ids are unique, 32 hex chars; every event is well-formed', () => {
    const events = all(format, file);
    const ids = events.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of events) {
      expect(e.event_id).toMatch(/^[0-9a-f]{32}$/);
      expect(e.source).toBe(`scanner:${format}`);
      expect(Number.isSafeInteger(e.event_time)).toBe(true);
      expect(e.agent_id.length).toBeGreaterThan(0);
      expect(e.host.length).toBeGreaterThan(0);
      expect(e.asset).toBeNull();
      expect(e.ingest_time).toBeNull();
      if (e.type === 'FINDING') {
        expect(e.payload.asset).toBe(e.agent_id);
        expect(e.payload.cwe.every((c) => /^CWE-\d+$/.test(c))).toBe(true);
        expect(e.payload.cve.every((c) => /^CVE-\d{4}-\d{4,}$/.test(c))).toBe(true);
        expect(e.payload.title.trim().length).toBeGreaterThan(0);
        expect(e.payload.rule_id.length).toBeGreaterThan(0);
      } else {
        expect(e.type).toBe('COMPLIANCE');
      }
    }
  });

  it('every event is valid against schemas/avro/telemetry-event.avsc and round-trips through Avro', () => {
    for (const e of all(format, file)) {
      const wire = telemetryToWire(e);
      const problems: string[] = [];
      const ok = telemetryType.isValid(wire, { errorHook: (path: string[], v: unknown) => problems.push(`${path.join('.')}=${JSON.stringify(v)}`) });
      expect(problems).toEqual([]);
      expect(ok).toBe(true);
      expect(telemetryFromWire(telemetryType.fromBuffer(telemetryType.toBuffer(wire)))).toEqual(e);
    }
  });
});

describe('large reports', () => {
  it('trivy with 60k vulnerabilities parses in linear time and reports progress', () => {
    const vulns = Array.from({ length: 60_000 }, (_, i) => ({
      VulnerabilityID: `CVE-2024-${10000 + i}`,
      PkgName: `pkg${i % 500}`,
      InstalledVersion: '1.0.0',
      FixedVersion: '1.0.1',
      Severity: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'][i % 5],
      Title: `vuln ${i}`,
    }));
    const text = JSON.stringify({ SchemaVersion: 2, ArtifactName: 'big:latest', Results: [{ Target: 'big', Vulnerabilities: vulns }] });
    const progress: number[] = [];
    const t = performance.now();
    const r = parseReport('trivy', text, { fallbackTime: FALLBACK, onProgress: (n) => progress.push(n) });
    const elapsed = performance.now() - t;
    expect(r.events).toHaveLength(60_000);
    expect(new Set(r.events.map((e) => e.event_id)).size).toBe(60_000);
    expect(progress.slice(0, 3)).toEqual([1000, 2000, 3000]);
    expect(progress[progress.length - 1]).toBe(60_000);
    expect(elapsed).toBeLessThan(15_000);
  });

  it('a SARIF log repeating one result 20k times gets 20k distinct ids quickly (occurrence index, not rescans)', () => {
    const result = { ruleId: 'R1', level: 'warning', message: { text: 'same' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a.c' }, region: { startLine: 1 } } }] };
    const text = JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 't' } }, results: Array(20_000).fill(result) }] });
    const t = performance.now();
    const r = parseReport('sarif', text, { fallbackTime: FALLBACK });
    expect(r.events).toHaveLength(20_000);
    expect(new Set(r.events.map((e) => e.event_id)).size).toBe(20_000);
    expect(performance.now() - t).toBeLessThan(15_000);
  });

  it('ZAP XML with 20k alert items parses in linear time', () => {
    const item = (i: number) =>
      `<alertitem><pluginid>${10000 + i}</pluginid><name>A${i}</name><riskcode>${i % 4}</riskcode><instances><instance><uri>http://h/${i}</uri></instance></instances></alertitem>\n`;
    let body = '';
    for (let i = 0; i < 20_000; i++) body += item(i);
    const text = `<?xml version="1.0"?><OWASPZAPReport version="2.14.0" generated="Mon, 1 Jan 2024 00:00:00"><site name="http://h" host="h" port="80" ssl="false"><alerts>${body}</alerts></site></OWASPZAPReport>`;
    const t = performance.now();
    const r = parseReport('zap', text, { fallbackTime: FALLBACK });
    expect(r.events).toHaveLength(20_000);
    expect(performance.now() - t).toBeLessThan(15_000);
  });
});
