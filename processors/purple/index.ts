import type { ProcessorDefinition } from '../definition.js';
import { ALERTS, BLUE_RESPONSES, RED_SCENARIOS } from './model.js';

export const definition: ProcessorDefinition = {
  name: 'purple',
  description: 'red-scenarios + rbp.alerts + blue-responses → purple-gaps: one result per exercise scenario (detected, time to detect/respond, gap), joined per entity in event time',
  inputs: [RED_SCENARIOS, ALERTS, BLUE_RESPONSES],
  metricsPort: 9110,
  start: async (opts) => (await import('./start.js')).start(opts),
};
