import { CONNECTION_ATTRIBUTES, CONNECTION_STRING_ATTRIBUTES } from '../events.js';
import { type Reader, reader } from '../data/validate.js';

/**
 * The manifest of one model version (models/registry/<name>/<version>/manifest.json), as written by
 * models/factory/train.py. Only the fields the pipeline relies on are typed; the rest is kept as read.
 */
export const MODEL_STAGES = ['production', 'staging', 'archived', 'candidate'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

export interface TensorSpec {
  name: string;
  type: string;
  shape?: (number | null)[];
}

export type FeatureDistribution =
  | { kind: 'numeric'; bin_edges: number[]; proportions: number[] }
  | { kind: 'categorical'; proportions: Record<string, number> };

export interface ModelManifest {
  name: string;
  version: string;
  stage: ModelStage;
  model_file: string;
  model_sha256: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Attack-probability threshold: label = P(attack) >= threshold. Absent: the graph's `label` output is used. */
  threshold: number | null;
  metrics: Record<string, unknown> | null;
  /** Reference distribution for PSI drift (binning described in the manifest's training_distribution_binning). */
  training_distribution: Record<string, FeatureDistribution> | null;
  /** The whole manifest as read. */
  raw: Record<string, unknown>;
}

const STRING_INPUTS = new Set<string>(CONNECTION_STRING_ATTRIBUTES);
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

/**
 * Validates a parsed manifest. `file` names it in errors; `expect` (from the directory layout) must match
 * the manifest's own name and version, so a copied folder that was not edited is caught.
 */
export function parseManifest(file: string, value: unknown, expect?: { name: string; version: string }): ModelManifest {
  const r = reader(file, value).object();
  const name = r.at('name').string({ pattern: NAME });
  const version = r.at('version').string({ pattern: VERSION });
  if (expect && name !== expect.name) r.at('name').fail(`is "${name}" but the manifest lies under ${expect.name}/ (folder and manifest must agree)`);
  if (expect && version !== expect.version) r.at('version').fail(`is "${version}" but the manifest lies under ${expect.name}/${expect.version}/ (folder and manifest must agree)`);
  const stage = r.at('stage').string({ oneOf: MODEL_STAGES }) as ModelStage;
  const modelFile = r.at('model_file').string({ pattern: /^[^/\\]+$/ });
  if (modelFile === '.' || modelFile === '..') r.at('model_file').fail('must be a file name inside the version folder');
  const sha = r.at('model_sha256').string({ pattern: /^[0-9a-f]{64}$/ });
  const inputs = r.at('inputs').list().map(tensorSpec);
  checkInputs(r.at('inputs'), inputs);
  const outputs = r.at('outputs').list().map(tensorSpec);
  if (!outputs.some((o) => o.name === 'probabilities')) r.at('outputs').fail('must declare the "probabilities" output (float32 [N,2], column 1 = P(attack))');
  const threshold = r.at('threshold').optional((t) => t.number({ min: 0, max: 1 }), null);
  if (threshold === null && !outputs.some((o) => o.name === 'label')) r.at('outputs').fail('without a threshold the manifest must declare the "label" output');
  const metrics = r.at('metrics').optional((m) => m.object().value as Record<string, unknown>, null);
  const dist = r.at('training_distribution').optional(trainingDistribution, null);
  return { name, version, stage, model_file: modelFile, model_sha256: sha, inputs, outputs, threshold, metrics, training_distribution: dist, raw: r.value as Record<string, unknown> };
}

function tensorSpec(r: Reader): TensorSpec {
  r.object();
  const spec: TensorSpec = { name: r.at('name').string(), type: r.at('type').string() };
  if (r.at('shape').present()) spec.shape = r.at('shape').list().map((d) => (d.value === null ? null : d.number({ integer: true, min: -1 })));
  return spec;
}

/** The inputs must be the 41 connection attributes in dataset order: strings for the 3 symbolic ones, float32 else. */
function checkInputs(r: Reader, inputs: TensorSpec[]): void {
  const names = inputs.map((i) => i.name);
  if (names.length !== CONNECTION_ATTRIBUTES.length) r.fail(`must list the ${CONNECTION_ATTRIBUTES.length} connection attributes, got ${names.length}`);
  CONNECTION_ATTRIBUTES.forEach((attr, i) => {
    if (names[i] !== attr) r.at(i).at('name').fail(`must be "${attr}" (the connection attributes in dataset order), got "${names[i]}"`);
    const want = STRING_INPUTS.has(attr) ? 'string' : 'float32';
    if (inputs[i].type !== want) r.at(i).at('type').fail(`must be "${want}" for ${attr}, got "${inputs[i].type}"`);
  });
}

function trainingDistribution(r: Reader): Record<string, FeatureDistribution> {
  const out: Record<string, FeatureDistribution> = {};
  for (const [feature, f] of r.entries()) {
    f.object();
    const kind = f.at('kind').string({ oneOf: ['numeric', 'categorical'] });
    if (kind === 'numeric') {
      const edges = f.at('bin_edges').list().map((e) => e.number());
      const props = f.at('proportions').list().map((p) => p.number({ min: 0, max: 1 }));
      if (props.length !== edges.length + 1) f.at('proportions').fail(`must have len(bin_edges) + 1 = ${edges.length + 1} entries, got ${props.length}`);
      for (let i = 1; i < edges.length; i++) if (!(edges[i] > edges[i - 1])) f.at('bin_edges').at(i).fail('bin edges must be strictly increasing');
      out[feature] = { kind: 'numeric', bin_edges: edges, proportions: props };
    } else {
      const props: Record<string, number> = {};
      for (const [k, p] of f.at('proportions').entries()) props[k] = p.number({ min: 0, max: 1 });
      out[feature] = { kind: 'categorical', proportions: props };
    }
  }
  return out;
}
