import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import type { Alert, AssetContext, TelemetryEvent } from '../../lib/events.js';
import { ModelHolder } from '../../lib/models/holder.js';
import { fromRoot } from '../../lib/paths.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import type { OutputRecord, Stage } from '../../lib/stream/stage.js';
import { loadRules } from '../../processors/correlate/rules.js';
import { createCorrelateStage } from '../../processors/correlate/transform.js';
import { createNormalizeStage, DEFAULT_NORMALIZE_CONFIG } from '../../processors/normalize/transform.js';
import { REQUIRED_CATEGORIES } from '../../processors/onnx-score/policy.js';
import { loadRemediation, ruleCategories } from '../../processors/onnx-score/remediation.js';
import { createOnnxScoreStage } from '../../processors/onnx-score/stage.js';
import { loadPolicy } from '../../processors/quota-manager/policy.js';
import { createQuotaManager } from '../../processors/quota-manager/stage.js';

export interface PipelineOutcome {
  alerts: Alert[];
  quotaUpdates: { update_id: string; agent_id: string; action: string }[];
  proposals: { proposal_id: string; agent_id: string; action: string }[];
}

export function sampleAssets(): Map<string, AssetContext> {
  const rows = JSON.parse(readFileSync(fromRoot('samples/demo/assets.json'), 'utf8')) as { asset_id: string; criticality: AssetContext['criticality']; owner: string }[];
  return new Map(rows.map((r) => [r.asset_id, { criticality: r.criticality, owner: r.owner }]));
}

/**
 * The whole chain on the in-memory driver (no broker): the same pure transforms the Kafka runtime runs.
 * What it outputs for an input is what the pipeline over Kafka must output, each record exactly once.
 */
export async function referenceRun(events: TelemetryEvent[]): Promise<PipelineOutcome> {
  const inventory = sampleAssets();
  const normalize = createNormalizeStage(async (ids) => new Map(ids.filter((id) => inventory.has(id)).map((id) => [id, inventory.get(id)!])), DEFAULT_NORMALIZE_CONFIG);
  const rulesFile = fromRoot('processors/correlate/rules.yaml');
  const correlate = createCorrelateStage(loadRules(rulesFile));
  const model = await ModelHolder.open({ registryDir: process.env.SOCFLOW_MODEL_REGISTRY || fromRoot('models/registry'), name: 'nslkdd-binary', pollMs: 0 });
  try {
    const score = createOnnxScoreStage({
      model,
      remediation: loadRemediation(undefined, [...new Set([...REQUIRED_CATEGORIES, ...ruleCategories(rulesFile)])]),
      alertBucketMs: 60_000,
      allowedLatenessMs: 60_000,
      drift: { windowRows: 10_000, windowMs: 60_000 },
      registry: new Registry(),
    });
    const quota = createQuotaManager(loadPolicy());
    const normalized = await through(normalize, 'rbp.metrics', events.map((e) => ({ key: e.agent_id, value: { format: 'json' as const, event: e }, timestamp: e.event_time })));
    const correlated = await through(correlate, 'rbp.normalized', normalized);
    const scored = await stageOutputs(score, 'rbp.correlated', correlated);
    const alerts = scored.filter((o) => o.topic === 'rbp.alerts').map((o) => ({ key: o.key, value: o.value, timestamp: eventTimeOf(o.value) }));
    const quotaOut = await stageOutputs(quota, 'rbp.alerts', alerts);
    return {
      alerts: alerts.map((a) => a.value as Alert),
      quotaUpdates: quotaOut.filter((o) => o.topic === 'rbp.quota_updates').map((o) => o.value as PipelineOutcome['quotaUpdates'][number]),
      proposals: quotaOut.filter((o) => o.topic === 'rbp.proposals').map((o) => o.value as PipelineOutcome['proposals'][number]),
    };
  } finally {
    await model.close();
  }
}

type Keyed = { key: string; value: unknown; timestamp: number };

async function stageOutputs(stage: Stage<any, any>, topic: string, input: Keyed[]): Promise<OutputRecord[]> {
  const driver = new MemoryDriver(stage, { batchSize: 500 });
  for (const r of input) driver.send(topic, r.key, r.value, r.timestamp);
  return (await driver.run()).outputs;
}

async function through(stage: Stage<any, any>, topic: string, input: Keyed[]): Promise<Keyed[]> {
  return (await stageOutputs(stage, topic, input)).map((o) => ({ key: o.key, value: o.value, timestamp: eventTimeOf(o.value) }));
}

const eventTimeOf = (v: any): number => v.event_time ?? v.event?.event_time ?? 0;
