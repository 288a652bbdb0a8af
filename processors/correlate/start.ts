import type { TelemetryEvent } from '../../lib/events.js';
import type { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import { runStage, type RunningStage } from '../../lib/stream/kafkaRuntime.js';
import type { RunOptions } from '../definition.js';
import { loadRules } from './rules.js';
import { createCorrelateStage, INPUT_TOPIC } from './transform.js';

/** keepEncoded: most events leave correlate unchanged, and their bytes are then reused (lib/serde/codecs.ts). */
export const correlateDecoder = (registry?: SchemaRegistryClient) => avroDecoder<TelemetryEvent>(INPUT_TOPIC, registry, { keepEncoded: true });

export async function start({ instanceId, metricsPort }: RunOptions): Promise<RunningStage> {
  return runStage(createCorrelateStage(loadRules()), await correlateDecoder(), { instanceId, metricsPort });
}
