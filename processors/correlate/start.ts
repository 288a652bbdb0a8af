import type { TelemetryEvent } from '../../lib/events.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import { runStage, type RunningStage } from '../../lib/stream/kafkaRuntime.js';
import type { RunOptions } from '../definition.js';
import { loadRules } from './rules.js';
import { createCorrelateStage, INPUT_TOPIC } from './transform.js';

export async function start({ instanceId, metricsPort }: RunOptions): Promise<RunningStage> {
  return runStage(createCorrelateStage(loadRules()), await avroDecoder<TelemetryEvent>(INPUT_TOPIC), { instanceId, metricsPort });
}
