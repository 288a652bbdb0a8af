import type { ProcessorDefinition } from '../../processors/definition.js';
import { ALERTS, DEAD_LETTERS, MODEL_DRIFT, PURPLE, QUOTA, type TableSink, TELEMETRY } from './sink.js';

/** `socflow run clickhouse-*`; the ClickHouse client is loaded only when one starts. */
function sinkDefinition<In, Row>(spec: TableSink<In, Row>, metricsPort: number, description: string): ProcessorDefinition {
  return {
    name: spec.name,
    description,
    inputs: spec.inputs,
    metricsPort,
    start: async (opts) => (await import('./start.js')).startTableSink(spec, metricsPort, opts),
  };
}

export const clickhouseTelemetry = sinkDefinition(TELEMETRY, 9111, 'rbp.normalized → ClickHouse telemetry_events (ReplacingMergeTree by event_id)');
export const clickhouseAlerts = sinkDefinition(ALERTS, 9112, 'rbp.alerts → ClickHouse alerts and the alert views (ReplacingMergeTree by alert_id)');
export const clickhouseQuota = sinkDefinition(QUOTA, 9113, 'rbp.quota_updates → ClickHouse quota_updates (ReplacingMergeTree by update_id)');
export const clickhouseDlq = sinkDefinition(DEAD_LETTERS, 9114, 'every *.dlq topic → ClickHouse dead_letters (reason, error, coordinates; not the bytes)');
export const clickhousePurple = sinkDefinition(PURPLE, 9115, 'purple-gaps → ClickHouse purple_gaps (latest result per scenario)');
export const clickhouseDrift = sinkDefinition(MODEL_DRIFT, 9116, 'rbp.model_drift → ClickHouse model_drift (PSI per feature per scoring window)');

/** The ClickHouse sinks, for processors/index.ts. */
export const clickhouseProcessors: readonly ProcessorDefinition[] = [clickhouseTelemetry, clickhouseAlerts, clickhouseQuota, clickhouseDlq, clickhousePurple, clickhouseDrift];
