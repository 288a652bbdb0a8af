import { intSetting } from '../../lib/config.js';
import { runCoPartitionedStage } from '../../lib/stream/coPartitionedRuntime.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import type { RunOptions } from '../definition.js';
import { definition } from './index.js';
import { createPurpleStage, DEFAULT_PURPLE_CONFIG, type PurpleInput } from './stage.js';

/** PURPLE_GRACE_MS (default 30 s) and PURPLE_MAX_DEADLINE_MS (default 1 h) tune it. */
export async function start(opts: RunOptions): Promise<RunningStage> {
  const stage = createPurpleStage({
    graceMs: intSetting('PURPLE_GRACE_MS', DEFAULT_PURPLE_CONFIG.graceMs, 0, 3_600_000),
    maxDeadlineMs: intSetting('PURPLE_MAX_DEADLINE_MS', DEFAULT_PURPLE_CONFIG.maxDeadlineMs, 1000, 86_400_000),
  });
  // Its own results (purple-gaps) are read back on rebuild, so they are decoded too.
  const decode = await avroDecoders<PurpleInput>([...stage.inputs, ...(stage.rebuildInputs ?? [])]);
  return runCoPartitionedStage(stage, decode, { instanceId: opts.instanceId, metricsPort: opts.metricsPort ?? definition.metricsPort });
}
