import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Alert } from '../../lib/events.js';
import { chTime, createClickhouse } from './client.js';
import { runQuery } from './command.js';
import { alert, deadLetter, delivered, events, HOUR, purpleGap, quotaUpdate } from './fixtures.js';
import { migrateClickhouse } from './migrate.js';
import { ALERTS, createTableSink, DEAD_LETTERS, PURPLE, QUOTA, TELEMETRY } from './sink.js';
import { rowsOf, testDatabase } from './testutil.js';

const db = testDatabase('sink');
let client: ClickHouseClient;
const rows = <T = Record<string, unknown>>(sql: string) => rowsOf<T>(db.database, sql);
const json = async (name: string, params: Record<string, string> = {}) => JSON.parse(await runQuery({ name, params, format: 'json', database: db.database }));

beforeAll(async () => {
  await migrateClickhouse({ database: db.database });
  client = createClickhouse({ database: db.database });
});
afterAll(async () => {
  await client?.close();
  await db.drop();
});

// Two whole hours a few hours back, inside the TTL and the saved queries' default windows.
const h = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const hourText = (ms: number) => chTime(ms).slice(0, 19);

describe('clickhouse-alerts: redelivery and the alert views', () => {
  // 2 high/dos alerts in hour h, 3 medium/probe alerts in hour h+1; latencies and scores known.
  const input: Alert[] = [
    alert({ alert_id: 'a1', agent_id: 'agent-1', host: 'web-1', severity: 'high', category: 'dos', event_time: h + 10 * 60_000, first_evidence_time: h + 10 * 60_000 - 4_000, detected_at: h + 10 * 60_000 + 1_000, score: 0.95 }),
    alert({ alert_id: 'a2', agent_id: 'agent-2', host: 'web-2', severity: 'high', category: 'dos', event_time: h + 20 * 60_000, first_evidence_time: h + 20 * 60_000 - 6_000, detected_at: h + 20 * 60_000 + 3_000, score: 0.91 }),
    alert({ alert_id: 'a3', agent_id: 'agent-1', host: 'web-1', severity: 'medium', category: 'probe', event_time: h + HOUR + 60_000, first_evidence_time: h + HOUR + 60_000 - 30_000, detected_at: h + HOUR + 61_000, score: 0.55 }),
    alert({ alert_id: 'a4', agent_id: 'agent-1', host: 'web-1', severity: 'medium', category: 'probe', event_time: h + HOUR + 120_000, first_evidence_time: h + HOUR + 120_000 - 10_000, detected_at: h + HOUR + 122_000, score: 0.42 }),
    alert({ alert_id: 'a5', agent_id: 'agent-3', host: 'db-1', severity: 'medium', category: 'probe', event_time: h + HOUR + 180_000, first_evidence_time: h + HOUR + 180_000 - 20_000, detected_at: h + HOUR + 184_000, score: null, model_version: null, detector: 'rule:scan' }),
  ];

  beforeAll(async () => {
    const sink = createTableSink(client, ALERTS, { maxRows: 2 });
    const records = delivered('rbp.alerts', input, 100);
    // First delivery in two batches; after a "crash" before the commit everything is delivered again
    // in one batch, with one record repeated inside it.
    await sink.write(records.slice(0, 3));
    await sink.write(records.slice(3));
    await sink.write([...records, records[0]]);
  });

  it('stores each alert once (FINAL / uniqExact), whatever the raw part count', async () => {
    expect(await rows('SELECT count() AS n FROM alerts FINAL')).toEqual([{ n: '5' }]);
    expect(await rows('SELECT uniqExact(alert_id) AS n FROM alerts')).toEqual([{ n: '5' }]);
    expect(await rows('SELECT alert_id, detection_latency_ms, time_to_detect_ms FROM alerts FINAL ORDER BY alert_id')).toEqual([
      { alert_id: 'a1', detection_latency_ms: '4000', time_to_detect_ms: '5000' },
      { alert_id: 'a2', detection_latency_ms: '6000', time_to_detect_ms: '9000' },
      { alert_id: 'a3', detection_latency_ms: '30000', time_to_detect_ms: '31000' },
      { alert_id: 'a4', detection_latency_ms: '10000', time_to_detect_ms: '12000' },
      { alert_id: 'a5', detection_latency_ms: '20000', time_to_detect_ms: '24000' },
    ]);
  });

  it('alerts_per_hour counts 2 high/dos in hour h and 3 medium/probe in hour h+1', async () => {
    const expected = [
      { hour: hourText(h), severity: 'high', category: 'dos', alerts: 2 },
      { hour: hourText(h + HOUR), severity: 'medium', category: 'probe', alerts: 3 },
    ];
    expect(await rows('SELECT hour, severity, category, toUInt32(alerts) AS alerts FROM alerts_per_hour ORDER BY hour')).toEqual(expected);
    expect(await json('alerts_per_hour')).toEqual(expected);
    // Outside the window: nothing.
    expect(await json('alerts_per_hour', { hours: '1' })).toEqual([]);
  });

  it('top agents and hosts by alert volume', async () => {
    const agents = await json('top_agents');
    expect(agents.map((r: Record<string, unknown>) => [r.agent_id, r.alerts, r.high, r.hosts])).toEqual([
      ['agent-1', 3, 1, 'web-1'],
      ['agent-2', 1, 1, 'web-2'],
      ['agent-3', 1, 0, 'db-1'],
    ]);
    expect(await json('top_agents', { limit: '1' })).toHaveLength(1);
    const hosts = await json('top_hosts');
    expect(hosts.map((r: Record<string, unknown>) => [r.host, r.alerts, r.agents])).toEqual([
      ['web-1', 3, 1],
      ['db-1', 1, 1],
      ['web-2', 1, 1],
    ]);
  });

  it('detection latency per category equals the computed averages', async () => {
    const latency = await json('detection_latency');
    expect(latency).toEqual([
      expect.objectContaining({ category: 'probe', alerts: 3, avg_latency_ms: 20_000, p50_latency_ms: 20_000, max_latency_ms: 30_000, avg_time_to_detect_ms: 22_333.3 }),
      expect.objectContaining({ category: 'dos', alerts: 2, avg_latency_ms: 5_000, max_latency_ms: 6_000, avg_time_to_detect_ms: 7_000 }),
    ]);
    const view = await rows<{ category: string; alerts: string; avg_latency_ms: number }>('SELECT category, alerts, avg_latency_ms FROM detection_latency ORDER BY category');
    expect(view).toEqual([
      { category: 'dos', alerts: '2', avg_latency_ms: 5_000 },
      { category: 'probe', alerts: '3', avg_latency_ms: 20_000 },
    ]);
  });

  it('score distribution per day: scored alerts in their 0.1 buckets, the rule alert left out', async () => {
    const dist = await json('score_distribution');
    const day = chTime(h).slice(0, 10);
    const byBucket = (d: string) => dist.filter((r: { day: string }) => r.day === d).map((r: { score_from: number; alerts: number }) => [r.score_from, r.alerts]);
    const days = [...new Set(dist.map((r: { day: string }) => r.day))];
    // h and h+1 may fall on two days around midnight: add them up.
    const total = new Map<number, number>();
    for (const d of days as string[]) for (const [b, n] of byBucket(d)) total.set(b, (total.get(b) ?? 0) + n);
    expect(Object.fromEntries(total)).toEqual({ 0.4: 1, 0.5: 1, 0.9: 2 });
    expect(days).toContain(day);
  });

  it('collapses the duplicates on merge: raw count equals the FINAL count after OPTIMIZE', async () => {
    await client.command({ query: 'OPTIMIZE TABLE alerts FINAL' });
    expect(await rows('SELECT count() AS n FROM alerts')).toEqual([{ n: '5' }]);
  });
});

describe('clickhouse-dlq: dead letters by reason', () => {
  beforeAll(async () => {
    const sink = createTableSink(client, DEAD_LETTERS);
    const t = h + 30 * 60_000;
    const values = [
      deadLetter({ offset: 1, reason: 'invalid_json', failed_at: t }),
      deadLetter({ offset: 2, reason: 'invalid_json', failed_at: t + 1000 }),
      deadLetter({ offset: 3, reason: 'invalid_json', failed_at: t + 2000 }),
      deadLetter({ offset: 4, reason: 'too_large', value_size: 17_000_000, failed_at: t + 3000 }),
      deadLetter({ stage: 'correlate', topic: 'rbp.normalized', offset: 9, reason: 'processing_error', failed_at: t + 4000 }),
    ];
    await sink.write([...delivered('rbp.metrics.dlq', values.slice(0, 4)), ...delivered('rbp.normalized.dlq', values.slice(4))]);
    await sink.write(delivered('rbp.metrics.dlq', values.slice(0, 4))); // redelivery
    // The same record dead-lettered again a minute later (a stage retried it): the same dead letter.
    await sink.write(delivered('rbp.metrics.dlq', [deadLetter({ offset: 1, reason: 'invalid_json', failed_at: t + 60_000 })], 10));
  });

  it('dlq_by_reason counts each dead letter once', async () => {
    expect((await json('dlq_by_reason')).map((r: Record<string, unknown>) => [r.stage, r.reason, r.dead_letters])).toEqual([
      ['normalize', 'invalid_json', 3],
      ['correlate', 'processing_error', 1],
      ['normalize', 'too_large', 1],
    ]);
    expect(await rows("SELECT dlq_topic, stage, reason, toUInt32(dead_letters) AS n FROM dlq_by_reason WHERE reason != 'invalid_json' ORDER BY reason")).toEqual([
      { dlq_topic: 'rbp.normalized.dlq', stage: 'correlate', reason: 'processing_error', n: 1 },
      { dlq_topic: 'rbp.metrics.dlq', stage: 'normalize', reason: 'too_large', n: 1 },
    ]);
    expect(await rows("SELECT value_size FROM dead_letters FINAL WHERE reason = 'too_large'")).toEqual([{ value_size: 17_000_000 }]);
  });
});

describe('clickhouse-telemetry, clickhouse-quota, clickhouse-purple', () => {
  it('telemetry: one row per event id across redelivery, typed columns per payload kind', async () => {
    const sink = createTableSink(client, TELEMETRY);
    const t = h + 5 * 60_000;
    const input = [
      events.metric({ event_id: 'm1', event_time: t }),
      events.auth({ event_id: 'u1', event_time: t + 1 }),
      events.connection({ event_id: 'c1', event_time: t + 2 }),
      events.finding({ event_id: 'f1', event_time: t + 3 }),
      events.compliance({ event_id: 'p1', event_time: t + 4 }),
    ];
    await sink.write(delivered('rbp.normalized', input));
    await sink.write(delivered('rbp.normalized', input));
    expect(await rows('SELECT count() AS n, uniqExact(event_id) AS u FROM telemetry_events FINAL')).toEqual([{ n: '5', u: '5' }]);
    expect(
      await rows(
        `SELECT event_id, type, metrics['cpu'] AS cpu, auth_outcome, conn_service, conn_dst_bytes, finding_cve, compliance_score, event_time
         FROM telemetry_events FINAL ORDER BY event_time`,
      ),
    ).toEqual([
      { event_id: 'm1', type: 'METRIC', cpu: 0.93, auth_outcome: '', conn_service: '', conn_dst_bytes: 0, finding_cve: [], compliance_score: null, event_time: chTime(t) },
      { event_id: 'u1', type: 'AUTH', cpu: 0, auth_outcome: 'FAILURE', conn_service: '', conn_dst_bytes: 0, finding_cve: [], compliance_score: null, event_time: chTime(t + 1) },
      { event_id: 'c1', type: 'CONNECTION', cpu: 0, auth_outcome: '', conn_service: 'http', conn_dst_bytes: 5450, finding_cve: [], compliance_score: null, event_time: chTime(t + 2) },
      { event_id: 'f1', type: 'FINDING', cpu: 0, auth_outcome: '', conn_service: '', conn_dst_bytes: 0, finding_cve: ['CVE-2021-44228'], compliance_score: null, event_time: chTime(t + 3) },
      { event_id: 'p1', type: 'COMPLIANCE', cpu: 0, auth_outcome: '', conn_service: '', conn_dst_bytes: 0, finding_cve: [], compliance_score: 0.82, event_time: chTime(t + 4) },
    ]);
  });

  it('quota updates: one row per update id across redelivery (async inserts, waited for)', async () => {
    const sink = createTableSink(client, QUOTA, { asyncInsert: true });
    const input = [quotaUpdate({ update_id: 'q1', created_at: h }), quotaUpdate({ update_id: 'q2', action: 'suspend', proposal_id: 'p1', approved_by: 'alice', created_at: h + 1 })];
    await sink.write(delivered('rbp.quota_updates', input));
    await sink.write(delivered('rbp.quota_updates', input));
    expect(await rows('SELECT update_id, action, approved_by, self_suggest_enabled FROM quota_updates FINAL ORDER BY update_id')).toEqual([
      { update_id: 'q1', action: 'throttle', approved_by: null, self_suggest_enabled: false },
      { update_id: 'q2', action: 'suspend', approved_by: 'alice', self_suggest_enabled: false },
    ]);
  });

  it('purple gaps: the latest decision of a scenario wins; coverage per technique', async () => {
    const sink = createTableSink(client, PURPLE);
    const missed = purpleGap({ result_id: 'ex1/sc1', scenario_id: 'sc1', techniques: ['T1110'], detected: false, time_to_detect_ms: null, gap: 'missed', start_time: h, decided_at: h + 10 * 60_000 });
    const detectedLater = { ...missed, detected: true, time_to_detect_ms: 30_000, gap: 'late' as const, decided_at: h + 20 * 60_000 };
    const other = purpleGap({ result_id: 'ex1/sc2', scenario_id: 'sc2', techniques: ['T1110', 'T1078'], detected: true, time_to_detect_ms: 10_000, time_to_respond_ms: 60_000, gap: null, start_time: h, decided_at: h + 5 * 60_000 });
    await sink.write(delivered('purple-gaps', [missed, other]));
    await sink.write(delivered('purple-gaps', [detectedLater, other], 2));
    await sink.write(delivered('purple-gaps', [missed], 0)); // an old record redelivered does not win: ReplacingMergeTree(decided_at)
    expect(await rows('SELECT result_id, detected, gap FROM purple_gaps FINAL ORDER BY result_id')).toEqual([
      { result_id: 'ex1/sc1', detected: true, gap: 'late' },
      { result_id: 'ex1/sc2', detected: true, gap: null },
    ]);
    expect((await json('purple_coverage', { exercise: 'ex1' })).map((r: Record<string, unknown>) => [r.technique, r.scenarios, r.detected, r.coverage, r.late, r.avg_time_to_detect_ms])).toEqual([
      ['T1078', 1, 1, 1, 0, 10_000],
      ['T1110', 2, 2, 1, 1, 20_000],
    ]);
    expect(await json('purple_coverage', { exercise: 'nope' })).toEqual([]);
  });
});
