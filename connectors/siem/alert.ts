/**
 * TypeScript view of the Avro record `socflow.alerts.Alert` (schemas/avro/alert.avsc).
 * Field names match the schema exactly. Timestamps are `timestamp-millis` longs, i.e.
 * UTC epoch milliseconds as plain numbers (decode Avro without logical-type hooks,
 * or convert Date -> number before handing alerts to the SIEM connectors).
 *
 * Temporary home: will move to a shared lib.
 */
export interface Alert {
  /** Deterministic id: sha256 over detector, entity and evidence event ids (hex, 32 chars). */
  alert_id: string;
  /** Entity the alert is about. */
  agent_id: string;
  /** Host of the entity. */
  host: string;
  /** critical, high, medium, low or info (typed as string, as in the schema). */
  severity: string;
  /** e.g. dos, probe, r2l, u2r, network_intrusion, brute_force, ... */
  category: string;
  title: string;
  description: string;
  remediation: string;
  /** rule:<rule id> or model:<name>@<version>. */
  detector: string;
  /** Model attack probability in [0, 1], or null. */
  score: number | null;
  /** name@version of the scoring model, or null. */
  model_version: string | null;
  /** MITRE ATT&CK technique ids. */
  techniques: string[];
  evidence_event_ids: string[];
  /** UTC epoch ms of the earliest evidence event. */
  first_evidence_time: number;
  /** UTC epoch ms of the latest evidence event: the alert's time. */
  event_time: number;
  /** UTC epoch ms when onnx-score emitted the alert. */
  detected_at: number;
  asset_criticality: string;
  metadata: Record<string, string>;
}

/** Severity values the pipeline emits. */
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
