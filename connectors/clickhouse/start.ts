import { intSetting } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { RunOptions } from '../../processors/definition.js';
import { createClickhouse } from './client.js';
import { migrateClickhouse } from './migrate.js';
import { createTableSink, type TableSink } from './sink.js';

/** Migrate the ClickHouse database, then sink the spec's topics in the sink's own consumer group. */
export async function startTableSink<In, Row>(spec: TableSink<In, Row>, defaultMetricsPort: number, opts: RunOptions): Promise<RunningStage> {
  const log = createLogger(`socflow-${spec.name}`, { stage: spec.name, instance: opts.instanceId });
  await migrateClickhouse({ log: (line) => log.info(line) });
  const client = createClickhouse();
  try {
    const running = await runSink(createTableSink(client, spec, { asyncInsert: intSetting('CLICKHOUSE_ASYNC_INSERT', 0, 0, 1) === 1 }), await avroDecoders<In>(spec.inputs), {
      instanceId: opts.instanceId,
      metricsPort: opts.metricsPort ?? defaultMetricsPort,
    });
    return { ...running, stop: async () => { await running.stop(); await client.close(); } };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
