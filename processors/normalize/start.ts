import { intSetting } from '../../lib/config.js';
import { createPool } from '../../lib/db/pool.js';
import type { TelemetryEvent } from '../../lib/events.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { runStage, type RunningStage } from '../../lib/stream/kafkaRuntime.js';
import { loadTopicCatalog, topicSpec } from '../../lib/topics/catalog.js';
import type { RunOptions } from '../definition.js';
import { postgresAssetLookup } from './assets.js';
import { normalizeDecoder } from './decode.js';
import { createNormalizeStage, DEFAULT_NORMALIZE_CONFIG } from './transform.js';

export async function start({ instanceId, metricsPort }: RunOptions): Promise<RunningStage> {
  const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), topicSpec(loadTopicCatalog(), 'rbp.metrics'));
  const maxRecordBytes = intSetting('NORMALIZE_MAX_RECORD_BYTES', 1_048_576, 1024, 16 * 1_048_576);
  const pool = createPool(2);
  const assets = postgresAssetLookup(pool, { maxEntries: 10_000, ttlMs: 60_000 });
  const config = {
    ...DEFAULT_NORMALIZE_CONFIG,
    dedupWindowMs: intSetting('NORMALIZE_DEDUP_WINDOW_MS', DEFAULT_NORMALIZE_CONFIG.dedupWindowMs, 0),
    maxFutureMs: intSetting('NORMALIZE_MAX_FUTURE_MS', DEFAULT_NORMALIZE_CONFIG.maxFutureMs, 0),
    maxAgeMs: intSetting('NORMALIZE_MAX_AGE_MS', DEFAULT_NORMALIZE_CONFIG.maxAgeMs, 0),
  };
  const running = await runStage(createNormalizeStage(assets, config), normalizeDecoder(codec, maxRecordBytes), { instanceId, metricsPort });
  return { ...running, stop: async () => { await running.stop(); await pool.end(); } };
}
