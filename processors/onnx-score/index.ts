import type { ProcessorDefinition } from '../definition.js';

/** Its settings are read by start.ts. */
export const definition: ProcessorDefinition = {
  name: 'onnx-score',
  description: 'rbp.correlated → rbp.alerts: score connections with the production ONNX model (hot reload), one alert per rule signal, flood-suppressed model alerts; bad input → rbp.correlated.dlq',
  inputs: ['rbp.correlated'],
  metricsPort: 9103,
  start: async (opts) => (await import('./start.js')).start(opts),
};
