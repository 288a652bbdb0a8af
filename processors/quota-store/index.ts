import type { ProcessorDefinition } from '../definition.js';

export const definition: ProcessorDefinition = {
  name: 'quota-store',
  description: 'rbp.quota_updates, rbp.proposals, rbp.approvals → PostgreSQL (quota_updates, proposals), idempotent',
  inputs: ['rbp.quota_updates', 'rbp.proposals', 'rbp.approvals'],
  metricsPort: 9106,
  start: async (opts) => (await import('./start.js')).start(opts),
};
