import { setting } from '../../lib/config.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import { runStage } from '../../lib/stream/kafkaRuntime.js';
import type { ProcessorDefinition } from '../definition.js';
import { DEFAULT_POLICY_FILE, loadPolicy } from './policy.js';
import { createQuotaManager, type QuotaInput } from './stage.js';

export { loadPolicy } from './policy.js';
export { createQuotaManager } from './stage.js';

/** `socflow run quota-manager`: the policy (SOCFLOW_QUOTA_POLICY or processors/quota-manager/policy.yaml) is validated first. */
export const definition: ProcessorDefinition = {
  name: 'quota-manager',
  description: 'rbp.alerts + rbp.approvals → rbp.quota_updates (low impact, approved proposals) and rbp.proposals (high impact), by a windowed policy',
  inputs: ['rbp.alerts', 'rbp.approvals'],
  metricsPort: 9105,
  async start(opts) {
    const policy = loadPolicy(setting('SOCFLOW_QUOTA_POLICY') ?? DEFAULT_POLICY_FILE);
    const stage = createQuotaManager(policy);
    const decode = await avroDecoders<QuotaInput>(stage.inputs);
    return runStage(stage, decode, { instanceId: opts.instanceId, metricsPort: opts.metricsPort ?? definition.metricsPort });
  },
};
