import { definition as alertStore } from './alert-store/index.js';
import type { ProcessorDefinition } from './definition.js';
import { definition as normalize } from './normalize/index.js';
import { definition as quotaManager } from './quota-manager/index.js';
import { definition as quotaStore } from './quota-store/index.js';

/** Every processor `socflow run` can start, in pipeline order. */
export const processors: readonly ProcessorDefinition[] = [normalize, alertStore, quotaManager, quotaStore];

export function processorNamed(name: string): ProcessorDefinition {
  const found = processors.find((p) => p.name === name);
  if (!found) throw new Error(`unknown stage "${name}"; stages: ${processors.map((p) => p.name).join(', ')}`);
  return found;
}
