import { createPool } from '../../lib/db/pool.js';
import { migrateWhenReady } from '../../lib/db/migrate.js';
import { createLogger } from '../../lib/log.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { ProcessorDefinition } from '../definition.js';
import { createQuotaStore, INPUTS, validatingDecoder } from './sink.js';

export { createQuotaStore } from './sink.js';

/** `socflow run quota-store`: applies the PostgreSQL migrations once, then sinks the quota topics. */
export const definition: ProcessorDefinition = {
  name: 'quota-store',
  description: 'rbp.quota_updates, rbp.proposals, rbp.approvals → PostgreSQL (quota_updates, proposals), idempotent',
  inputs: ['rbp.quota_updates', 'rbp.proposals', 'rbp.approvals'],
  metricsPort: 9106,
  async start(opts) {
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
  },
};
