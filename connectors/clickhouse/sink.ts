import type { ClickHouseClient } from '@clickhouse/client';
import type { Alert, TelemetryEvent } from '../../lib/events.js';
import type { DeadLetterValue } from '../../lib/stream/records.js';
import type { Sink } from '../../lib/stream/sink.js';
import type { InputRecord } from '../../lib/stream/stage.js';
import { loadTopicCatalog } from '../../lib/topics/catalog.js';
import type { QuotaUpdate } from '../../processors/quota-manager/model.js';
import { alertRow, deadLetterRow, type ModelDrift, modelDriftRow, type PurpleGap, purpleGapRow, quotaUpdateRow, telemetryRow } from './rows.js';

/** What one ClickHouse sink writes: which topics, into which table, with which row builder. */
export interface TableSink<In, Row> {
  name: string;
  table: string;
  inputs: string[];
  deadLetterTopic: string;
  toRow(record: InputRecord<In>, logicalTopic: string): Row;
  /** Row id: in-batch duplicates keep the last row of an id (the table collapses them anyway). */
  id(row: Row): string;
}

export interface InsertLimits {
  /** Rows per INSERT (a delivered batch larger than this is split). */
  maxRows?: number;
  /** Approximate JSON bytes per INSERT. */
  maxBytes?: number;
  /**
   * Let the server coalesce small INSERTs by size and time (async_insert=1) while each write still waits
   * for its flush (wait_for_async_insert=1), so commit-after-write holds. CLICKHOUSE_ASYNC_INSERT=1.
   */
  asyncInsert?: boolean;
}

const DEFAULT_MAX_ROWS = 50_000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * A sink that writes each delivered batch (one partition's records) as one INSERT … FORMAT JSONEachRow
 * (split only past maxRows/maxBytes). The tables are ReplacingMergeTree by id and the aggregates count
 * uniqExact(id), so re-writing a batch after a crash between write and commit changes no result.
 */
export function createTableSink<In, Row>(client: ClickHouseClient, spec: TableSink<In, Row>, limits: InsertLimits = {}): Sink<In> {
  const maxRows = limits.maxRows ?? DEFAULT_MAX_ROWS;
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const logical = logicalNames(spec.inputs);
  const settings = limits.asyncInsert ? { async_insert: 1 as const, wait_for_async_insert: 1 as const } : {};
  return {
    name: spec.name,
    inputs: spec.inputs,
    deadLetterTopic: spec.deadLetterTopic,
    async write(records) {
      const byId = new Map<string, Row>();
      for (const r of records) {
        const row = spec.toRow(r, logical.get(r.topic) ?? r.topic);
        const id = spec.id(row);
        byId.delete(id);
        byId.set(id, row);
      }
      for (const chunk of chunks([...byId.values()], maxRows, maxBytes)) {
        await client.insert({ table: spec.table, values: chunk, format: 'JSONEachRow', clickhouse_settings: settings });
      }
    },
  };
}

function* chunks<Row>(rows: Row[], maxRows: number, maxBytes: number): Generator<Row[]> {
  let current: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = JSON.stringify(row).length + 1;
    if (current.length && (current.length >= maxRows || bytes + size > maxBytes)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length) yield current;
}

/** Cluster topic name → catalog name (SOCFLOW_TOPIC_PREFIX stripped), for the sink's inputs. */
function logicalNames(inputs: string[]): Map<string, string> {
  const names = new Map<string, string>();
  try {
    const catalog = loadTopicCatalog();
    for (const t of inputs) {
      const spec = catalog.get(t);
      if (spec) names.set(spec.name, spec.logicalName);
    }
  } catch {
    // No catalog (unit tests): topics are used as they come.
  }
  return names;
}

/** Every dead-letter topic of the catalog (topics/catalog.yaml), which clickhouse-dlq reads. */
export const DLQ_TOPICS = ['rbp.metrics.dlq', 'rbp.normalized.dlq', 'rbp.correlated.dlq', 'rbp.alerts.dlq'];

export const TELEMETRY: TableSink<TelemetryEvent, ReturnType<typeof telemetryRow>> = {
  name: 'clickhouse-telemetry',
  table: 'telemetry_events',
  inputs: ['rbp.normalized'],
  deadLetterTopic: 'rbp.normalized.dlq',
  toRow: (r) => telemetryRow(r.value),
  id: (row) => row.event_id,
};

export const ALERTS: TableSink<Alert, ReturnType<typeof alertRow>> = {
  name: 'clickhouse-alerts',
  table: 'alerts',
  inputs: ['rbp.alerts'],
  deadLetterTopic: 'rbp.alerts.dlq',
  toRow: (r) => alertRow(r.value),
  id: (row) => row.alert_id,
};

export const QUOTA: TableSink<QuotaUpdate, ReturnType<typeof quotaUpdateRow>> = {
  name: 'clickhouse-quota',
  table: 'quota_updates',
  inputs: ['rbp.quota_updates'],
  deadLetterTopic: 'rbp.alerts.dlq',
  toRow: (r) => quotaUpdateRow(r.value),
  id: (row) => row.update_id,
};

export const DEAD_LETTERS: TableSink<DeadLetterValue, ReturnType<typeof deadLetterRow>> = {
  name: 'clickhouse-dlq',
  table: 'dead_letters',
  inputs: DLQ_TOPICS,
  // A *.dlq record this sink cannot decode is itself dead-lettered (to a topic it reads, so it shows up
  // in dead_letters as stage clickhouse-dlq): the new record is valid, so this cannot loop.
  deadLetterTopic: 'rbp.metrics.dlq',
  toRow: (r, topic) => deadLetterRow(r.value, topic),
  id: (row) => row.dlq_id,
};

export const PURPLE: TableSink<PurpleGap, ReturnType<typeof purpleGapRow>> = {
  name: 'clickhouse-purple',
  table: 'purple_gaps',
  inputs: ['purple-gaps'],
  deadLetterTopic: 'rbp.alerts.dlq',
  toRow: (r) => purpleGapRow(r.value),
  id: (row) => row.result_id,
};

export const MODEL_DRIFT: TableSink<ModelDrift, ReturnType<typeof modelDriftRow>> = {
  name: 'clickhouse-drift',
  table: 'model_drift',
  inputs: ['rbp.model_drift'],
  deadLetterTopic: 'rbp.correlated.dlq',
  toRow: (r) => modelDriftRow(r.value),
  id: (row) => row.report_id,
};
