import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../lib/data/validate.js';
import { DEFAULT_RULES_PATH, loadRules, metricRuleFor, rebuildLookback } from './rules.js';
import { createCorrelateStage } from './transform.js';

const dir = mkdtempSync(join(tmpdir(), 'correlate-rules-'));
const original = readFileSync(DEFAULT_RULES_PATH, 'utf8');

function withRules(text: string): string {
  const p = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
}

const errorOf = (text: string): string => {
  try {
    loadRules(withRules(text));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('rules file', () => {
  it('the shipped rules load, with MITRE ids and the rebuild look-back', () => {
    const r = loadRules();
    expect(r.auth.brute_force.techniques).toEqual(['T1110']);
    expect(r.auth.credential_compromise.techniques).toContain('T1078');
    expect(r.findings.new_critical.techniques).toEqual(['T1190']);
    expect(metricRuleFor(r.metrics, 'tokens_used')?.category).toBe('resource_abuse');
    expect(metricRuleFor(r.metrics, 'cpu')?.category).toBe('anomaly');
    expect(metricRuleFor(r.metrics, 'disk')).toBeUndefined();
    expect(r.traffic).toMatchObject({ time_window_ms: 2000, host_window_connections: 100 });
    expect(createCorrelateStage(r).rebuildLookbackMs).toBe(rebuildLookback(r));
    expect(rebuildLookback(r)).toBe(r.findings.window_ms + r.findings.max_lateness_ms);
  });

  it('CORRELATE_RULES picks another file', () => {
    const p = withRules(original.replace('failures: 5 ', 'failures: 7 '));
    process.env.CORRELATE_RULES = p;
    try {
      expect(loadRules().auth.failures).toBe(7);
    } finally {
      delete process.env.CORRELATE_RULES;
    }
  });

  it('bad rules fail with the file and the exact path', () => {
    expect(errorOf(original.replace('severity: high\n    title: Brute-force', 'severity: urgent\n    title: Brute-force'))).toMatch(
      /rules-.*\.yaml: auth\.brute_force\.severity: must be one of critical, high, medium, low, info, got "urgent"/,
    );
    expect(errorOf(original.replace('techniques: [T1496]', 'techniques: [T14960]'))).toMatch(/metrics\.rules\[0\]\.techniques\[0\]: "T14960" does not match/);
    expect(errorOf(original.replace('failures: 5 ', 'failures: "five" '))).toMatch(/auth\.failures: must be a number/);
    expect(errorOf(original.replace('      min_samples: 10\n      direction: up', '      min_samples: 100\n      direction: up'))).toMatch(
      /metrics\.rules\[0\]\.min_samples: must be <= 30, got 100/,
    );
    expect(errorOf(original.replace('  time_window_ms: 2000', '  time_windw_ms: 2000'))).toMatch(/traffic: unknown key\(s\) time_windw_ms/);
    expect(errorOf(original.replace('id: metric-anomaly', 'id: metric-resource-abuse'))).toMatch(/metrics\.rules\[1\]\.id: duplicate rule id "metric-resource-abuse"/);
    expect(errorOf(original.replace(/\nauth:/, '\nauth_rules:'))).toMatch(/\(root\): unknown key\(s\) auth_rules/);
    expect(errorOf('version: 1\nmax_lateness_ms: [1]\n')).toMatch(/max_lateness_ms: must be a number/);
    expect(errorOf('version: [')).toMatch(/\(syntax\)/);
    expect(() => loadRules(join(dir, 'missing.yaml'))).toThrow(/\(file\): cannot read/);
  });
});
