import type { TelemetryEvent } from '../../lib/events.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import { runStage } from '../../lib/stream/kafkaRuntime.js';
import type { ProcessorDefinition } from '../definition.js';
import { loadRules } from './rules.js';
import { createCorrelateStage, INPUT_TOPIC } from './transform.js';

export const definition: ProcessorDefinition = {
  name: 'correlate',
  description:
    'rbp.normalized → rbp.correlated: per-agent event-time windows — NSL-KDD traffic features for connections, auth bursts, metric z-scores, new critical findings, low compliance scores (rules: processors/correlate/rules.yaml or CORRELATE_RULES)',
  inputs: [INPUT_TOPIC],
  metricsPort: 9102,
  start: async ({ instanceId, metricsPort }) =>
    runStage(createCorrelateStage(loadRules()), await avroDecoder<TelemetryEvent>(INPUT_TOPIC), { instanceId, metricsPort }),
};
