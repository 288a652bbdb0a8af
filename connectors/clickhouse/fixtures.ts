import type { Alert, NetworkConnection, TelemetryEvent } from '../../lib/events.js';
import type { DeadLetterValue } from '../../lib/stream/records.js';
import type { InputRecord } from '../../lib/stream/stage.js';
import type { QuotaUpdate } from '../../processors/quota-manager/model.js';
import { CONNECTION_TRAFFIC_ATTRIBUTES } from '../../lib/events.js';
import type { PurpleGap } from './rows.js';

/** Test values for the ClickHouse sinks: one of each record kind, overridable. */

export const HOUR = 3_600_000;

const envelope = (over: Partial<TelemetryEvent> = {}) => ({
  event_id: 'ev-1',
  agent_id: 'agent-1',
  host: 'web-1',
  source: 'agent',
  event_time: Date.UTC(2026, 10, 20, 10, 0, 0, 123),
  metadata: { exercise: 'x1' },
  asset: { criticality: 'high' as const, owner: 'team-web' },
  ingest_time: Date.UTC(2026, 10, 20, 10, 0, 1, 0),
  ...over,
});

export function connection(over: Partial<NetworkConnection> = {}): NetworkConnection {
  return {
    src_ip: '10.0.0.5', src_port: 51000, dst_ip: '10.0.0.9', dst_port: 80, duration: 0.5, protocol_type: 'tcp', service: 'http', flag: 'SF',
    src_bytes: 181, dst_bytes: 5450, land: 0, wrong_fragment: 0, urgent: 0, hot: 0, num_failed_logins: 0, logged_in: 1, num_compromised: 0,
    root_shell: 0, su_attempted: 0, num_root: 0, num_file_creations: 0, num_shells: 0, num_access_files: 0, num_outbound_cmds: 0,
    is_host_login: 0, is_guest_login: 0,
    ...(Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((a) => [a, null])) as Record<(typeof CONNECTION_TRAFFIC_ATTRIBUTES)[number], null>),
    ...over,
  };
}

export const events = {
  metric: (over: Partial<TelemetryEvent> = {}): TelemetryEvent => ({ ...envelope(over), type: 'METRIC', payload: { metrics: { cpu: 0.93, mem_mb: 2048 } } }) as TelemetryEvent,
  auth: (over: Partial<TelemetryEvent> = {}): TelemetryEvent =>
    ({ ...envelope(over), type: 'AUTH', payload: { user: 'root', source_ip: '203.0.113.7', method: 'password', outcome: 'FAILURE' } }) as TelemetryEvent,
  connection: (over: Partial<TelemetryEvent> = {}): TelemetryEvent => ({ ...envelope(over), type: 'CONNECTION', payload: connection() }) as TelemetryEvent,
  finding: (over: Partial<TelemetryEvent> = {}): TelemetryEvent =>
    ({
      ...envelope(over),
      type: 'FINDING',
      payload: {
        scanner: 'trivy', scanner_id: 't-1', rule_id: 'CVE-2021-44228', title: 'log4j RCE', description: null, severity: 'critical', cve: ['CVE-2021-44228'],
        cwe: ['CWE-502'], asset: 'web-1', location: null, line: null, package: 'log4j-core', installed_version: '2.14.1', fixed_version: '2.17.1', url: null,
      },
    }) as TelemetryEvent,
  compliance: (over: Partial<TelemetryEvent> = {}): TelemetryEvent =>
    ({ ...envelope(over), type: 'COMPLIANCE', payload: { benchmark: 'cis-ubuntu', profile: 'level1', score: 0.82, counts: { pass: 82, fail: 18 }, attestation_id: null } }) as TelemetryEvent,
};

export function alert(over: Partial<Alert> = {}): Alert {
  const event_time = over.event_time ?? Date.UTC(2026, 10, 20, 10, 30);
  return {
    alert_id: 'a-1', agent_id: 'agent-1', host: 'web-1', severity: 'high', category: 'dos', title: 'DoS', description: 'SYN flood', remediation: 'rate-limit',
    detector: 'model:nslkdd@1', score: 0.97, model_version: 'nslkdd@1', techniques: ['T1498'], evidence_event_ids: ['ev-1', 'ev-2'],
    first_evidence_time: event_time - 5000, event_time, detected_at: event_time + 1500, asset_criticality: 'high', metadata: { count: '511' },
    ...over,
  };
}

export function quotaUpdate(over: Partial<QuotaUpdate> = {}): QuotaUpdate {
  return {
    update_id: 'q-1', agent_id: 'agent-1', action: 'throttle', reason: '3 high alerts in 5 min', self_suggest_enabled: false, policy_id: 'p-throttle',
    proposal_id: null, approved_by: null, alert_ids: ['a-1'], created_at: Date.UTC(2026, 10, 20, 10, 31), ...over,
  };
}

export function deadLetter(over: Partial<DeadLetterValue> = {}): DeadLetterValue {
  return {
    stage: 'normalize', reason: 'invalid_json', error: 'Unexpected token } at 17', topic: 'rbp.metrics', partition: 1, offset: 42,
    timestamp: Date.UTC(2026, 10, 20, 9, 59), key: Buffer.from('agent-1'), value: Buffer.from('{"bad":}'), value_size: 8, failed_at: Date.UTC(2026, 10, 20, 10, 0), ...over,
  };
}

export function purpleGap(over: Partial<PurpleGap> = {}): PurpleGap {
  return {
    result_id: 'ex1/sc1', exercise_id: 'ex1', scenario_id: 'sc1', techniques: ['T1110', 'T1078'], agent_id: 'agent-1', detected: true, time_to_detect_ms: 42_000,
    time_to_respond_ms: null, matching_alert_ids: ['a-1'], unmatched_alert_ids: [], gap: 'no_response', start_time: Date.UTC(2026, 10, 20, 9), decided_at: Date.UTC(2026, 10, 20, 10),
    ...over,
  };
}

/** Values wrapped as delivered records of one partition, offsets from `firstOffset`. */
export function delivered<T>(topic: string, values: T[], firstOffset = 0, partition = 0): InputRecord<T>[] {
  return values.map((value, i) => ({ topic, partition, offset: BigInt(firstOffset + i), key: 'agent-1', timestamp: Date.now(), value, raw: Buffer.from('x') }));
}
