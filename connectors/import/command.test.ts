/** `socflow import` through commander, in process, with stdout/stderr captured. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { issueAttestation, verifyAttestation } from '../compliance/index.js';
import { EXIT_INVALID_INPUT, EXIT_PUBLISH_FAILED, registerImportCommand, type ImportCommandDeps } from './command.js';
import { importFormats } from './parse.js';
import { FIXTURES, fixture, fixtureBytes } from './testutil.js';
import type { TelemetryEvent } from './types.js';

const tmp = mkdtempSync(join(tmpdir(), 'socflow-import-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function harness(deps: Partial<ImportCommandDeps> = {}, viaDeps = false) {
  const out: string[] = [];
  const err: string[] = [];
  const published: TelemetryEvent[][] = [];
  const program = new Command('socflow').exitOverride();
  if (!viaDeps) program.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerImportCommand(program, {
    publish: async (events) => {
      published.push(events);
    },
    ...(viaDeps ? { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) } : {}),
    ...deps,
  });
  const run = async (...args: string[]): Promise<number> => {
    try {
      await program.parseAsync(args, { from: 'user' });
      return 0;
    } catch (e) {
      if (e instanceof CommanderError) return e.exitCode;
      throw e;
    }
  };
  return { out, err, published, run, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('socflow import --dry-run', () => {
  it('prints exactly one JSON line per FINDING on stdout and nothing else; publishes nothing', async () => {
    const h = harness();
    expect(await h.run('import', 'trivy', FIXTURES + 'trivy/scheme_2_many_vulns.json', '--dry-run')).toBe(0);
    const lines = h.stdout().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5);
    const events = lines.map((l) => JSON.parse(l) as TelemetryEvent);
    expect(events.every((e) => e.type === 'FINDING' && e.source === 'scanner:trivy')).toBe(true);
    expect(events.map((e) => e.type === 'FINDING' && e.payload.rule_id)).toEqual(['CVE-2020-15999', 'CVE-2020-28196', 'CVE-2019-12900', 'CVE-2018-11771', 'CVE-2018-1324']);
    expect(h.published).toEqual([]);
    expect(h.stderr()).toMatch(/dry run, nothing published: .*5 findings \(critical 1, high 1, medium 3, low 0, info 0\); asset teamdojo:latest/);
  });

  it('works with writers injected through deps too, and for a bigger report (27 lines)', async () => {
    const h = harness({}, true);
    expect(await h.run('import', 'sarif', FIXTURES + 'sarif/bash-report.sarif', '--dry-run')).toBe(0);
    expect(h.stdout().trimEnd().split('\n')).toHaveLength(27);
    expect(h.stderr()).toContain('27 findings');
  });

  it('prints nothing on stdout for a report without findings', async () => {
    const h = harness();
    expect(await h.run('import', 'zap', FIXTURES + 'zap/empty_2.9.0.xml', '--dry-run')).toBe(0);
    expect(h.stdout()).toBe('');
    expect(h.stderr()).toContain('0 findings');
  });

  it('openscap: findings on stdout, compliance events on stderr', async () => {
    const h = harness();
    expect(await h.run('import', 'openscap', FIXTURES + 'openscap/arf_two_hosts.xml', '--dry-run')).toBe(0);
    expect(h.stdout().trimEnd().split('\n')).toHaveLength(4);
    const compliance = h.stderr().split('\n').filter((l) => l.startsWith('compliance '));
    expect(compliance).toHaveLength(2);
    expect(JSON.parse(compliance[0].slice('compliance '.length))).toMatchObject({ type: 'COMPLIANCE', host: 'web01.example.org' });
  });

  it('warns on stderr when the report names no asset', async () => {
    const h = harness();
    await h.run('import', 'semgrep', FIXTURES + 'semgrep/many_findings.json', '--dry-run');
    expect(h.stderr()).toMatch(/does not name the scanned asset.*--asset/);
    expect(h.stdout().trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('socflow import (publish)', () => {
  it('publishes all events once', async () => {
    const h = harness();
    expect(await h.run('import', 'gitleaks', FIXTURES + 'gitleaks/gitleaks8_many.json', '--asset', 'git@example.org:app.git')).toBe(0);
    expect(h.published).toHaveLength(1);
    expect(h.published[0]).toHaveLength(4);
    expect(h.published[0].every((e) => e.agent_id === 'git@example.org:app.git')).toBe(true);
    expect(h.stdout()).toBe('');
    expect(h.stderr()).toMatch(/published .*4 findings/);
  });

  it('openscap publishes findings and compliance events together; attest hook sets attestation_id', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwts: string[] = [];
    const h = harness({
      attest: async (scan, bytes) => {
        const a = await issueAttestation(scan, bytes, privateKey);
        jwts.push(a.jwt);
        return a.attestationId;
      },
    });
    const file = FIXTURES + 'openscap/one_vuln_rhsa.xml';
    expect(await h.run('import', 'openscap', file)).toBe(0);
    const events = h.published[0];
    expect(events.map((e) => e.type)).toEqual(['FINDING', 'COMPLIANCE']);
    const compliance = events[1];
    if (compliance.type !== 'COMPLIANCE') throw new Error('expected COMPLIANCE');
    const claims = await verifyAttestation(jwts[0], publicKey, fixtureBytes('openscap/one_vuln_rhsa.xml'));
    expect(compliance.payload.attestation_id).toBe(claims.jti);
    expect(claims.score).toBe(compliance.payload.score);
  });

  it('refuses to publish findings of a report that names no asset unless --asset is given', async () => {
    const h = harness();
    expect(await h.run('import', 'semgrep', FIXTURES + 'semgrep/many_findings.json')).toBe(1);
    expect(h.published).toEqual([]);
    expect(h.stderr().trimEnd().split('\n')).toEqual([expect.stringMatching(/does not name the scanned asset; pass --asset <name> \(nothing published\)$/)]);
  });

  it('a failing publish exits non-zero with one line on stderr', async () => {
    const h = harness({
      publish: async () => {
        throw new Error('broker unavailable');
      },
    });
    expect(await h.run('import', 'bandit', FIXTURES + 'bandit/one_vuln.json', '--asset', 'repo')).toBe(EXIT_PUBLISH_FAILED);
    expect(h.stderr().trimEnd().split('\n')).toEqual([expect.stringMatching(/^socflow import: .*one_vuln\.json: publish failed: broker unavailable$/)]);
  });

  it('a failing attestation aborts the import (nothing published)', async () => {
    const h = harness({
      attest: async () => {
        throw new Error('no signing key');
      },
    });
    expect(await h.run('import', 'openscap', FIXTURES + 'openscap/one_vuln_rhsa.xml')).toBe(EXIT_PUBLISH_FAILED);
    expect(h.published).toEqual([]);
  });
});

describe('socflow import: bad input', () => {
  it('a truncated report: non-zero exit, one error line naming format and place, nothing on stdout, nothing published', async () => {
    const file = join(tmp, 'truncated.json');
    const text = fixture('trivy/scheme_2_many_vulns.json');
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    for (const dry of [true, false]) {
      const h = harness();
      expect(await h.run('import', 'trivy', file, ...(dry ? ['--dry-run'] : []))).toBe(EXIT_INVALID_INPUT);
      expect(h.stdout()).toBe('');
      expect(h.published).toEqual([]);
      const lines = h.stderr().trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^socflow import: .*truncated\.json: trivy: invalid JSON: unexpected end of input \(truncated\?\) \(at end of input \(line \d+, column \d+\)\)$/);
    }
  });

  it('malformed XML', async () => {
    const file = join(tmp, 'bad.xml');
    writeFileSync(file, fixture('zap/some_2.9.0.xml').replace('</alertitem>', '</alert-item>'));
    const h = harness();
    expect(await h.run('import', 'zap', file, '--dry-run')).toBe(EXIT_INVALID_INPUT);
    expect(h.stderr()).toMatch(/zap: malformed XML: end tag <\/alert-item> does not match start tag <alertitem>.*\(at line \d+, column \d+\)/);
    expect(h.stdout()).toBe('');
  });

  it('a missing file', async () => {
    const h = harness();
    expect(await h.run('import', 'trivy', join(tmp, 'nope.json'))).toBe(EXIT_INVALID_INPUT);
    expect(h.stderr()).toMatch(/^socflow import: cannot read .*nope\.json: ENOENT/);
  });

  it('an unknown format is a usage error', async () => {
    const h = harness();
    expect(await h.run('import', 'nessus', FIXTURES + 'trivy/scheme_2_many_vulns.json')).toBe(1);
    expect(h.stderr()).toMatch(/Allowed choices are sarif, trivy, zap/);
  });

  it('conflicting --asset and --agent-id', async () => {
    const h = harness();
    expect(await h.run('import', 'trivy', FIXTURES + 'trivy/scheme_2_many_vulns.json', '--asset', 'a', '--agent-id', 'b')).toBe(1);
    expect(h.published).toEqual([]);
  });
});

describe('socflow import: inputs and times', () => {
  it('reads stdin for "-" and uses the injected clock for reports without a scan time', async () => {
    const h = harness({ readStdin: async () => fixtureBytes('semgrep/one_finding.json'), now: () => 1_700_000_000_000 });
    expect(await h.run('import', 'semgrep', '-', '--dry-run', '--agent-id', 'bench')).toBe(0);
    const [event] = h.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as TelemetryEvent);
    expect(event).toMatchObject({ event_time: 1_700_000_000_000, agent_id: 'bench' });
  });

  it('falls back to the file mtime, or --scan-time', async () => {
    const file = join(tmp, 'gitleaks.json');
    writeFileSync(file, fixture('gitleaks/gitleaks8_many.json'));
    const mtime = new Date(Date.UTC(2023, 6, 1, 10, 0, 0));
    utimesSync(file, mtime, mtime);
    const h = harness();
    await h.run('import', 'gitleaks', file, '--dry-run');
    expect(JSON.parse(h.stdout().split('\n')[0]).event_time).toBe(mtime.getTime());
    const h2 = harness();
    await h2.run('import', 'gitleaks', file, '--dry-run', '--scan-time', '2024-02-03T04:05:06Z');
    expect(JSON.parse(h2.stdout().split('\n')[0]).event_time).toBe(Date.UTC(2024, 1, 3, 4, 5, 6));
    // the report's own time wins over both
    const h3 = harness();
    await h3.run('import', 'bandit', FIXTURES + 'bandit/one_vuln.json', '--dry-run', '--scan-time', '2024-02-03T04:05:06Z');
    expect(JSON.parse(h3.stdout().split('\n')[0]).event_time).toBe(Date.UTC(2020, 11, 30, 10, 3, 39));
    const h4 = harness();
    expect(await h4.run('import', 'gitleaks', file, '--scan-time', 'yesterday')).toBe(1);
  });

  it('the same file imported twice yields the same event ids', async () => {
    const a = harness();
    const b = harness();
    await a.run('import', 'nuclei', FIXTURES + 'nuclei/multiple_v3.json', '--dry-run');
    await b.run('import', 'nuclei', FIXTURES + 'nuclei/multiple_v3.json', '--dry-run');
    expect(a.stdout()).toBe(b.stdout());
    expect(a.stdout().trimEnd().split('\n')).toHaveLength(6);
  });
});

describe('socflow import --help', () => {
  it('lists every format', async () => {
    const h = harness();
    expect(await h.run('import', '--help')).toBe(0);
    for (const f of importFormats) expect(h.stdout()).toMatch(new RegExp(`^  ${f} `, 'm'));
    expect(h.stdout()).toMatch(/--dry-run/);
    expect(h.stdout()).toMatch(/--asset <name>/);
  });
});
