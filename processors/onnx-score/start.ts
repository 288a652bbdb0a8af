import { Registry } from 'prom-client';
import { intSetting, setting } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { serveMetrics } from '../../lib/metrics.js';
import { ModelHolder } from '../../lib/models/holder.js';
import { fromRoot } from '../../lib/paths.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import { runStage, type RunningStage } from '../../lib/stream/kafkaRuntime.js';
import type { RunOptions } from '../definition.js';
import { REQUIRED_CATEGORIES } from './policy.js';
import { loadRemediation, ruleCategories } from './remediation.js';
import { createOnnxScoreStage } from './stage.js';
import type { CorrelatedEvent } from './types.js';

const DEFAULT_MODEL_NAME = 'nslkdd-binary';

/**
 * Settings: SOCFLOW_MODEL_NAME (default nslkdd-binary), SOCFLOW_MODEL_REGISTRY (default models/registry),
 * SOCFLOW_MODEL_POLL_MS (registry poll for hot reload, default 5000, 0 = off), ONNX_SCORE_ALERT_BUCKET_MS
 * (default 60000), ONNX_SCORE_ALLOWED_LATENESS_MS (default = bucket), ONNX_SCORE_DRIFT_WINDOW_ROWS (10000),
 * ONNX_SCORE_DRIFT_WINDOW_MS (60000), SOCFLOW_MODEL_METRICS_PORT (model/drift metrics, default stage port
 * + 100; runStage serves only its own registry).
 */
export async function start({ instanceId, metricsPort }: RunOptions): Promise<RunningStage> {
  const log = createLogger('socflow-onnx-score', { stage: 'onnx-score', instance: instanceId });
  const rulesFile = setting('CORRELATE_RULES') ?? fromRoot('processors/correlate/rules.yaml');
  const remediation = loadRemediation(undefined, [...new Set([...REQUIRED_CATEGORIES, ...ruleCategories(rulesFile)])]);
  const model = await ModelHolder.open({
    registryDir: setting('SOCFLOW_MODEL_REGISTRY') ?? fromRoot('models/registry'),
    name: setting('SOCFLOW_MODEL_NAME') ?? DEFAULT_MODEL_NAME,
    pollMs: intSetting('SOCFLOW_MODEL_POLL_MS', 5000, 0),
    log,
  });
  const alertBucketMs = intSetting('ONNX_SCORE_ALERT_BUCKET_MS', 60_000, 1000);
  const registry = new Registry();
  registry.setDefaultLabels({ stage: 'onnx-score' });
  const stage = createOnnxScoreStage({
    model,
    remediation,
    alertBucketMs,
    allowedLatenessMs: intSetting('ONNX_SCORE_ALLOWED_LATENESS_MS', alertBucketMs, 0),
    drift: { windowRows: intSetting('ONNX_SCORE_DRIFT_WINDOW_ROWS', 10_000, 1), windowMs: intSetting('ONNX_SCORE_DRIFT_WINDOW_MS', 60_000, 1) },
    registry,
  });
  const modelPort = intSetting('SOCFLOW_MODEL_METRICS_PORT', metricsPort !== undefined && metricsPort > 0 ? metricsPort + 100 : (metricsPort ?? -1), -1, 65535);
  const modelMetrics = await serveMetrics(registry, modelPort < 0 ? undefined : modelPort, log);
  const running = await runStage(stage, await avroDecoder<CorrelatedEvent>('rbp.correlated'), { instanceId, metricsPort });
  return {
    ...running,
    stop: async () => {
      await running.stop();
      modelMetrics?.close();
      await model.close();
    },
  };
}
