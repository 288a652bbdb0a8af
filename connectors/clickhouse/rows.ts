import type { Alert, TelemetryEvent } from '../../lib/events.js';
import type { DeadLetterValue } from '../../lib/stream/records.js';
import type { PurpleGap } from '../../processors/purple/model.js';
import type { QuotaUpdate } from '../../processors/quota-manager/model.js';
import { chTime } from './client.js';

export type { PurpleGap };

/**
 * Pure record → row functions, one per table (infra/clickhouse/migrations/0001_tables.sql). Rows are
 * sent as JSONEachRow: times as 'YYYY-MM-DD hh:mm:ss.sss' UTC text, everything else as JSON values.
 * Each row has an `id` accessor (ROW_ID) used to drop in-batch duplicates before the INSERT.
 */


const port = (p: unknown): number => (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535 ? p : 0);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null);

export interface TelemetryRow {
  event_id: string;
  agent_id: string;
  host: string;
  source: string;
  type: string;
  event_time: string;
  ingest_time: string | null;
  asset_criticality: string;
  asset_owner: string;
  metrics: Record<string, number>;
  auth_user: string;
  auth_source_ip: string;
  auth_method: string;
  auth_outcome: string;
  conn_src_ip: string;
  conn_src_port: number;
  conn_dst_ip: string;
  conn_dst_port: number;
  conn_protocol: string;
  conn_service: string;
  conn_flag: string;
  conn_duration: number;
  conn_src_bytes: number;
  conn_dst_bytes: number;
  finding_scanner: string;
  finding_rule_id: string;
  finding_title: string;
  finding_severity: string;
  finding_cve: string[];
  finding_package: string;
  compliance_benchmark: string;
  compliance_profile: string;
  compliance_score: number | null;
  metadata: Record<string, string>;
  payload: string;
}

/** rbp.normalized event → telemetry_events row: the envelope, a few typed columns of its payload kind, the payload as JSON. */
export function telemetryRow(e: TelemetryEvent): TelemetryRow {
  const row: TelemetryRow = {
    event_id: e.event_id,
    agent_id: e.agent_id,
    host: e.host,
    source: e.source,
    type: e.type,
    event_time: chTime(e.event_time),
    ingest_time: e.ingest_time === null || e.ingest_time === undefined ? null : chTime(e.ingest_time),
    asset_criticality: e.asset?.criticality ?? 'unknown',
    asset_owner: e.asset?.owner ?? '',
    metrics: {},
    auth_user: '',
    auth_source_ip: '',
    auth_method: '',
    auth_outcome: '',
    conn_src_ip: '',
    conn_src_port: 0,
    conn_dst_ip: '',
    conn_dst_port: 0,
    conn_protocol: '',
    conn_service: '',
    conn_flag: '',
    conn_duration: 0,
    conn_src_bytes: 0,
    conn_dst_bytes: 0,
    finding_scanner: '',
    finding_rule_id: '',
    finding_title: '',
    finding_severity: '',
    finding_cve: [],
    finding_package: '',
    compliance_benchmark: '',
    compliance_profile: '',
    compliance_score: null,
    metadata: { ...e.metadata },
    payload: JSON.stringify(e.payload),
  };
  switch (e.type) {
    case 'METRIC':
      // Map(String, Float64): non-finite values (not representable in JSON) are left out.
      row.metrics = Object.fromEntries(Object.entries(e.payload.metrics ?? {}).filter(([, v]) => num(v) !== null));
      break;
    case 'AUTH':
      row.auth_user = str(e.payload.user);
      row.auth_source_ip = str(e.payload.source_ip);
      row.auth_method = str(e.payload.method);
      row.auth_outcome = str(e.payload.outcome);
      break;
    case 'CONNECTION':
      row.conn_src_ip = str(e.payload.src_ip);
      row.conn_src_port = port(e.payload.src_port);
      row.conn_dst_ip = str(e.payload.dst_ip);
      row.conn_dst_port = port(e.payload.dst_port);
      row.conn_protocol = str(e.payload.protocol_type);
      row.conn_service = str(e.payload.service);
      row.conn_flag = str(e.payload.flag);
      row.conn_duration = num(e.payload.duration) ?? 0;
      row.conn_src_bytes = num(e.payload.src_bytes) ?? 0;
      row.conn_dst_bytes = num(e.payload.dst_bytes) ?? 0;
      break;
    case 'FINDING':
      row.finding_scanner = str(e.payload.scanner);
      row.finding_rule_id = str(e.payload.rule_id);
      row.finding_title = str(e.payload.title);
      row.finding_severity = str(e.payload.severity);
      row.finding_cve = [...(e.payload.cve ?? [])];
      row.finding_package = e.payload.package ?? '';
      break;
    case 'COMPLIANCE':
      row.compliance_benchmark = str(e.payload.benchmark);
      row.compliance_profile = str(e.payload.profile);
      row.compliance_score = num(e.payload.score);
      break;
  }
  return row;
}

/** A record type whose epoch-ms time fields K are ClickHouse DateTime64 text in its row. */
type WithChTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

export type AlertRow = WithChTimes<Alert, 'first_evidence_time' | 'event_time' | 'detected_at'> & { detection_latency_ms: number; time_to_detect_ms: number };

/** rbp.alerts → alerts row, with detection latency (event_time − first_evidence_time) and time to detect (detected_at − first_evidence_time). */
export function alertRow(a: Alert): AlertRow {
  return {
    alert_id: a.alert_id,
    agent_id: a.agent_id,
    host: a.host,
    severity: a.severity,
    category: a.category,
    title: a.title,
    description: a.description,
    remediation: a.remediation,
    detector: a.detector,
    score: num(a.score),
    model_version: a.model_version,
    techniques: [...a.techniques],
    evidence_event_ids: [...a.evidence_event_ids],
    first_evidence_time: chTime(a.first_evidence_time),
    event_time: chTime(a.event_time),
    detected_at: chTime(a.detected_at),
    asset_criticality: a.asset_criticality,
    metadata: { ...a.metadata },
    detection_latency_ms: Math.trunc(a.event_time - a.first_evidence_time),
    time_to_detect_ms: Math.trunc(a.detected_at - a.first_evidence_time),
  };
}

export type QuotaUpdateRow = WithChTimes<QuotaUpdate, 'created_at'>;

export function quotaUpdateRow(q: QuotaUpdate): QuotaUpdateRow {
  return {
    update_id: q.update_id,
    agent_id: q.agent_id,
    action: q.action,
    reason: q.reason,
    self_suggest_enabled: q.self_suggest_enabled,
    policy_id: q.policy_id,
    proposal_id: q.proposal_id ?? null,
    approved_by: q.approved_by ?? null,
    alert_ids: [...q.alert_ids],
    created_at: chTime(q.created_at),
  };
}

export interface DeadLetterRow {
  dlq_id: string;
  dlq_topic: string;
  stage: string;
  reason: string;
  error: string;
  topic: string;
  partition: number;
  offset: number;
  record_time: string;
  value_size: number;
  failed_at: string;
}

/**
 * A *.dlq record → dead_letters row: the reason and coordinates, not the bytes. Its id is the rejected
 * record's identity (stage/topic/partition/offset), the same however often it is delivered.
 */
export function deadLetterRow(d: DeadLetterValue, dlqTopic: string): DeadLetterRow {
  return {
    dlq_id: `${d.stage}/${d.topic}/${d.partition}/${d.offset}`,
    dlq_topic: dlqTopic,
    stage: d.stage,
    reason: d.reason,
    error: d.error,
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
    record_time: chTime(d.timestamp),
    value_size: Math.max(0, d.value_size),
    failed_at: chTime(d.failed_at),
  };
}

export type PurpleGapRow = WithChTimes<PurpleGap, 'start_time' | 'decided_at'>;

export function purpleGapRow(g: PurpleGap): PurpleGapRow {
  return {
    result_id: g.result_id,
    exercise_id: g.exercise_id,
    scenario_id: g.scenario_id,
    techniques: [...g.techniques],
    agent_id: g.agent_id,
    detected: g.detected,
    time_to_detect_ms: int(g.time_to_detect_ms),
    time_to_respond_ms: int(g.time_to_respond_ms),
    matching_alert_ids: [...g.matching_alert_ids],
    unmatched_alert_ids: [...g.unmatched_alert_ids],
    gap: g.gap ?? null,
    start_time: chTime(g.start_time),
    decided_at: chTime(g.decided_at),
  };
}

/** rbp.model_drift → model_drift row. */
export interface ModelDrift {
  report_id: string;
  model_version: string;
  window_start: number;
  window_end: number;
  rows: number;
  max_feature: string;
  max_psi: number;
  psi: Record<string, number>;
}

export function modelDriftRow(d: ModelDrift) {
  return {
    report_id: d.report_id,
    model_version: d.model_version,
    window_start: chTime(d.window_start),
    window_end: chTime(d.window_end),
    rows: d.rows,
    max_feature: d.max_feature,
    max_psi: Number.isFinite(d.max_psi) ? d.max_psi : 0,
    psi: Object.fromEntries(Object.entries(d.psi).filter(([, v]) => Number.isFinite(v))),
  };
}
