import { migrateWhenReady } from '../../lib/db/migrate.js';
import { createPool } from '../../lib/db/pool.js';
import type { Alert } from '../../lib/events.js';
import { createLogger } from '../../lib/log.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { RunOptions } from '../definition.js';
import { createAlertStore } from './store.js';

export async function start({ instanceId, metricsPort }: RunOptions): Promise<RunningStage> {
  const log = createLogger('socflow-alert-store', { stage: 'alert-store', instance: instanceId });
  const pool = createPool(4);
  await migrateWhenReady(pool, (line) => log.info(line));
  const running = await runSink(createAlertStore(pool), await avroDecoder<Alert>('rbp.alerts'), { instanceId, metricsPort });
  return { ...running, stop: async () => { await running.stop(); await pool.end(); } };
}
