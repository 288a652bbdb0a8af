import { definition as alertStore } from './alert-store/index.js';
import type { ProcessorDefinition } from './definition.js';
import { definition as normalize } from './normalize/index.js';

/** Every processor `socflow run` can start, in pipeline order. */
export const processors: readonly ProcessorDefinition[] = [normalize, alertStore];

export function processorNamed(name: string): ProcessorDefinition {
  const found = processors.find((p) => p.name === name);
  if (!found) throw new Error(`unknown stage "${name}"; stages: ${processors.map((p) => p.name).join(', ')}`);
  return found;
}
