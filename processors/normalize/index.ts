import type { ProcessorDefinition } from '../definition.js';

export const definition: ProcessorDefinition = {
  name: 'normalize',
  description: 'rbp.metrics → rbp.normalized: decode Avro/JSON, validate, canonicalize, enrich from assets, drop duplicates; bad input → rbp.metrics.dlq',
  inputs: ['rbp.metrics'],
  metricsPort: 9101,
  start: async (opts) => (await import('./start.js')).start(opts),
};
