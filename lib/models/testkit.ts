import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../paths.js';

/** Test helpers around the committed model (models/registry/nslkdd-binary/1.0.0). Not used in production code. */
/** The committed registry (SOCFLOW_MODEL_REGISTRY overrides it, as for the stage). */
export const REAL_REGISTRY = process.env.SOCFLOW_MODEL_REGISTRY || fromRoot('models/registry');
export const MODEL_NAME = 'nslkdd-binary';
export const REAL_VERSION_DIR = join(REAL_REGISTRY, MODEL_NAME, '1.0.0');

export interface SampleRow {
  input: Record<string, string | number>;
  true_class: string;
  expected_label: number;
  expected_attack_probability: number;
}

export function sampleRows(): SampleRow[] {
  return (JSON.parse(readFileSync(join(REAL_VERSION_DIR, 'sample_rows.json'), 'utf8')) as { rows: SampleRow[] }).rows;
}

/** A private copy of the real registry (only nslkdd-binary 1.0.0) in a temp folder. */
export function copyRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'socflow-registry-'));
  cpSync(REAL_VERSION_DIR, join(dir, MODEL_NAME, '1.0.0'), { recursive: true });
  return dir;
}

export function manifestPath(registry: string, version: string): string {
  return join(registry, MODEL_NAME, version, 'manifest.json');
}

export function editManifest(registry: string, version: string, edit: (m: Record<string, unknown>) => void): void {
  const path = manifestPath(registry, version);
  const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(m);
  writeFileSync(path, JSON.stringify(m, null, 2) + '\n');
}

/** Adds `version` as a copy of 1.0.0 (same model file) with the given stage. */
export function addVersion(registry: string, version: string, stage: string, edit: (m: Record<string, unknown>) => void = () => {}): string {
  const dir = join(registry, MODEL_NAME, version);
  cpSync(join(registry, MODEL_NAME, '1.0.0'), dir, { recursive: true });
  editManifest(registry, version, (m) => {
    m.version = version;
    m.stage = stage;
    edit(m);
  });
  return dir;
}

/** Flips one byte in the middle of a version's model file. */
export function tamper(registry: string, version: string): void {
  const path = join(registry, MODEL_NAME, version, 'model.onnx');
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(path, bytes);
}

/** Promotes `to` to production and demotes `from` to staging (as the model CLI will). */
export function promote(registry: string, from: string, to: string): void {
  editManifest(registry, to, (m) => (m.stage = 'production'));
  editManifest(registry, from, (m) => (m.stage = 'staging'));
}

/** The prototype whose `run` every onnxruntime session uses, typed for vi.spyOn (the export is typed as a factory). */
export function sessionPrototype(): { run(feeds: Record<string, ort.Tensor>, ...rest: unknown[]): Promise<unknown> } {
  return (ort.InferenceSession as unknown as { prototype: ReturnType<typeof sessionPrototype> }).prototype;
}
