import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTION_TRAFFIC_ATTRIBUTES, type NetworkConnection } from '../lib/events.js';
import { fromRoot } from '../lib/paths.js';
import { NSLKDD_CATEGORY, nslKddRows } from './nslkdd.js';
import { ambiguousPairs, buildScenarioRun, planExercise, RED_TAG } from './red.js';
import { loadScenarios } from './scenario.js';

const LIBRARY = fromRoot('exercises/scenarios');

const VALID = `
id: t1
name: test
techniques: [T1046]
target: { agent_id: sensor-a, host: a }
telemetry:
  - kind: nslkdd
    attack: satan
pacing: { rate_per_s: 10, duration_ms: 1000 }
expect: { category: probe, deadline_ms: 60000 }
`;

function loadText(text: string, name = 'bad.yaml') {
  const dir = mkdtempSync(join(tmpdir(), 'scen-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return () => loadScenarios(file);
}

describe('scenario library', () => {
  const scenarios = loadScenarios(LIBRARY);

  it('ships at least 10 scenarios covering the four NSL-KDD categories, brute force + success, a runaway AI agent, a critical finding and 2 evasive ones', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(10);
    const nslCategories = new Set(scenarios.flatMap((s) => s.telemetry.filter((t) => t.kind === 'nslkdd').map((t) => NSLKDD_CATEGORY[(t as { attack: string }).attack])));
    // 'normal': the evasive connect scan blends in with the dataset's normal sessions.
    expect([...nslCategories].sort()).toEqual(['dos', 'normal', 'probe', 'r2l', 'u2r']);
    expect(scenarios.some((s) => s.telemetry.some((t) => t.kind === 'auth_burst' && t.then_success) && !s.evasive)).toBe(true);
    expect(scenarios.some((s) => s.telemetry.some((t) => t.kind === 'metric_spike') && s.expect.category === 'resource_abuse')).toBe(true);
    expect(scenarios.some((s) => s.telemetry.some((t) => t.kind === 'finding' && t.severity === 'critical'))).toBe(true);
    expect(scenarios.filter((s) => s.evasive).length).toBeGreaterThanOrEqual(2);
  });

  it('has no two scenarios whose results could be confused (same entity, overlapping window, same category)', () => {
    const { runs } = planExercise(scenarios, 'ex', Date.UTC(2026, 0, 1));
    expect(ambiguousPairs(runs)).toEqual([]);
  });

  it('every nslkdd row file label is known, and the rows are the 41 attributes', () => {
    const rows = nslKddRows();
    for (const label of rows.keys()) expect(NSLKDD_CATEGORY[label]).toBeDefined();
    expect(Object.keys(rows.get('neptune')![0])).toHaveLength(41);
  });
});

describe('scenario validation errors name the file and the path', () => {
  const cases: [string, string, RegExp][] = [
    ['missing id', VALID.replace('id: t1\n', ''), /bad\.yaml: id: must be a non-empty string/],
    ['bad technique', VALID.replace('[T1046]', '[T1046, X99]'), /bad\.yaml: techniques\[1\]: "X99" does not match/],
    ['no techniques', VALID.replace('[T1046]', '[]'), /techniques: must name at least one MITRE ATT&CK technique id/],
    ['unknown kind', VALID.replace('kind: nslkdd', 'kind: pcap'), /telemetry\[0\]\.kind: must be one of nslkdd, auth_burst, metric_spike, finding, got "pcap"/],
    ['unknown attack', VALID.replace('attack: satan', 'attack: mscan'), /telemetry\[0\]\.attack: "mscan" is not among the NSL-KDD rows/],
    ['unknown key', VALID.replace('evasive', 'x').replace('pacing:', 'colour: red\npacing:'), /\(root\): unknown key\(s\) colour/],
    ['deadline too long', VALID.replace('deadline_ms: 60000', 'deadline_ms: 7200000'), /expect\.deadline_ms: must be <= 3600000, got 7200000/],
    ['too many events', VALID.replace('rate_per_s: 10, duration_ms: 1000', 'rate_per_s: 100, duration_ms: 600000'), /pacing: would send 60000 events/],
    ['auth without ip', VALID.replace(/telemetry:[\s\S]*pacing/, 'telemetry:\n  - kind: auth_burst\n    user: a\n    failures: 3\npacing'), /telemetry\[0\]\.source_ip: must be a non-empty string/],
    ['metric agent not target', VALID.replace(/telemetry:[\s\S]*pacing/, 'telemetry:\n  - kind: metric_spike\n    agent: other\n    metric: cpu\n    baseline: 1\n    factor: 3\npacing'), /telemetry\[0\]\.agent: must be the target agent "sensor-a"/],
    ['finding severity', VALID.replace(/telemetry:[\s\S]*pacing/, 'telemetry:\n  - kind: finding\n    scanner: trivy\n    rule: CVE-1\n    severity: huge\npacing'), /telemetry\[0\]\.severity: must be one of critical, high, medium, low, info, got "huge"/],
    ['yaml syntax', 'id: [unclosed', /bad\.yaml: \(syntax\)/],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => expect(loadText(text)).toThrow(message));
  }

  it('duplicate ids across files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scen-'));
    writeFileSync(join(dir, 'a.yaml'), VALID);
    writeFileSync(join(dir, 'b.yaml'), VALID);
    expect(() => loadScenarios(dir)).toThrow(/b\.yaml: id: scenario id "t1" is also used by .*a\.yaml/);
  });

  it('expect.category any means any category', () => {
    expect(loadText(VALID.replace('category: probe', 'category: any'), 'ok.yaml')()[0].expect.category).toBeNull();
  });
});

describe('red telemetry', () => {
  const scenarios = loadScenarios(LIBRARY);
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const start = Date.UTC(2026, 0, 1, 12);

  it('is deterministic, tagged, rebased to the start, paced by rate and duration', () => {
    const s = byId.get('dos-neptune-syn-flood')!;
    const a = buildScenarioRun(s, 'ex-1', start);
    expect(buildScenarioRun(s, 'ex-1', start)).toEqual(a);
    expect(a.events).toHaveLength(150);
    expect(a.record).toMatchObject({ exercise_id: 'ex-1', scenario_id: s.id, agent_id: 'sensor-web-01', start_time: start, expected_category: 'dos', deadline_ms: 60_000, evasive: false });
    expect(a.events[0].event_time).toBe(start);
    expect(a.record.end_time).toBe(a.events[a.events.length - 1].event_time);
    expect(a.record.end_time - start).toBeLessThanOrEqual(3000);
    for (const e of a.events) expect(e.metadata[RED_TAG]).toBe(`ex-1/${s.id}`);
    expect(new Set(a.events.map((e) => e.event_id)).size).toBe(150);
    // Another exercise gets other event ids (normalize drops repeated ids as duplicates).
    expect(buildScenarioRun(s, 'ex-2', start).events[0].event_id).not.toBe(a.events[0].event_id);
  });

  it('the low-and-slow connect scan replays normal sessions with their own traffic context, ~20 s apart', () => {
    const run = buildScenarioRun(byId.get('evasive-low-and-slow-connect-scan')!, 'ex', start);
    expect(run.events).toHaveLength(18);
    const normal = nslKddRows().get('normal')!;
    run.events.forEach((e, i) => {
      const conn = e.payload as NetworkConnection;
      for (const a of CONNECTION_TRAFFIC_ATTRIBUTES) expect(conn[a]).toBe(normal[i][a]);
      expect(conn.src_ip).toBe('203.0.113.99');
    });
    expect(new Set(run.events.map((e) => (e.payload as NetworkConnection).dst_port)).size).toBeGreaterThan(3);
    const gaps = run.events.slice(1).map((e, i) => e.event_time - run.events[i].event_time);
    expect(Math.min(...gaps)).toBeGreaterThan(10_000);
  });

  it('slow brute force never has 5 failures in 60 s; the fast one has 12 in 11 s then a success', () => {
    const slow = buildScenarioRun(byId.get('evasive-slow-brute-force')!, 'ex', start).events;
    const fails = slow.filter((e) => e.type === 'AUTH' && e.payload.outcome === 'FAILURE').map((e) => e.event_time);
    for (const t of fails) expect(fails.filter((u) => u >= t && u <= t + 60_000).length).toBeLessThan(5);
    const fast = buildScenarioRun(byId.get('auth-brute-force-then-success')!, 'ex', start).events;
    expect(fast.map((e) => (e.type === 'AUTH' ? e.payload.outcome : ''))).toEqual([...Array(12).fill('FAILURE'), 'SUCCESS']);
  });

  it('the runaway agent has a warm-up before the red start, then the spike', () => {
    const run = buildScenarioRun(byId.get('ai-agent-runaway')!, 'ex', start);
    const warm = run.events.filter((e) => e.event_time < start);
    expect(warm).toHaveLength(40);
    const spiked = run.events.filter((e) => e.event_time >= start && e.type === 'METRIC' && 'tokens_used' in e.payload.metrics);
    expect(spiked).toHaveLength(15);
    for (const e of spiked) expect((e.payload as { metrics: Record<string, number> }).metrics.tokens_used).toBeGreaterThan(12_000);
  });

  it('an exercise ends at now with every event in the past, merged in event-time order', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const { runs, events } = planExercise(scenarios, 'ex', now);
    expect(runs).toHaveLength(scenarios.length);
    for (const r of runs) expect(r.record.end_time).toBe(now);
    expect(events.every((e, i) => i === 0 || e.event_time >= events[i - 1].event_time)).toBe(true);
    expect(Math.max(...events.map((e) => e.event_time))).toBe(now);
  });
});
