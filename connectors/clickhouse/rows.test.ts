import { describe, expect, it } from 'vitest';
import { chTime } from './client.js';
import { alert, deadLetter, events, purpleGap, quotaUpdate } from './fixtures.js';
import { alertRow, deadLetterRow, modelDriftRow, purpleGapRow, quotaUpdateRow, telemetryRow } from './rows.js';

describe('chTime', () => {
  it('formats UTC milliseconds as DateTime64(3) text and clamps what DateTime64 cannot hold', () => {
    expect(chTime(Date.UTC(2026, 10, 20, 10, 0, 0, 123))).toBe('2026-11-20 10:00:00.123');
    expect(chTime(0)).toBe('1970-01-01 00:00:00.000');
    expect(chTime(-1e15)).toBe('1900-01-01 00:00:00.000');
    expect(chTime(1e15)).toBe('2299-12-31 23:59:59.999');
    expect(chTime(Number.NaN)).toBe('1970-01-01 00:00:00.000');
  });
});

describe('telemetryRow', () => {
  it('METRIC: envelope, asset, metrics map, payload JSON; other typed columns empty', () => {
    const e = events.metric();
    const row = telemetryRow(e);
    expect(row).toMatchObject({
      event_id: 'ev-1', agent_id: 'agent-1', host: 'web-1', source: 'agent', type: 'METRIC', event_time: '2026-11-20 10:00:00.123',
      ingest_time: '2026-11-20 10:00:01.000', asset_criticality: 'high', asset_owner: 'team-web', metrics: { cpu: 0.93, mem_mb: 2048 },
      auth_user: '', conn_dst_port: 0, finding_cve: [], compliance_score: null, metadata: { exercise: 'x1' },
    });
    expect(JSON.parse(row.payload)).toEqual(e.payload);
  });

  it('METRIC: non-finite values are left out of the map', () => {
    const e = events.metric();
    (e.payload as { metrics: Record<string, number> }).metrics = { ok: 1, bad: Number.NaN, worse: Infinity };
    expect(telemetryRow(e).metrics).toEqual({ ok: 1 });
  });

  it('AUTH, CONNECTION, FINDING, COMPLIANCE fill their own columns', () => {
    expect(telemetryRow(events.auth())).toMatchObject({ type: 'AUTH', auth_user: 'root', auth_source_ip: '203.0.113.7', auth_method: 'password', auth_outcome: 'FAILURE', metrics: {} });
    expect(telemetryRow(events.connection())).toMatchObject({
      type: 'CONNECTION', conn_src_ip: '10.0.0.5', conn_src_port: 51000, conn_dst_ip: '10.0.0.9', conn_dst_port: 80, conn_protocol: 'tcp',
      conn_service: 'http', conn_flag: 'SF', conn_duration: 0.5, conn_src_bytes: 181, conn_dst_bytes: 5450,
    });
    expect(telemetryRow(events.finding())).toMatchObject({
      type: 'FINDING', finding_scanner: 'trivy', finding_rule_id: 'CVE-2021-44228', finding_title: 'log4j RCE', finding_severity: 'critical',
      finding_cve: ['CVE-2021-44228'], finding_package: 'log4j-core',
    });
    expect(telemetryRow(events.compliance())).toMatchObject({ type: 'COMPLIANCE', compliance_benchmark: 'cis-ubuntu', compliance_profile: 'level1', compliance_score: 0.82 });
  });

  it('no asset context (rbp.metrics shape) → unknown criticality, null ingest time', () => {
    expect(telemetryRow(events.auth({ asset: null, ingest_time: null }))).toMatchObject({ asset_criticality: 'unknown', asset_owner: '', ingest_time: null });
  });
});

describe('alertRow', () => {
  it('copies every alert field and derives detection latency and time to detect', () => {
    const a = alert({ first_evidence_time: Date.UTC(2026, 10, 20, 10, 29, 0), event_time: Date.UTC(2026, 10, 20, 10, 30, 0), detected_at: Date.UTC(2026, 10, 20, 10, 30, 2, 500) });
    expect(alertRow(a)).toEqual({
      alert_id: 'a-1', agent_id: 'agent-1', host: 'web-1', severity: 'high', category: 'dos', title: 'DoS', description: 'SYN flood', remediation: 'rate-limit',
      detector: 'model:nslkdd@1', score: 0.97, model_version: 'nslkdd@1', techniques: ['T1498'], evidence_event_ids: ['ev-1', 'ev-2'],
      first_evidence_time: '2026-11-20 10:29:00.000', event_time: '2026-11-20 10:30:00.000', detected_at: '2026-11-20 10:30:02.500',
      asset_criticality: 'high', metadata: { count: '511' }, detection_latency_ms: 60_000, time_to_detect_ms: 62_500,
    });
  });

  it('a rule alert has no score or model', () => {
    expect(alertRow(alert({ score: null, model_version: null, detector: 'rule:brute' }))).toMatchObject({ score: null, model_version: null, detector: 'rule:brute' });
  });
});

describe('quotaUpdateRow', () => {
  it('copies the update', () => {
    expect(quotaUpdateRow(quotaUpdate({ proposal_id: 'p-9', approved_by: 'alice' }))).toEqual({
      update_id: 'q-1', agent_id: 'agent-1', action: 'throttle', reason: '3 high alerts in 5 min', self_suggest_enabled: false, policy_id: 'p-throttle',
      proposal_id: 'p-9', approved_by: 'alice', alert_ids: ['a-1'], created_at: '2026-11-20 10:31:00.000',
    });
  });
});

describe('deadLetterRow', () => {
  it('keeps the reason and coordinates, never the bytes; the id is the rejected record', () => {
    const row = deadLetterRow(deadLetter(), 'rbp.metrics.dlq');
    expect(row).toEqual({
      dlq_id: 'normalize/rbp.metrics/1/42', dlq_topic: 'rbp.metrics.dlq', stage: 'normalize', reason: 'invalid_json', error: 'Unexpected token } at 17',
      topic: 'rbp.metrics', partition: 1, offset: 42, record_time: '2026-11-20 09:59:00.000', value_size: 8, failed_at: '2026-11-20 10:00:00.000',
    });
    expect(JSON.stringify(row)).not.toContain('bad');
    // Rejected again later (another failed_at): the same dead letter.
    expect(deadLetterRow(deadLetter({ failed_at: Date.UTC(2026, 10, 21) }), 'rbp.metrics.dlq').dlq_id).toBe(row.dlq_id);
  });
});

describe('purpleGapRow', () => {
  it('copies the result', () => {
    expect(purpleGapRow(purpleGap())).toEqual({
      result_id: 'ex1/sc1', exercise_id: 'ex1', scenario_id: 'sc1', techniques: ['T1110', 'T1078'], agent_id: 'agent-1', detected: true, time_to_detect_ms: 42_000,
      time_to_respond_ms: null, matching_alert_ids: ['a-1'], unmatched_alert_ids: [], gap: 'no_response', start_time: '2026-11-20 09:00:00.000', decided_at: '2026-11-20 10:00:00.000',
    });
  });
});

describe('modelDriftRow', () => {
  it('keeps the window, the worst feature and the finite PSI values', () => {
    const row = modelDriftRow({
      report_id: 'r1', model_version: 'nslkdd-binary@1.0.0', window_start: 1_700_000_000_000, window_end: 1_700_000_060_000, rows: 10_000,
      max_feature: 'service', max_psi: 0.31, psi: { service: 0.31, src_bytes: 0.02, broken: Number.NaN },
    });
    expect(row).toEqual({
      report_id: 'r1', model_version: 'nslkdd-binary@1.0.0', window_start: chTime(1_700_000_000_000), window_end: chTime(1_700_000_060_000),
      rows: 10_000, max_feature: 'service', max_psi: 0.31, psi: { service: 0.31, src_bytes: 0.02 },
    });
  });
});
