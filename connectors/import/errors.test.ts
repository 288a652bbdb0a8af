/** Malformed, truncated and unexpected reports fail with one clear ImportError and no events. */
import { describe, expect, it } from 'vitest';
import { decodeReport } from './command.js';
import { ImportError } from './errors.js';
import { locateJsonError } from './json.js';
import { parseReport } from './parse.js';
import { FALLBACK, fixture } from './testutil.js';

function importError(format: string, text: string): ImportError {
  let result: unknown;
  try {
    result = parseReport(format, text, { fallbackTime: FALLBACK });
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    const err = e as ImportError;
    expect(err.format).toBe(format);
    expect(err.message.startsWith(`${format}: `)).toBe(true);
    expect(err.message).not.toMatch(/\n/);
    expect(err.where.length).toBeGreaterThan(0);
    return err;
  }
  throw new Error(`expected an ImportError, got ${JSON.stringify(result).slice(0, 200)}`);
}

const JSON_REPORTS: Array<[string, string]> = [
  ['sarif', 'sarif/bash-report.sarif'],
  ['sarif', 'sarif/dockle_0_3_15.sarif'],
  ['trivy', 'trivy/scheme_2_many_vulns.json'],
  ['trivy', 'trivy/misconfigurations_and_secrets.json'],
  ['zap', 'zap/some_2.9.0.json'],
  ['semgrep', 'semgrep/many_findings.json'],
  ['bandit', 'bandit/one_vuln.json'],
  ['gitleaks', 'gitleaks/gitleaks8_many.json'],
  ['nuclei', 'nuclei/multiple_v3.json'],
  ['grype', 'anchore_grype/many_vulns4.json'],
  ['npm-audit', 'npm_audit_7_plus/many_vulns.json'],
];
const XML_REPORTS: Array<[string, string]> = [
  ['zap', 'zap/some_2.9.0.xml'],
  ['zap', 'zap/dvwa_baseline_dojo.xml'],
  ['openscap', 'openscap/one_vuln_rhsa.xml'],
  ['openscap', 'openscap/arf_two_hosts.xml'],
];

describe('truncated reports', () => {
  for (const [format, file] of JSON_REPORTS) {
    it(`${format} ${file}: every truncation point tried fails at the end of input`, () => {
      const text = fixture(file);
      const end = text.trimEnd().length;
      for (const cut of [1, Math.floor(end * 0.25), Math.floor(end * 0.5), Math.floor(end * 0.9), end - 1]) {
        const err = importError(format, text.slice(0, cut));
        expect(err.detail).toMatch(/unexpected end of input|truncated/);
        expect(err.where).toMatch(/end of input \(line \d+, column \d+\)/);
      }
    });
  }

  for (const [format, file] of XML_REPORTS) {
    it(`${format} ${file}: truncation reports the unclosed element and its line`, () => {
      const text = fixture(file);
      const lastEndTag = text.lastIndexOf('</');
      for (const cut of [Math.floor(lastEndTag * 0.3), Math.floor(lastEndTag * 0.6), lastEndTag]) {
        const err = importError(format, text.slice(0, cut));
        expect(err.detail).toMatch(/malformed XML: .*(not closed|unterminated|end of input)/);
        expect(err.where).toMatch(/^line \d+, column \d+$/);
      }
    });
  }

  it('nuclei JSONL: a cut inside a line names that line', () => {
    const line = fixture('nuclei/issue_9201.json').trim();
    const text = `${line}\n${line.slice(0, 100)}`;
    const err = importError('nuclei', text);
    expect(err.where).toBe('line 2, column 101 (end of line)');
  });
});

describe('malformed reports name the broken place', () => {
  it('JSON syntax error position', () => {
    const err = importError('semgrep', '{"results": [\n  {"check_id": "x",, "path": "a"}\n]}');
    expect(err.where).toBe('line 2, column 20 (offset 33)');
    expect(err.detail).toMatch(/expected a property name/);
  });

  it('empty input', () => {
    expect(importError('trivy', '  \n').detail).toBe('empty report');
  });

  it('a report of another format', () => {
    const err = importError('sarif', fixture('trivy/scheme_2_many_vulns.json'));
    expect(err.where).toBe('$.version');
    expect(importError('trivy', fixture('semgrep/one_finding.json')).where).toBe('$.SchemaVersion');
    expect(importError('zap', fixture('bandit/one_vuln.json')).where).toBe('$.site');
    expect(importError('openscap', fixture('zap/some_2.9.0.xml')).detail).toMatch(/neither an XCCDF/);
    expect(importError('zap', fixture('openscap/one_vuln_rhsa.xml')).detail).toMatch(/not <OWASPZAPReport>/);
    expect(importError('npm-audit', '{"advisories": {}, "metadata": {}}').detail).toMatch(/npm 6 format is not supported/);
    expect(importError('gitleaks', '{"leaks": []}').where).toBe('$');
  });

  it('missing required field → its JSON path', () => {
    const doc = JSON.parse(fixture('trivy/scheme_2_many_vulns.json'));
    delete doc.Results[0].Vulnerabilities[1].VulnerabilityID;
    const err = importError('trivy', JSON.stringify(doc));
    expect(err.where).toBe('$.Results[0].Vulnerabilities[1].VulnerabilityID');
    expect(err.message).toBe('trivy: missing required string (at $.Results[0].Vulnerabilities[1].VulnerabilityID)');
  });

  it('wrong type → its JSON path', () => {
    const doc = JSON.parse(fixture('bandit/one_vuln.json'));
    doc.results[0].line_number = 'two';
    expect(importError('bandit', JSON.stringify(doc)).where).toBe('$.results[0].line_number');
    const audit = JSON.parse(fixture('npm_audit_7_plus/many_vulns.json'));
    audit.vulnerabilities['@vercel/node'].nodes = 7;
    expect(importError('npm-audit', JSON.stringify(audit)).where).toBe('$.vulnerabilities["@vercel/node"].nodes');
  });

  it('unknown severity values are errors, not silently downgraded', () => {
    const doc = JSON.parse(fixture('semgrep/one_finding.json'));
    doc.results[0].extra.severity = 'SEVERE';
    const err = importError('semgrep', JSON.stringify(doc));
    expect(err.where).toBe('$.results[0].extra.severity');
    expect(err.detail).toMatch(/unknown severity "SEVERE" \(expected one of: error, warning, info/);
    const zap = fixture('zap/some_2.9.0.xml').replace('<riskcode>2</riskcode>', '<riskcode>7</riskcode>');
    expect(importError('zap', zap).where).toMatch(/^\/OWASPZAPReport\/site\/alerts\/alertitem\[3\]\/riskcode \(line \d+\)$/);
  });

  it('XML: missing element → element path with line', () => {
    const text = fixture('zap/some_2.9.0.xml').replace('<pluginid>10054</pluginid>', '');
    const err = importError('zap', text);
    expect(err.where).toBe('/OWASPZAPReport/site/alerts/alertitem[2]/pluginid (line 37)');
    expect(err.detail).toBe('missing <pluginid>');
    const scap = fixture('openscap/one_vuln_rhsa.xml').replace('<result>fail</result>', '');
    const e2 = importError('openscap', scap);
    expect(e2.detail).toBe('missing <result> in rule-result oval-com.redhat.rhsa-def-20060117');
    expect(e2.where).toMatch(/^\/Benchmark\/TestResult\/rule-result\[7\]\/result \(line \d+\)$/);
  });

  it('XML: malformed markup → line and column', () => {
    const text = fixture('zap/some_2.9.0.xml').replace('<alert>Cookie No HttpOnly Flag</alert>', '<alert>Cookie No HttpOnly Flag</alrt>');
    const err = importError('zap', text);
    expect(err.detail).toMatch(/end tag <\/alrt> does not match start tag <alert>/);
    expect(err.where).toMatch(/^line \d+, column \d+$/);
  });

  it('OpenSCAP: a benchmark without results, an unknown result kind, a bad time', () => {
    const bench = '<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="b"><Rule id="r" severity="low"/></Benchmark>';
    expect(importError('openscap', bench).detail).toMatch(/no <TestResult> element/);
    const text = fixture('openscap/one_vuln_rhsa.xml');
    expect(importError('openscap', text.replace('<result>fail</result>', '<result>failed</result>')).detail).toMatch(/unknown rule result "failed"/);
    expect(importError('openscap', text.replace('end-time="2019-03-04T07:43:39"', 'end-time="yesterday"')).where).toMatch(/\/TestResult\/@end-time/);
    expect(importError('openscap', text.replace('<target>sample.system</target>', '')).detail).toMatch(/missing <target>/);
  });

  it('a bad finding anywhere means no events at all (all or nothing)', () => {
    const doc = JSON.parse(fixture('anchore_grype/many_vulns4.json'));
    doc.matches[8].vulnerability.severity = 'Catastrophic';
    const progress: number[] = [];
    let events: unknown;
    expect(() => {
      events = parseReport('grype', JSON.stringify(doc), { fallbackTime: FALLBACK, onProgress: (n) => progress.push(n) }).events;
    }).toThrow(ImportError);
    expect(events).toBeUndefined();
    expect(progress).toEqual([]);
  });

  it('nuclei JSONL: a non-object line', () => {
    const line = fixture('nuclei/issue_9201.json').trim();
    expect(importError('nuclei', `${line}\n[1]\n`).where).toBe('line 2: $');
  });

  it('invalid dates are errors', () => {
    const doc = JSON.parse(fixture('bandit/one_vuln.json'));
    doc.generated_at = '2020-13-45T99:00:00Z';
    expect(importError('bandit', JSON.stringify(doc)).where).toBe('$.generated_at');
  });

  it('unknown format', () => {
    expect(importError('nessus', '{}').detail).toMatch(/unknown import format/);
  });
});

describe('decodeReport', () => {
  it('decodes UTF-8 with or without BOM, UTF-16 with BOM, and XML-declared encodings', () => {
    expect(decodeReport(Buffer.from('\uFEFF{"a":"é"}', 'utf8'), 'x')).toBe('{"a":"é"}');
    expect(decodeReport(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":1}', 'utf16le')]), 'x')).toBe('{"a":1}');
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><r>caf\xe9</r>', 'latin1');
    expect(decodeReport(latin1, 'zap')).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><r>café</r>');
  });

  it('rejects invalid UTF-8 naming the byte offset', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(() => decodeReport(bytes, 'trivy')).toThrow('trivy: not valid UTF-8 (at byte offset 6)');
    expect(() => decodeReport(Buffer.from([0xed, 0xa0, 0x80]), 'trivy')).toThrow(/byte offset 0/); // UTF-16 surrogate
    expect(() => decodeReport(Buffer.from([0x61, 0xe2, 0x82]), 'trivy')).toThrow(/byte offset 1/); // truncated sequence
  });
});

describe('locateJsonError', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['{"a": 1,}', 8, /property name/],
    ['[1, 2,]', 6, /trailing comma/],
    ['{"a" 1}', 5, /":"/],
    ['{"a": tru', 9, /end of input/],
    ['{"a": "x\ny"}', 8, /control character/],
    ['{"a": 1} x', 9, /after the JSON value/],
    ['{"a": [1 2]}', 9, /"," or "]"/],
    ['{"a": "\\q"}', 7, /invalid escape/],
    ['{"a": -}', 6, /unexpected character/],
  ];
  for (const [text, offset, re] of cases) {
    it(JSON.stringify(text), () => {
      expect(() => JSON.parse(text)).toThrow();
      const r = locateJsonError(text);
      expect(r.offset).toBe(offset);
      expect(r.detail).toMatch(re);
    });
  }
});
