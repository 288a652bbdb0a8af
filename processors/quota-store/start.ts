import { migrateWhenReady } from '../../lib/db/migrate.js';
import { createPool } from '../../lib/db/pool.js';
import { createLogger } from '../../lib/log.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { RunOptions } from '../definition.js';
import { definition } from './index.js';
import { createQuotaStore, INPUTS, validatingDecoder } from './sink.js';

/** Applies the PostgreSQL migrations once, then sinks the quota topics. */
export async function start(opts: RunOptions): Promise<RunningStage> {
  const log = createLogger('socflow-quota-store', { stage: 'quota-store', instance: opts.instanceId });
  const pool = createPool();
  try {
    await migrateWhenReady(pool, (line) => log.info(line));
    const sink = createQuotaStore(pool, { onInvalid: (r, problem) => log.warn({ topic: r.topic, partition: r.partition, offset: String(r.offset), problem }, 'skipped an invalid quota record') });
    const decode = validatingDecoder(await avroDecoders<unknown>(INPUTS));
    return await runSink(sink, decode, { instanceId: opts.instanceId, metricsPort: opts.metricsPort ?? definition.metricsPort });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
