import { intSetting } from '../../lib/config.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import type { ProcessorDefinition } from '../definition.js';
import { runCoPartitionedStage } from '../../lib/stream/coPartitionedRuntime.js';
import { ALERTS, BLUE_RESPONSES, RED_SCENARIOS } from './model.js';
import { createPurpleStage, DEFAULT_PURPLE_CONFIG, type PurpleInput } from './stage.js';

export { createPurpleStage } from './stage.js';

/** `socflow run purple`: PURPLE_GRACE_MS (default 30 s) and PURPLE_MAX_DEADLINE_MS (default 1 h) tune it. */
export const definition: ProcessorDefinition = {
  name: 'purple',
  description: 'red-scenarios + rbp.alerts + blue-responses → purple-gaps: one result per exercise scenario (detected, time to detect/respond, gap), joined per entity in event time',
  inputs: [RED_SCENARIOS, ALERTS, BLUE_RESPONSES],
  metricsPort: 9110,
  async start(opts) {
    const stage = createPurpleStage({
      graceMs: intSetting('PURPLE_GRACE_MS', DEFAULT_PURPLE_CONFIG.graceMs, 0, 3_600_000),
      maxDeadlineMs: intSetting('PURPLE_MAX_DEADLINE_MS', DEFAULT_PURPLE_CONFIG.maxDeadlineMs, 1000, 86_400_000),
    });
    // Its own results (purple-gaps) are read back on rebuild, so they are decoded too.
    const decode = await avroDecoders<PurpleInput>([...stage.inputs, ...(stage.rebuildInputs ?? [])]);
    return runCoPartitionedStage(stage, decode, { instanceId: opts.instanceId, metricsPort: opts.metricsPort ?? definition.metricsPort });
  },
};
