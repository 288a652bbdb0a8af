import type { ProcessorDefinition } from '../../processors/definition.js';
import { intSetting } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { avroDecoders } from '../../lib/stream/decoders.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import { createClickhouse } from './client.js';
import { migrateClickhouse } from './migrate.js';
import { ALERTS, DEAD_LETTERS, MODEL_DRIFT, PURPLE, QUOTA, type TableSink, TELEMETRY, createTableSink } from './sink.js';

/** `socflow run clickhouse-*`: migrate the ClickHouse database, then sink the topics in the sink's own consumer group. */
function sinkDefinition<In, Row>(spec: TableSink<In, Row>, metricsPort: number, description: string): ProcessorDefinition {
  const definition: ProcessorDefinition = {
    name: spec.name,
    description,
    inputs: spec.inputs,
    metricsPort,
    async start(opts) {
      const log = createLogger(`socflow-${spec.name}`, { stage: spec.name, instance: opts.instanceId });
      await migrateClickhouse({ log: (line) => log.info(line) });
      const client = createClickhouse();
      try {
        const running = await runSink(createTableSink(client, spec, { asyncInsert: intSetting('CLICKHOUSE_ASYNC_INSERT', 0, 0, 1) === 1 }), await avroDecoders<In>(spec.inputs), {
          instanceId: opts.instanceId,
          metricsPort: opts.metricsPort ?? metricsPort,
        });
        return { ...running, stop: async () => { await running.stop(); await client.close(); } };
      } catch (err) {
        await client.close().catch(() => undefined);
        throw err;
      }
    },
  };
  return definition;
}

export const clickhouseTelemetry = sinkDefinition(TELEMETRY, 9111, 'rbp.normalized → ClickHouse telemetry_events (ReplacingMergeTree by event_id)');
export const clickhouseAlerts = sinkDefinition(ALERTS, 9112, 'rbp.alerts → ClickHouse alerts and the alert views (ReplacingMergeTree by alert_id)');
export const clickhouseQuota = sinkDefinition(QUOTA, 9113, 'rbp.quota_updates → ClickHouse quota_updates (ReplacingMergeTree by update_id)');
export const clickhouseDlq = sinkDefinition(DEAD_LETTERS, 9114, 'every *.dlq topic → ClickHouse dead_letters (reason, error, coordinates; not the bytes)');
export const clickhousePurple = sinkDefinition(PURPLE, 9115, 'purple-gaps → ClickHouse purple_gaps (latest result per scenario)');
export const clickhouseDrift = sinkDefinition(MODEL_DRIFT, 9116, 'rbp.model_drift → ClickHouse model_drift (PSI per feature per scoring window)');

/** The ClickHouse sinks, for processors/index.ts. */
export const clickhouseProcessors: readonly ProcessorDefinition[] = [clickhouseTelemetry, clickhouseAlerts, clickhouseQuota, clickhouseDlq, clickhousePurple, clickhouseDrift];
