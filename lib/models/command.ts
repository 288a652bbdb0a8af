import type { Command } from 'commander';
import { setting } from '../config.js';
import { fromRoot } from '../paths.js';
import { MODEL_STAGES, type ModelStage } from './manifest.js';
import { loadPromotionPolicy, promote } from './promote.js';
import { listVersions } from './registry.js';
import { readdirSync } from 'node:fs';

const registryDir = () => setting('SOCFLOW_MODEL_REGISTRY') ?? fromRoot('models/registry');

export function registerModelCommand(program: Command): void {
  const model = program.command('model').description('The file-based model registry (models/registry/<name>/<version>/manifest.json)');
  model
    .command('list')
    .description('Every model version: stage, held-out metrics, artifact hash')
    .argument('[name]', 'model name (default: all)')
    .action((name?: string) => {
      const names = name ? [name] : readdirSync(registryDir(), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      const rows = [['model', 'version', 'stage', 'accuracy', 'recall', 'f1', 'roc_auc', 'sha256']];
      for (const n of names) {
        for (const v of listVersions(registryDir(), n)) {
          const m = (v.manifest.metrics ?? {}) as Record<string, unknown>;
          const fmt = (k: string) => (typeof m[k] === 'number' ? (m[k] as number).toFixed(4) : '-');
          rows.push([n, v.version, v.manifest.stage, fmt('accuracy'), fmt('recall'), fmt('f1'), fmt('roc_auc'), v.manifest.model_sha256.slice(0, 12)]);
        }
      }
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
    });
  model
    .command('promote')
    .description('Move a version to a stage; refuses a model without metrics or below models/promotion.yaml; keeps exactly one production version')
    .argument('<name>')
    .argument('<version>')
    .argument('<stage>', MODEL_STAGES.join(' | '))
    .option('--policy <file>', 'promotion thresholds', fromRoot('models/promotion.yaml'))
    .action((name: string, version: string, stage: string, opts: { policy: string }) => {
      if (!MODEL_STAGES.includes(stage as ModelStage)) throw new Error(`stage must be one of ${MODEL_STAGES.join(', ')}, got "${stage}"`);
      const { demoted } = promote(registryDir(), name, version, stage as ModelStage, loadPromotionPolicy(opts.policy));
      process.stdout.write(`${name}@${version} is now ${stage}${demoted.length ? `; archived ${demoted.map((v) => `${name}@${v}`).join(', ')}` : ''}\n`);
    });
}
