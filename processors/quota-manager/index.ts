import type { ProcessorDefinition } from '../definition.js';

export const definition: ProcessorDefinition = {
  name: 'quota-manager',
  description: 'rbp.alerts + rbp.approvals → rbp.quota_updates (low impact, approved proposals) and rbp.proposals (high impact), by a windowed policy',
  inputs: ['rbp.alerts', 'rbp.approvals'],
  metricsPort: 9105,
  start: async (opts) => (await import('./start.js')).start(opts),
};
