// Contract test for the committed production model (models/registry/nslkdd-binary/1.0.0).
// Checks that the ONNX graph exposes exactly the inputs/outputs the TypeScript scorer relies
// on, that the file is the one the manifest describes, and that onnxruntime-node reproduces
// the predictions recorded by the Python factory (models/factory/train.py).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'registry', 'nslkdd-binary', '1.0.0');

interface TensorSpec {
  name: string;
  type: string;
  shape: (number | null)[];
}
interface Manifest {
  name: string;
  version: string;
  stage: string;
  model_file: string;
  model_sha256: string;
  threshold: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  training_distribution: Record<string, { kind: 'numeric' | 'categorical' }>;
}
type Row = Record<string, string | number>;
interface SampleRows {
  model_sha256: string;
  threshold: number;
  rows: { input: Row; true_class: string; expected_label: number; expected_attack_probability: number }[];
}

// The 41 NSL-KDD connection attributes in file order (dataset README).
const COLUMNS = `duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot
num_failed_logins logged_in num_compromised root_shell su_attempted num_root num_file_creations num_shells
num_access_files num_outbound_cmds is_host_login is_guest_login count srv_count serror_rate srv_serror_rate
rerror_rate srv_rerror_rate same_srv_rate diff_srv_rate srv_diff_host_rate dst_host_count dst_host_srv_count
dst_host_same_srv_rate dst_host_diff_srv_rate dst_host_same_src_port_rate dst_host_srv_diff_host_rate
dst_host_serror_rate dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate`
  .split(/\s+/)
  .filter(Boolean);
const STRING_COLUMNS = new Set(['protocol_type', 'service', 'flag']);

const manifest = JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')) as Manifest;
const samples = JSON.parse(readFileSync(join(MODEL_DIR, 'sample_rows.json'), 'utf8')) as SampleRows;
const modelBytes = readFileSync(join(MODEL_DIR, manifest.model_file));

function buildFeeds(rows: Row[]): Record<string, ort.Tensor> {
  const n = rows.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of manifest.inputs) {
    if (spec.type === 'string') {
      feeds[spec.name] = new ort.Tensor('string', rows.map((r) => String(r[spec.name])), [n, 1]);
    } else {
      feeds[spec.name] = new ort.Tensor('float32', Float32Array.from(rows.map((r) => Number(r[spec.name]))), [n, 1]);
    }
  }
  return feeds;
}

describe('model contract: nslkdd-binary 1.0.0', () => {
  let session: ort.InferenceSession;

  beforeAll(async () => {
    session = await ort.InferenceSession.create(modelBytes);
  });
  afterAll(async () => {
    await session?.release();
  });

  it('manifest describes a production model with the 41 raw attributes as inputs', () => {
    expect(manifest.name).toBe('nslkdd-binary');
    expect(manifest.version).toBe('1.0.0');
    expect(manifest.stage).toBe('production');
    expect(manifest.inputs.map((i) => i.name)).toEqual(COLUMNS);
    for (const i of manifest.inputs) {
      expect(i.type).toBe(STRING_COLUMNS.has(i.name) ? 'string' : 'float32');
      expect(i.shape).toEqual([null, 1]);
    }
    expect(manifest.threshold).toBeGreaterThan(0);
    expect(manifest.threshold).toBeLessThan(1);
    expect(Object.keys(manifest.training_distribution).sort()).toEqual([...COLUMNS].sort());
  });

  it('model file matches the manifest sha256', () => {
    const sha = createHash('sha256').update(modelBytes).digest('hex');
    expect(sha).toBe(manifest.model_sha256);
    expect(samples.model_sha256).toBe(manifest.model_sha256);
  });

  it('graph input names equal the 41 column names in manifest order; outputs label + probabilities', () => {
    expect([...session.inputNames]).toEqual(manifest.inputs.map((i) => i.name));
    expect(session.outputNames).toContain('label');
    expect(session.outputNames).toContain('probabilities');
  });

  it('reproduces the factory predictions on the sample rows (one batch)', async () => {
    const rows = samples.rows.map((r) => r.input);
    expect(rows.length).toBe(20);
    const out = await session.run(buildFeeds(rows));
    const label = out.label;
    const proba = out.probabilities;
    expect(label.type).toBe('int64');
    expect(label.dims).toEqual([rows.length]);
    expect(proba.type).toBe('float32');
    expect(proba.dims).toEqual([rows.length, 2]);
    const labels = Array.from(label.data as BigInt64Array, Number);
    const p = proba.data as Float32Array;
    expect(labels).toEqual(samples.rows.map((r) => r.expected_label));
    samples.rows.forEach((r, i) => {
      expect(Math.abs(p[2 * i + 1] - r.expected_attack_probability)).toBeLessThan(1e-4);
      expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 5);
      // label output is consistent with the manifest threshold (compared in float32, as in the graph)
      expect(labels[i]).toBe(p[2 * i + 1] >= Math.fround(manifest.threshold) ? 1 : 0);
    });
    // the sample contains both classes
    expect(new Set(samples.rows.map((r) => r.true_class === 'normal'))).toEqual(new Set([true, false]));
  });

  it('an unseen service value does not fail and yields valid probabilities', async () => {
    const rows: Row[] = samples.rows.slice(0, 4).map((r) => ({ ...r.input, service: 'no_such_service' }));
    rows[1] = { ...rows[1], protocol_type: 'sctp', flag: 'NEWFLAG' };
    const out = await session.run(buildFeeds(rows));
    const p = out.probabilities.data as Float32Array;
    const labels = Array.from(out.label.data as BigInt64Array, Number);
    expect(p.length).toBe(rows.length * 2);
    for (let i = 0; i < rows.length; i++) {
      expect(Number.isFinite(p[2 * i + 1])).toBe(true);
      expect(p[2 * i + 1]).toBeGreaterThanOrEqual(0);
      expect(p[2 * i + 1]).toBeLessThanOrEqual(1);
      expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 5);
      expect([0, 1]).toContain(labels[i]);
    }
  });
});
