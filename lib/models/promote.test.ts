import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findProduction, listVersions } from './registry.js';
import { promote, type PromotionPolicy } from './promote.js';
import { addVersion, copyRegistry, editManifest, MODEL_NAME, REAL_VERSION_DIR, tamper } from './testkit.js';

const policy: PromotionPolicy = { production: { accuracy: 0.95, roc_auc: 0.98 } };

describe.skipIf(!existsSync(REAL_VERSION_DIR))('socflow model promote', () => {
  it('moves a version to production and archives the previous one: exactly one production version', () => {
    const registry = copyRegistry();
    addVersion(registry, '1.1.0', 'staging');
    const { demoted } = promote(registry, MODEL_NAME, '1.1.0', 'production', policy);
    expect(demoted).toEqual(['1.0.0']);
    expect(findProduction(registry, MODEL_NAME).version).toBe('1.1.0');
    expect(listVersions(registry, MODEL_NAME).filter((v) => v.manifest.stage === 'production')).toHaveLength(1);
    expect(JSON.parse(readFileSync(`${registry}/${MODEL_NAME}/1.0.0/manifest.json`, 'utf8')).stage).toBe('archived');
  });

  it('refuses a version without metrics, below the thresholds, or with a tampered artifact', () => {
    const registry = copyRegistry();
    addVersion(registry, '2.0.0', 'candidate', (m) => delete m.metrics);
    expect(() => promote(registry, MODEL_NAME, '2.0.0', 'production', policy)).toThrow(/no evaluation metrics/);
    addVersion(registry, '2.1.0', 'candidate');
    editManifest(registry, '2.1.0', (m) => ((m.metrics as Record<string, number>).roc_auc = 0.5));
    expect(() => promote(registry, MODEL_NAME, '2.1.0', 'production', policy)).toThrow(/roc_auc 0.5000 is below the production minimum 0.98/);
    addVersion(registry, '2.2.0', 'candidate');
    tamper(registry, '2.2.0');
    expect(() => promote(registry, MODEL_NAME, '2.2.0', 'production', policy)).toThrow(/sha256/);
    expect(findProduction(registry, MODEL_NAME).version).toBe('1.0.0');
  });
});
