import { setting } from '../../lib/config.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import { runStage, type RunningStage } from '../../lib/stream/kafkaRuntime.js';
import type { RunOptions } from '../definition.js';
import { definition } from './index.js';
import { DEFAULT_POLICY_FILE, loadPolicy } from './policy.js';
import { createQuotaManager, type QuotaInput } from './stage.js';

/** The policy (SOCFLOW_QUOTA_POLICY or processors/quota-manager/policy.yaml) is validated first. */
export async function start(opts: RunOptions): Promise<RunningStage> {
  const policy = loadPolicy(setting('SOCFLOW_QUOTA_POLICY') ?? DEFAULT_POLICY_FILE);
  const stage = createQuotaManager(policy);
  const decode = await avroDecoders<QuotaInput>(stage.inputs);
  return runStage(stage, decode, { instanceId: opts.instanceId, metricsPort: opts.metricsPort ?? definition.metricsPort });
}
