import type { ProcessorDefinition } from '../definition.js';
import { INPUT_TOPIC } from './transform.js';

export const definition: ProcessorDefinition = {
  name: 'correlate',
  description:
    'rbp.normalized → rbp.correlated: per-agent event-time windows — NSL-KDD traffic features for connections, auth bursts, metric z-scores, new critical findings, low compliance scores (rules: processors/correlate/rules.yaml or CORRELATE_RULES)',
  inputs: [INPUT_TOPIC],
  metricsPort: 9102,
  start: async (opts) => (await import('./start.js')).start(opts),
};
