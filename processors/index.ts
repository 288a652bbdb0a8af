import { siemDefinitions } from '../connectors/siem/processor.js';
import { clickhouseProcessors } from '../connectors/clickhouse/processors.js';
import { definition as alertStore } from './alert-store/index.js';
import { definition as correlate } from './correlate/index.js';
import type { ProcessorDefinition } from './definition.js';
import { definition as normalize } from './normalize/index.js';
import { definition as onnxScore } from './onnx-score/index.js';
import { definition as purple } from './purple/index.js';
import { definition as quotaManager } from './quota-manager/index.js';
import { definition as quotaStore } from './quota-store/index.js';

/** The core pipeline, in order: what `make demo` starts. */
export const processors: readonly ProcessorDefinition[] = [normalize, correlate, onnxScore, alertStore, quotaManager, quotaStore, purple];

/** Optional consumers started on demand (each needs its target configured). */
export const optionalProcessors: readonly ProcessorDefinition[] = [...siemDefinitions, ...clickhouseProcessors];

export function processorNamed(name: string): ProcessorDefinition {
  const found = [...processors, ...optionalProcessors].find((p) => p.name === name);
  if (!found) throw new Error(`unknown stage "${name}"; stages: ${[...processors, ...optionalProcessors].map((p) => p.name).join(', ')}`);
  return found;
}
