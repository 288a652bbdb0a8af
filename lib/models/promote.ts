import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readYaml } from '../data/yaml.js';
import { fromRoot } from '../paths.js';
import { MODEL_STAGES, type ModelStage } from './manifest.js';
import { listVersions, ModelRegistryError, readVerifiedModel, type VersionEntry } from './registry.js';

export type PromotionPolicy = Partial<Record<ModelStage, Record<string, number>>>;

export const DEFAULT_PROMOTION_POLICY = fromRoot('models/promotion.yaml');

export function loadPromotionPolicy(file = DEFAULT_PROMOTION_POLICY): PromotionPolicy {
  const doc = readYaml(file).object(['stages']);
  const policy: PromotionPolicy = {};
  for (const [stage, minimums] of doc.at('stages').entries()) {
    if (!MODEL_STAGES.includes(stage as ModelStage)) minimums.fail(`unknown stage (stages: ${MODEL_STAGES.join(', ')})`);
    policy[stage as ModelStage] = Object.fromEntries(minimums.entries().map(([metric, min]) => [metric, min.number({ min: 0, max: 1 })]));
  }
  return policy;
}

/** Why a version may not enter a stage (empty when it may): missing metrics or metrics below the policy. */
export function promotionProblems(entry: VersionEntry, stage: ModelStage, policy: PromotionPolicy): string[] {
  const minimums = policy[stage] ?? {};
  if (Object.keys(minimums).length === 0) return [];
  const metrics = entry.manifest.metrics;
  if (!metrics) return [`${entry.manifest.name}@${entry.version} has no evaluation metrics in its manifest`];
  return Object.entries(minimums).flatMap(([metric, min]) => {
    const value = metrics[metric];
    if (typeof value !== 'number') return [`metric ${metric} is missing (needed >= ${min} for ${stage})`];
    return value < min ? [`${metric} ${value.toFixed(4)} is below the ${stage} minimum ${min}`] : [];
  });
}

/**
 * Moves a version to a stage. Promoting to production verifies the artifact first and moves the current
 * production version to archived, so exactly one production version remains. The old production is
 * demoted before the new one is written: a scorer polling in between finds none and keeps serving what
 * it has, never two.
 */
export function promote(registryDir: string, name: string, version: string, stage: ModelStage, policy: PromotionPolicy): { demoted: string[] } {
  const versions = listVersions(registryDir, name);
  const entry = versions.find((v) => v.version === version);
  if (!entry) throw new ModelRegistryError(`${name} has no version ${version} (versions: ${versions.map((v) => v.version).join(', ') || 'none'})`);
  const problems = promotionProblems(entry, stage, policy);
  if (problems.length) throw new ModelRegistryError(`refusing to promote ${name}@${version} to ${stage}: ${problems.join('; ')}`);
  const demoted: string[] = [];
  if (stage === 'production') {
    readVerifiedModel(entry);
    for (const other of versions.filter((v) => v.version !== version && v.manifest.stage === 'production')) {
      writeStage(other, 'archived');
      demoted.push(other.version);
    }
  }
  writeStage(entry, stage);
  return { demoted };
}

function writeStage(entry: VersionEntry, stage: ModelStage): void {
  const file = join(entry.dir, 'manifest.json');
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ ...entry.manifest.raw, stage }, null, 2)}\n`);
  renameSync(tmp, file);
}
