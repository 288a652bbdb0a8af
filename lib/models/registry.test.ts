import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTION_ATTRIBUTES } from '../events.js';
import { ConfigFileError } from '../data/validate.js';
import { findProduction, loadProduction, ModelIntegrityError, ModelRegistryError, sha256 } from './registry.js';
import { addVersion, copyRegistry, editManifest, MODEL_NAME, REAL_REGISTRY, tamper } from './testkit.js';

describe('model registry', () => {
  it('finds, validates and verifies the committed production model', () => {
    const m = loadProduction(REAL_REGISTRY, MODEL_NAME);
    expect(m.ref).toBe('nslkdd-binary@1.0.0');
    expect(m.manifest.stage).toBe('production');
    expect(m.manifest.inputs.map((i) => i.name)).toEqual([...CONNECTION_ATTRIBUTES]);
    expect(sha256(m.bytes)).toBe(m.manifest.model_sha256);
    expect(m.manifest.threshold).toBeGreaterThan(0);
    expect(m.manifest.training_distribution).not.toBeNull();
  });

  it('refuses a tampered model file with a clear error', () => {
    const reg = copyRegistry();
    tamper(reg, '1.0.0');
    let err: unknown;
    try {
      loadProduction(reg, MODEL_NAME);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelIntegrityError);
    expect((err as Error).message).toMatch(/nslkdd-binary@1\.0\.0: refusing .*model\.onnx: its sha256 [0-9a-f]{64} does not match the manifest's model_sha256 [0-9a-f]{64}/);
  });

  it('requires exactly one production version', () => {
    const reg = copyRegistry();
    addVersion(reg, '1.1.0', 'production');
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(ModelRegistryError);
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(/has 2 production versions \(1\.0\.0, 1\.1\.0\); exactly one may be production/);
    editManifest(reg, '1.0.0', (m) => (m.stage = 'archived'));
    editManifest(reg, '1.1.0', (m) => (m.stage = 'staging'));
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(/has no production version \(versions: 1\.0\.0 \(archived\), 1\.1\.0 \(staging\)\)/);
    expect(() => findProduction(reg, 'nope')).toThrow(/no model named "nope" \(models: nslkdd-binary\)/);
  });

  it('validates manifests precisely', () => {
    const reg = copyRegistry();
    addVersion(reg, '2.0.0', 'staging', (m) => (m.version = '2.0.1'));
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(ConfigFileError);
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(/2\.0\.0\/manifest\.json: version: is "2\.0\.1" but the manifest lies under nslkdd-binary\/2\.0\.0\//);
    editManifest(reg, '2.0.0', (m) => {
      m.version = '2.0.0';
      (m.inputs as { name: string }[])[1].name = 'proto';
    });
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(/inputs\[1\]\.name: must be "protocol_type"/);
    editManifest(reg, '2.0.0', (m) => {
      (m.inputs as { name: string }[])[1].name = 'protocol_type';
      m.model_sha256 = 'abc';
    });
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(/model_sha256: "abc" does not match/);
    writeFileSync(join(reg, MODEL_NAME, '2.0.0', 'manifest.json'), '{ not json');
    expect(() => findProduction(reg, MODEL_NAME)).toThrow(/2\.0\.0\/manifest\.json: \(syntax\)/);
  });
});
