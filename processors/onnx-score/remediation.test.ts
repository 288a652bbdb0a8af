import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../lib/data/validate.js';
import { fromRoot } from '../../lib/paths.js';
import { REQUIRED_CATEGORIES } from './policy.js';
import { DEFAULT_REMEDIATION_FILE, loadRemediation, ruleCategories } from './remediation.js';

const tmpFile = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'remediation-')), 'remediation.yaml');
  writeFileSync(path, text);
  return path;
};

describe('remediation catalogue', () => {
  it('the shipped catalogue covers every category the heuristic and the correlate rules produce', () => {
    const rules = ruleCategories(fromRoot('processors/correlate/rules.yaml'));
    const cat = loadRemediation(DEFAULT_REMEDIATION_FILE, [...REQUIRED_CATEGORIES, ...rules]);
    for (const c of [...REQUIRED_CATEGORIES, ...rules]) expect(cat.text(c).length).toBeGreaterThan(20);
    expect(cat.text('something_new')).toBe(cat.entries.default);
  });

  it('names the missing category precisely', () => {
    const full = readFileSync(DEFAULT_REMEDIATION_FILE, 'utf8');
    const withoutProbe = full.replace(/^probe:[\s\S]*?(?=^r2l:)/m, '');
    expect(withoutProbe).not.toMatch(/^probe:/m);
    const path = tmpFile(withoutProbe);
    expect(() => loadRemediation(path)).toThrow(ConfigFileError);
    expect(() => loadRemediation(path)).toThrow(/remediation\.yaml: probe: missing remediation text for category "probe" \(every category/);
    expect(() => loadRemediation(DEFAULT_REMEDIATION_FILE, [...REQUIRED_CATEGORIES, 'lateral_movement'])).toThrow(/lateral_movement: missing remediation text for category "lateral_movement"/);
  });

  it('rejects empty text and a file that is not a mapping', () => {
    expect(() => loadRemediation(tmpFile('dos: ""\n'))).toThrow(/dos: must be a non-empty string/);
    expect(() => loadRemediation(tmpFile('- dos\n'))).toThrow(/\(root\): must be a mapping/);
    expect(() => loadRemediation(tmpFile(''))).toThrow(/must be a mapping of alert category to remediation text/);
  });
});
