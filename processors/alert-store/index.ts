import type { ProcessorDefinition } from '../definition.js';

export const definition: ProcessorDefinition = {
  name: 'alert-store',
  description: 'rbp.alerts → PostgreSQL alerts (idempotent upsert by alert id, audit row on creation)',
  inputs: ['rbp.alerts'],
  metricsPort: 9104,
  start: async (opts) => (await import('./start.js')).start(opts),
};
