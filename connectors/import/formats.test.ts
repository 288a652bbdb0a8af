/**
 * Per-format expectations. Every expected count, severity and identifier below was read off the
 * fixture reports by hand (and cross-checked with python/jq), not produced by the parser.
 */
import { describe, expect, it } from 'vitest';
import { parseReport } from './parse.js';
import { FALLBACK, findings, parseFixture, severityCounts } from './testutil.js';
import type { FindingEvent } from './types.js';

const ids = (r: { events: { event_id: string }[] }) => r.events.map((e) => e.event_id);

describe('sarif', () => {
  it('appendix K.1 (empty results) yields no findings', () => {
    expect(parseFixture('sarif', 'sarif/appendix_k1.sarif').events).toEqual([]);
  });

  it('dockle: 4 results, error→high, note→low, rule metadata resolved', () => {
    const r = parseFixture('sarif', 'sarif/dockle_0_3_15.sarif');
    const f = findings(r);
    expect(f.map((x) => [x.rule_id, x.severity])).toEqual([
      ['CIS-DI-0010', 'high'],
      ['CIS-DI-0005', 'low'],
      ['CIS-DI-0006', 'low'],
      ['CIS-DI-0008', 'low'],
    ]);
    expect(f[0]).toMatchObject({
      scanner: 'dockle',
      title: 'Do not store credential in ENVIRONMENT vars/files',
      url: 'https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#CIS-DI-0010',
      asset: 'unknown',
      location: null,
      line: null,
    });
    expect(f[0].description).toContain('DD_ADMIN_PASSWORD');
    expect(r.events.every((e) => e.event_time === FALLBACK && e.source === 'scanner:sarif')).toBe(true);
  });

  it('shellcheck via sast-scan: 27 results (verbatim repeats get distinct ids), all note→low', () => {
    const r = parseFixture('sarif', 'sarif/bash-report.sarif');
    const f = findings(r);
    expect(f).toHaveLength(27);
    expect(severityCounts(r)).toEqual({ low: 27 });
    const byRule: Record<string, number> = {};
    for (const x of f) byRule[x.rule_id] = (byRule[x.rule_id] ?? 0) + 1;
    expect(byRule).toEqual({ '2077': 14, '2072': 8, '1035': 3, '2076': 1, '2071': 1 });
    // only 12 distinct (rule, file, line) triples: the report repeats results verbatim
    expect(new Set(f.map((x) => `${x.rule_id}|${x.location}|${x.line}`)).size).toBe(12);
    expect(new Set(ids(r)).size).toBe(27);
    expect(f[0]).toMatchObject({
      scanner: 'shell script analysis',
      rule_id: '2076',
      location: 'file:///home/damien/dd/docker/setEnv.sh',
      line: 134,
      url: 'https://github.com/koalaman/shellcheck/wiki/SC2076',
      asset: 'https://github.com/damiencarol/django-DefectDojo',
    });
    expect(r.events[0].event_time).toBe(Date.UTC(2021, 2, 8, 15, 39, 40));
    expect(r.events[0].agent_id).toBe('https://github.com/damiencarol/django-DefectDojo');
  });

  it('gitleaks SARIF without ruleId or level: rule from the message, default level warning→medium', () => {
    const r = parseFixture('sarif', 'sarif/gitleaks_7.5.0.sarif');
    const f = findings(r);
    expect(f).toHaveLength(8);
    expect(severityCounts(r)).toEqual({ medium: 8 });
    expect(f.filter((x) => x.rule_id === 'AWS Access Key secret detected')).toHaveLength(6);
    expect(f.filter((x) => x.rule_id === 'Asymmetric Private Key secret detected')).toHaveLength(2);
    expect(f[0]).toMatchObject({
      scanner: 'gitleaks',
      location: 'dojo/unittests/scans/gitlab_secret_detection_report/gitlab_secret_detection_report_1_vuln.json',
      line: 13,
    });
    expect(new Set(ids(r)).size).toBe(8);
  });

  it('security-severity (CVSS) overrides the level; CWE tags are normalized', () => {
    const log = {
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'CodeQL',
              rules: [
                { id: 'js/xss', shortDescription: { text: 'XSS' }, properties: { 'security-severity': '9.3', tags: ['security', 'external/cwe/cwe-079', 'external/cwe/cwe-116'] } },
                { id: 'js/unused', properties: { 'security-severity': '0.0' } },
              ],
            },
          },
          results: [
            { ruleId: 'js/xss', ruleIndex: 0, level: 'warning', message: { text: 'x' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a.js' }, region: { startLine: 3 } } }] },
            { ruleId: 'js/unused', level: 'error', message: { text: 'y' } },
            { ruleId: 'js/xss', kind: 'pass', message: { text: 'passed' } },
            { ruleId: 'js/xss', baselineState: 'absent', message: { text: 'fixed' } },
          ],
        },
      ],
    };
    const r = parseReport('sarif', JSON.stringify(log), { fallbackTime: FALLBACK });
    const f = findings(r);
    expect(f.map((x) => x.severity)).toEqual(['critical', 'info']);
    expect(f[0].cwe).toEqual(['CWE-79', 'CWE-116']);
    expect(f[0]).toMatchObject({ title: 'XSS', location: 'a.js', line: 3, scanner: 'codeql' });
  });
});

describe('trivy', () => {
  it('no vulnerabilities → no findings', () => {
    expect(parseFixture('trivy', 'trivy/scheme_2_no_vuln.json').events).toEqual([]);
  });

  it('image with os-pkgs and jar vulnerabilities: 5 findings', () => {
    const r = parseFixture('trivy', 'trivy/scheme_2_many_vulns.json');
    const f = findings(r);
    expect(f.map((x) => [x.rule_id, x.severity, x.package, x.installed_version, x.fixed_version])).toEqual([
      ['CVE-2020-15999', 'medium', 'freetype', '2.9.1-r2', '2.9.1-r3'],
      ['CVE-2020-28196', 'high', 'krb5-libs', '1.15.5-r0', '1.15.5-r1'],
      ['CVE-2019-12900', 'critical', 'libbz2', '1.0.6-r6', '1.0.6-r7'],
      ['CVE-2018-11771', 'medium', 'org.apache.commons:commons-compress', '1.14', '1.18'],
      ['CVE-2018-1324', 'medium', 'org.apache.commons:commons-compress', '1.14', '1.16'],
    ]);
    expect(f[0]).toMatchObject({ cve: ['CVE-2020-15999'], cwe: ['CWE-787'], asset: 'teamdojo:latest', url: 'https://avd.aquasec.com/nvd/cve-2020-15999' });
    expect(r.events.every((e) => e.agent_id === 'teamdojo:latest' && e.host === 'teamdojo:latest')).toBe(true);
  });

  it('filesystem scan: vulnerabilities, failed misconfiguration and secrets are each findings; secrets not copied', () => {
    const r = parseFixture('trivy', 'trivy/misconfigurations_and_secrets.json');
    const f = findings(r);
    expect(f.map((x) => [x.rule_id, x.severity, x.location, x.line])).toEqual([
      ['CVE-2021-33503', 'high', 'requirements.txt', null],
      ['CVE-2021-28363', 'medium', 'requirements.txt', null],
      ['DS002', 'high', 'Dockerfile', null],
      ['github-pat', 'critical', 'Dockerfile', 24],
      ['github-pat', 'critical', 'secret.txt', 1],
    ]);
    expect(r.events.map((e) => e.metadata.kind)).toEqual(['vulnerability', 'vulnerability', 'misconfiguration', 'secret', 'secret']);
    // ArtifactName "." names no asset
    expect(r.events[0].agent_id).toBe('unknown');
    expect(JSON.stringify(r.events)).not.toContain('GITHUB_PAT');
  });
});

describe('zap', () => {
  it('empty site → no findings', () => {
    expect(parseFixture('zap', 'zap/empty_2.9.0.xml').events).toEqual([]);
  });

  it('XML 2.9.0: one finding per alert item, riskcode mapping, instances as locations', () => {
    const r = parseFixture('zap', 'zap/some_2.9.0.xml');
    const f = findings(r);
    expect(f.map((x) => [x.rule_id, x.severity])).toEqual([
      ['10011', 'low'],
      ['10054', 'low'],
      ['10055', 'medium'],
      ['10010', 'low'],
      ['10096', 'info'],
      ['10017', 'low'],
      ['10015', 'low'],
    ]);
    expect(f[0]).toMatchObject({
      scanner: 'zap',
      title: 'Cookie Without Secure Flag',
      cwe: ['CWE-614'],
      location: 'https://mainsite.com',
      asset: 'mainsite.com',
      url: 'http://www.owasp.org/index.php/Testing_for_cookies_attributes_(OWASP-SM-002)',
    });
    expect(f[0].description).not.toContain('<p>');
    expect(r.events[0].metadata).toMatchObject({ instance_count: '3', confidence: '2' });
    expect(r.events[0].host).toBe('mainsite.com');
    expect(r.events[0].event_time).toBe(Date.UTC(2020, 4, 12, 20, 57, 30));
  });

  it('JSON report of the same scan yields the same events as the XML', () => {
    const xml = parseFixture('zap', 'zap/some_2.9.0.xml');
    const json = parseFixture('zap', 'zap/some_2.9.0.json');
    expect(json.events).toEqual(xml.events);
  });

  it('DVWA baseline: 19 alert items (4 medium, 8 low, 7 info), repeated plugin ids stay distinct', () => {
    const r = parseFixture('zap', 'zap/dvwa_baseline_dojo.xml');
    expect(r.events).toHaveLength(19);
    expect(severityCounts(r)).toEqual({ medium: 4, low: 8, info: 7 });
    const f = findings(r);
    expect(f.filter((x) => x.rule_id === '10027')).toHaveLength(2);
    expect(f.find((x) => x.rule_id === '2')?.title).toBe('Private IP Disclosure');
    expect(new Set(ids(r)).size).toBe(19);
    expect(r.events.every((e) => e.agent_id === '172.17.0.2')).toBe(true);
    const tsd = r.events.find((e) => (e as FindingEvent).payload.rule_id === '10096')!;
    expect(tsd.metadata.instance_count).toBe('20');
  });
});

describe('semgrep', () => {
  it('empty → none; one finding; many findings with WARNING→medium and INFO→low', () => {
    expect(parseFixture('semgrep', 'semgrep/empty.json').events).toEqual([]);
    const one = findings(parseFixture('semgrep', 'semgrep/one_finding.json'));
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({
      rule_id: 'java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle',
      severity: 'medium',
      location: 'src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java',
      line: 64,
      cwe: ['CWE-696'],
      url: 'https://find-sec-bugs.github.io/bugs.htm#PADDING_ORACLE',
    });
    const many = findings(parseFixture('semgrep', 'semgrep/many_findings.json'));
    expect(many.map((x) => [x.severity, x.line, (x.location ?? '').replace(/.*\//, '')])).toEqual([
      ['medium', 64, 'BenchmarkTest02194.java'],
      ['medium', 64, 'BenchmarkTest02195.java'],
      ['low', 66, 'BenchmarkTest01150.java'],
    ]);
  });
});

describe('bandit', () => {
  it('no results → none; one LOW assert_used finding with the report time', () => {
    expect(parseFixture('bandit', 'bandit/no_vuln.json').events).toEqual([]);
    const r = parseFixture('bandit', 'bandit/one_vuln.json');
    expect(findings(r)).toEqual([
      expect.objectContaining({
        rule_id: 'B101',
        title: 'B101: assert_used',
        severity: 'low',
        location: 'one/one.py',
        line: 2,
        url: 'https://bandit.readthedocs.io/en/latest/plugins/b101_assert_used.html',
      }),
    ]);
    expect(r.events[0].event_time).toBe(Date.UTC(2020, 11, 30, 10, 3, 39));
    expect(r.events[0].metadata.confidence).toBe('HIGH');
  });
});

describe('gitleaks', () => {
  it('4 leaks, all high, secrets never copied', () => {
    const r = parseFixture('gitleaks', 'gitleaks/gitleaks8_many.json');
    const f = findings(r);
    expect(f.map((x) => [x.rule_id, x.severity, x.location, x.line])).toEqual([
      ['aws-access-token', 'high', '/conf/aws.tf', 2],
      ['aws-access-token', 'high', '/conf/aws.tf', 2],
      ['RSA-PK', 'high', 'conf/rsa.pk', 57],
      ['generic-api-key', 'high', 'tests/api.py', 21],
    ]);
    expect(new Set(ids(r)).size).toBe(4);
    const json = JSON.stringify(r.events);
    for (const secret of ['secretAWSsecret', 'dfjksdjfs3294dfjlsdaf213', 'first.last@gmail.com']) expect(json).not.toContain(secret);
    expect(f[0].scanner_id).toBe('74d53286c550630f80847d37f68aa3065554ac813544072ccd1278da71fafe31:/conf/aws.tf:aws-access-token:2');
  });
});

describe('nuclei', () => {
  it('JSONL: one info finding on example.com with its own timestamp', () => {
    const r = parseFixture('nuclei', 'nuclei/issue_9201.json');
    expect(findings(r)).toEqual([
      expect.objectContaining({ rule_id: 'favicon-detect', severity: 'info', location: 'https://example.com/favicon.ico%c0', asset: 'example.com' }),
    ]);
    expect(r.events[0]).toMatchObject({ agent_id: 'example.com', host: 'example.com', event_time: Date.UTC(2023, 2, 13, 8, 5, 7, 373) });
  });

  it('v3 JSON array: 6 info findings; the two tls-version results differ by extracted results', () => {
    const r = parseFixture('nuclei', 'nuclei/multiple_v3.json');
    const f = findings(r);
    expect(f.map((x) => x.rule_id)).toEqual(['dns-saas-service-detection', 'caa-fingerprint', 'ssl-issuer', 'ssl-dns-names', 'tls-version', 'tls-version']);
    expect(severityCounts(r)).toEqual({ info: 6 });
    expect(f[1].cwe).toEqual(['CWE-200']);
    expect(new Set(ids(r)).size).toBe(6);
    expect(r.events.every((e) => e.agent_id === 'www.asdf.de')).toBe(true);
    expect(r.events[0].event_time).toBe(Date.UTC(2023, 10, 6, 13, 48, 31, 559));
    expect(f[2].location).toBe('www.asdf.de:443');
  });
});

describe('grype', () => {
  it('9 matches with grype severities, GHSA with related CVE', () => {
    const r = parseFixture('grype', 'anchore_grype/many_vulns4.json');
    const f = findings(r);
    expect(f.map((x) => [x.rule_id, x.severity, x.package, x.installed_version])).toEqual([
      ['CVE-1999-1338', 'medium', 'delegate', '3.2.0'],
      ['CVE-2002-1647', 'medium', 'slash', '4.0.0'],
      ['CVE-2005-0036', 'medium', 'delegate', '3.2.0'],
      ['CVE-2005-0861', 'high', 'delegate', '3.2.0'],
      ['CVE-2007-2405', 'medium', 'pdfkit', '0.12.0'],
      ['CVE-2014-5509', 'medium', 'clipboard', '2.0.8'],
      ['CVE-2021-29940', 'critical', 'through', '2.3.8'],
      ['CVE-2021-32626', 'high', 'redis', '3.5.3'],
      ['GHSA-8v27-2fg9-7h62', 'critical', 'static-eval', '2.1.0'],
    ]);
    expect(f[8]).toMatchObject({ cve: ['CVE-2021-23334'], location: 'components/yarn.lock', fixed_version: null, url: 'https://github.com/advisories/GHSA-8v27-2fg9-7h62' });
    expect(f[7].location).toBe('requirements.txt');
    // source target "." names no asset
    expect(r.events[0].agent_id).toBe('unknown');
  });
});

describe('npm-audit', () => {
  it('no vulnerabilities → none', () => {
    expect(parseFixture('npm-audit', 'npm_audit_7_plus/no_vuln.json').events).toEqual([]);
  });

  it('one vulnerable package with two advisories → one high finding', () => {
    const f = findings(parseFixture('npm-audit', 'npm_audit_7_plus/one_vuln.json'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      package: 'debug',
      severity: 'high',
      rule_id: 'GHSA-gxpj-cx7g-858c,GHSA-9vvw-cc9w-f27h',
      cwe: ['CWE-400', 'CWE-1333'],
      location: 'node_modules/debug',
      fixed_version: null, // the fix is an upgrade of express, not of debug
      url: 'https://github.com/advisories/GHSA-gxpj-cx7g-858c',
    });
    expect(f[0].description).toContain('express to 4.18.3');
  });

  it('many: one finding per vulnerable package (4 moderate→medium, 2 low)', () => {
    const f = findings(parseFixture('npm-audit', 'npm_audit_7_plus/many_vulns.json'));
    expect(f.map((x) => [x.package, x.severity, x.rule_id])).toEqual([
      ['@vercel/fun', 'medium', 'via:debug,semver'],
      ['@vercel/node', 'low', 'via:undici'],
      ['debug', 'medium', 'GHSA-gxpj-cx7g-858c'],
      ['semver', 'medium', 'GHSA-c2qf-rxjj-qqgw'],
      ['undici', 'low', 'GHSA-3787-6prv-h9w3'],
      ['vercel', 'medium', 'via:@vercel/fun,@vercel/node'],
    ]);
    expect(f[5].fixed_version).toBe('32.3.0');
  });
});

describe('openscap', () => {
  it('XCCDF 1.1 results: one failed rule → one low finding, plus a compliance score', () => {
    const r = parseFixture('openscap', 'openscap/one_vuln_rhsa.xml');
    expect(findings(r)).toEqual([
      expect.objectContaining({
        rule_id: 'oval-com.redhat.rhsa-def-20060117',
        title: 'RHSA-2006:0117: vixie-cron security update (Low)',
        severity: 'low',
        cve: ['CVE-2005-1038'],
        asset: 'sample.system',
      }),
    ]);
    expect(r.events[0]).toMatchObject({ host: 'sample.system', event_time: Date.UTC(2019, 2, 4, 7, 43, 39) });
    expect(r.compliance).toHaveLength(1);
    expect(r.compliance![0]).toMatchObject({
      type: 'COMPLIANCE',
      agent_id: 'sample.system',
      payload: { benchmark: 'generated-xccdf', profile: '(default)', attestation_id: null },
    });
  });

  it('ARF with two hosts: failed rules of each TestResult, severity from the rule when the result has none', () => {
    const r = parseFixture('openscap', 'openscap/arf_two_hosts.xml');
    const f = findings(r);
    expect(f.map((x) => [x.asset, x.rule_id.replace('xccdf_org.socflow.content_rule_', ''), x.severity])).toEqual([
      ['web01.example.org', 'r2', 'high'],
      ['web01.example.org', 'r4', 'medium'],
      ['web01.example.org', 'r8', 'info'],
      ['db01.example.org', 'r4', 'medium'],
    ]);
    expect(f[0]).toMatchObject({
      title: 'Disable telnet & rsh',
      cve: ['CVE-1999-0619'],
      url: 'https://example.org/stig/V-0002',
    });
    expect(f[0].description).toBe(
      'The telnet-server package must be removed \u2014 it sends credentials in clear text. Run: yum remove telnet-server && reboot <now>',
    );
    expect(r.events[0].event_time).toBe(Date.UTC(2024, 4, 2, 8, 5, 30));
    expect(r.events[3].event_time).toBe(Date.UTC(2024, 4, 3, 7, 1, 0));
    expect(r.compliance!.map((c) => [c.host, (c.payload as { profile: string }).profile])).toEqual([
      ['web01.example.org', 'xccdf_org.socflow.content_profile_test'],
      ['db01.example.org', 'xccdf_org.socflow.content_profile_minimal'],
    ]);
  });
});

describe('asset override', () => {
  it('replaces agent_id and payload.asset, keeps a real host named by the report, and changes ids', () => {
    const plain = parseFixture('zap', 'zap/some_2.9.0.xml');
    const over = parseFixture('zap', 'zap/some_2.9.0.xml', 'shop-frontend');
    expect(over.events.every((e) => e.agent_id === 'shop-frontend' && (e as FindingEvent).payload.asset === 'shop-frontend')).toBe(true);
    expect(over.events[0].host).toBe('mainsite.com');
    expect(ids(over)).not.toEqual(ids(plain));
    const semgrep = parseFixture('semgrep', 'semgrep/many_findings.json', 'git@example.org:bench.git');
    expect(semgrep.events.every((e) => e.agent_id === 'git@example.org:bench.git' && e.host === 'git@example.org:bench.git')).toBe(true);
  });
});
