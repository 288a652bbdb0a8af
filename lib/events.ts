/** The event model in code: the Avro records of schemas/avro/ as TypeScript types. */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export interface MetricSample {
  metrics: Record<string, number>;
}

export interface AuthEvent {
  user: string;
  source_ip: string;
  method: string;
  outcome: 'SUCCESS' | 'FAILURE';
}

export const CONNECTION_STRING_ATTRIBUTES = ['protocol_type', 'service', 'flag'] as const;
export const CONNECTION_BASIC_ATTRIBUTES = [
  'duration', 'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'land', 'wrong_fragment', 'urgent', 'hot',
  'num_failed_logins', 'logged_in', 'num_compromised', 'root_shell', 'su_attempted', 'num_root', 'num_file_creations',
  'num_shells', 'num_access_files', 'num_outbound_cmds', 'is_host_login', 'is_guest_login',
] as const;
export const CONNECTION_TRAFFIC_ATTRIBUTES = [
  'count', 'srv_count', 'serror_rate', 'srv_serror_rate', 'rerror_rate', 'srv_rerror_rate', 'same_srv_rate',
  'diff_srv_rate', 'srv_diff_host_rate', 'dst_host_count', 'dst_host_srv_count', 'dst_host_same_srv_rate',
  'dst_host_diff_srv_rate', 'dst_host_same_src_port_rate', 'dst_host_srv_diff_host_rate', 'dst_host_serror_rate',
  'dst_host_srv_serror_rate', 'dst_host_rerror_rate', 'dst_host_srv_rerror_rate',
] as const;
/** The 41 NSL-KDD attributes in dataset order: the model's inputs, named exactly so. */
export const CONNECTION_ATTRIBUTES = [...CONNECTION_BASIC_ATTRIBUTES, ...CONNECTION_TRAFFIC_ATTRIBUTES] as const;

export type TrafficAttribute = (typeof CONNECTION_TRAFFIC_ATTRIBUTES)[number];
type BasicNumeric = Exclude<(typeof CONNECTION_BASIC_ATTRIBUTES)[number], (typeof CONNECTION_STRING_ATTRIBUTES)[number]>;

export type NetworkConnection = {
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  protocol_type: string;
  service: string;
  flag: string;
} & Record<BasicNumeric, number> &
  Record<TrafficAttribute, number | null>;

export interface Finding {
  scanner: string;
  scanner_id: string;
  rule_id: string;
  title: string;
  description: string | null;
  severity: Severity;
  cve: string[];
  cwe: string[];
  asset: string;
  location: string | null;
  line: number | null;
  package: string | null;
  installed_version: string | null;
  fixed_version: string | null;
  url: string | null;
}

export interface ComplianceScore {
  benchmark: string;
  profile: string;
  score: number;
  counts: Record<string, number>;
  attestation_id: string | null;
}

export interface AssetContext {
  criticality: 'critical' | 'high' | 'medium' | 'low' | 'unknown';
  owner: string | null;
}

interface EventEnvelope {
  event_id: string;
  agent_id: string;
  host: string;
  source: string;
  event_time: number;
  metadata: Record<string, string>;
  asset: AssetContext | null;
  ingest_time: number | null;
}

export type TelemetryEvent = EventEnvelope &
  (
    | { type: 'METRIC'; payload: MetricSample }
    | { type: 'AUTH'; payload: AuthEvent }
    | { type: 'CONNECTION'; payload: NetworkConnection }
    | { type: 'FINDING'; payload: Finding }
    | { type: 'COMPLIANCE'; payload: ComplianceScore }
  );

export type EventType = TelemetryEvent['type'];

/** Which Avro field carries the payload of each event type (schemas/avro/telemetry-event.avsc). */
export const PAYLOAD_FIELD = {
  METRIC: 'metric',
  AUTH: 'auth',
  CONNECTION: 'connection',
  FINDING: 'finding',
  COMPLIANCE: 'compliance',
} as const satisfies Record<EventType, string>;

export interface Alert {
  alert_id: string;
  agent_id: string;
  host: string;
  severity: Severity;
  category: string;
  title: string;
  description: string;
  remediation: string;
  detector: string;
  score: number | null;
  model_version: string | null;
  techniques: string[];
  evidence_event_ids: string[];
  first_evidence_time: number;
  event_time: number;
  detected_at: number;
  asset_criticality: string;
  metadata: Record<string, string>;
}
