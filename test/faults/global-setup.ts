import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import baseSetup from '../global-setup.js';
import { dockerAnswers, servicesFromEnvironment } from '../services.js';
import { formatTable, type FaultRow } from './table.js';

export type StackMode = 'local' | 'environment' | 'containers';

/**
 * The normal test services (environment, containers or the local stack), plus what the fault suite needs
 * to know: whether it may restart Kafka and PostgreSQL itself (only on the local stack), the seed of its
 * random choices and where each test leaves its rows of the final table.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mode: StackMode = servicesFromEnvironment() ? 'environment' : dockerAnswers() ? 'containers' : 'local';
  const seed = process.env.SOCFLOW_FAULT_SEED ? Number(process.env.SOCFLOW_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`SOCFLOW_FAULT_SEED must be an integer, got "${process.env.SOCFLOW_FAULT_SEED}"`);
  process.stderr.write(`[faults] seed ${seed} (rerun the same choices with SOCFLOW_FAULT_SEED=${seed}); services: ${mode}${mode === 'local' ? ` stack in ${process.env.SOCFLOW_STACK_DIR ?? '.stack'}` : ''}\n`);
  const started = Date.now();
  const teardownServices = await baseSetup(project);
  process.stderr.write(`[faults] services ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const resultsDir = mkdtempSync(join(tmpdir(), 'socflow-faults-'));
  project.provide('faults', { mode, seed, resultsDir });
  return async () => {
    const rows: FaultRow[] = [];
    if (existsSync(resultsDir)) {
      for (const f of readdirSync(resultsDir).sort()) rows.push(...(JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as FaultRow[]));
      rmSync(resultsDir, { recursive: true, force: true });
    }
    if (rows.length) process.stderr.write(`\n[faults] seed ${seed}\n${formatTable(rows)}\n`);
    await teardownServices();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    faults: { mode: StackMode; seed: number; resultsDir: string };
  }
}
