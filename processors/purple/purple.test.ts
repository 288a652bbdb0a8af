import { describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/events.js';
import { CoPartitionedDriver } from '../../lib/stream/coPartitionedDriver.js';
import { ALERTS, BLUE_RESPONSES, clockTick, PURPLE_GAPS, type PurpleGap, RED_SCENARIOS, type RedScenario, resultId } from './model.js';
import { createPurpleStage, type PurpleInput, type PurpleState } from './stage.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const GRACE = 30_000;

function scenario(id: string, over: Partial<RedScenario> = {}): RedScenario {
  return {
    exercise_id: 'ex-1',
    scenario_id: id,
    name: id,
    techniques: ['T1498'],
    agent_id: 'sensor-web-01',
    host: 'web-01',
    start_time: T0,
    end_time: T0 + 5000,
    expected_category: 'dos',
    deadline_ms: 60_000,
    evasive: false,
    ...over,
  };
}

function alert(id: string, eventTime: number, over: Partial<Alert> = {}): Alert {
  return {
    alert_id: id,
    agent_id: 'sensor-web-01',
    host: 'web-01',
    severity: 'high',
    category: 'dos',
    title: 't',
    description: 'd',
    remediation: 'r',
    detector: 'model:m@1',
    score: 0.9,
    model_version: 'm@1',
    techniques: [],
    evidence_event_ids: ['e1'],
    first_evidence_time: eventTime,
    event_time: eventTime,
    detected_at: eventTime + 500,
    asset_criticality: 'high',
    metadata: {},
    ...over,
  };
}

const respond = (alertId: string, at: number, agentId = 'sensor-web-01') => ({
  response_id: `r-${alertId}-${at}`,
  alert_id: alertId,
  agent_id: agentId,
  action: 'acknowledged',
  actor: 'analyst',
  responded_at: at,
});

function driver(opts: ConstructorParameters<typeof CoPartitionedDriver<PurpleInput, PurpleState>>[1] = {}) {
  return new CoPartitionedDriver(createPurpleStage({ graceMs: GRACE }), { now: () => T0 + 600_000, ...opts });
}

type D = ReturnType<typeof driver>;
const sendScenario = (d: D, s: RedScenario) => d.send(RED_SCENARIOS, s.agent_id, s, s.start_time + 1);
const sendAlert = (d: D, a: Alert) => d.send(ALERTS, a.agent_id, a, a.event_time + 1000);
const sendTick = (d: D, agent: string, t: number) => d.send(RED_SCENARIOS, agent, clockTick('ex-1', agent, t), t);
const gaps = (d: D): PurpleGap[] => d.outputsTo(PURPLE_GAPS).map((o) => o.value as PurpleGap);
const only = (d: D, id: string): PurpleGap => {
  const found = gaps(d).filter((g) => g.scenario_id === id);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('purple join', () => {
  it('detected within the deadline, with time to detect and time to respond', async () => {
    const d = driver();
    sendScenario(d, scenario('s1'));
    sendAlert(d, alert('a1', T0 + 4000));
    sendAlert(d, alert('a2', T0 + 9000));
    d.send(BLUE_RESPONSES, 'sensor-web-01', respond('a2', T0 + 40_000), T0 + 40_000);
    await d.run();
    expect(gaps(d)).toHaveLength(0); // watermark T0 + 40 s < start + deadline + grace
    sendTick(d, 'sensor-web-01', T0 + 90_000);
    await d.run();
    const g = only(d, 's1');
    expect(g).toMatchObject({ result_id: resultId('ex-1', 's1'), detected: true, time_to_detect_ms: 4000, time_to_respond_ms: 31_000, gap: null, decided_at: T0 + 90_000 });
    expect(g.matching_alert_ids).toEqual(['a1', 'a2']);
    expect(g.unmatched_alert_ids).toEqual([]);
  });

  it('ignores alerts before the scenario start and of another category; reports them as unmatched only inside the window', async () => {
    const d = driver();
    sendAlert(d, alert('before', T0 - 1000));
    sendScenario(d, scenario('s1'));
    sendAlert(d, alert('probe', T0 + 2000, { category: 'probe' }));
    sendAlert(d, alert('other-entity', T0 + 2000, { agent_id: 'sensor-web-02' }));
    sendTick(d, 'sensor-web-01', T0 + 90_000);
    await d.run();
    const g = only(d, 's1');
    expect(g).toMatchObject({ detected: false, gap: 'missed', time_to_detect_ms: null, time_to_respond_ms: null, matching_alert_ids: [] });
    expect(g.unmatched_alert_ids).toEqual(['probe']);
  });

  it('an alert after the deadline but within grace is late; after grace it does not count', async () => {
    const d = driver();
    sendScenario(d, scenario('late', { deadline_ms: 10_000 }));
    sendAlert(d, alert('a-late', T0 + 15_000));
    sendScenario(d, scenario('too-late', { agent_id: 'sensor-db-01', deadline_ms: 10_000 }));
    sendAlert(d, alert('a-after', T0 + 41_000, { agent_id: 'sensor-db-01' }));
    sendTick(d, 'sensor-web-01', T0 + 60_000);
    sendTick(d, 'sensor-db-01', T0 + 60_000);
    await d.run();
    expect(only(d, 'late')).toMatchObject({ detected: false, gap: 'late', time_to_detect_ms: 15_000, matching_alert_ids: ['a-late'] });
    expect(only(d, 'too-late')).toMatchObject({ detected: false, gap: 'missed', matching_alert_ids: [] });
  });

  it('a scenario with any category matches the first alert; a detected one without response is no_response', async () => {
    const d = driver();
    sendScenario(d, scenario('any', { expected_category: null }));
    sendAlert(d, alert('x', T0 + 100, { category: 'vulnerability' }));
    sendTick(d, 'sensor-web-01', T0 + 90_000);
    await d.run();
    expect(only(d, 'any')).toMatchObject({ detected: true, gap: 'no_response', time_to_detect_ms: 100, time_to_respond_ms: null });
  });

  it('is decided exactly at start + deadline + grace, never waiting for more input than that', async () => {
    const d = driver({ partitions: 1 });
    sendScenario(d, scenario('s1'));
    sendTick(d, 'sensor-web-01', T0 + 60_000 + GRACE - 1);
    await d.run();
    expect(gaps(d)).toHaveLength(0);
    // Any input on the partition advances event time: here an alert on another entity of the same partition.
    sendAlert(d, alert('unrelated', T0 + 60_000 + GRACE, { agent_id: 'sensor-other' }));
    await d.run();
    expect(only(d, 's1')).toMatchObject({ gap: 'missed', decided_at: T0 + 60_000 + GRACE });
  });

  it('a scenario arriving after its decision time is decided on arrival', async () => {
    const d = driver();
    sendAlert(d, alert('a1', T0 + 1000));
    sendTick(d, 'sensor-web-01', T0 + 200_000);
    sendScenario(d, scenario('s1'));
    await d.run();
    expect(only(d, 's1')).toMatchObject({ detected: true, time_to_detect_ms: 1000 });
  });

  it('overlapping scenarios on one entity: each gets its own matches; alerts matching one are not unmatched for the other', async () => {
    const d = driver();
    sendScenario(d, scenario('flood', { expected_category: 'dos' }));
    sendScenario(d, scenario('scan', { expected_category: 'probe', start_time: T0 + 2000, end_time: T0 + 8000 }));
    sendAlert(d, alert('dos-1', T0 + 1500));
    sendAlert(d, alert('probe-1', T0 + 3000, { category: 'probe' }));
    sendAlert(d, alert('fp-1', T0 + 5000, { category: 'brute_force' }));
    sendTick(d, 'sensor-web-01', T0 + 100_000);
    await d.run();
    expect(only(d, 'flood')).toMatchObject({ detected: true, matching_alert_ids: ['dos-1'], unmatched_alert_ids: ['fp-1'] });
    expect(only(d, 'scan')).toMatchObject({ detected: true, time_to_detect_ms: 1000, matching_alert_ids: ['probe-1'], unmatched_alert_ids: ['fp-1'] });
  });

  it('a repeated scenario record or alert is counted once', async () => {
    const d = driver();
    sendScenario(d, scenario('s1'));
    sendScenario(d, scenario('s1'));
    sendAlert(d, alert('a1', T0 + 1000));
    sendAlert(d, alert('a1', T0 + 1000));
    sendTick(d, 'sensor-web-01', T0 + 100_000);
    sendScenario(d, scenario('s1'));
    await d.run();
    expect(only(d, 's1').matching_alert_ids).toEqual(['a1']);
    expect(d.dropped.duplicate_scenario).toBe(2);
    expect(d.dropped.duplicate_alert).toBe(1);
  });

  it('dead-letters bad input with a reason', async () => {
    const d = driver();
    d.send(RED_SCENARIOS, 'wrong', scenario('s1'), T0);
    d.send(RED_SCENARIOS, 'sensor-web-01', scenario('s2', { deadline_ms: 99 * 3_600_000 }), T0);
    d.send(RED_SCENARIOS, 'sensor-web-01', scenario('s3', { start_time: T0 + 3_600_000 }), T0);
    d.send(ALERTS, 'sensor-web-01', { ...alert('a', T0), event_time: Number.NaN }, T0);
    d.send(BLUE_RESPONSES, 'sensor-web-01', { ...respond('a', T0), alert_id: '' }, T0);
    d.send(ALERTS, 'sensor-web-01', { hello: 1 } as unknown as Alert, T0);
    await d.run();
    expect(d.deadLetters.map((l) => l.reason).sort()).toEqual(['future_event_time', 'invalid_alert', 'invalid_response', 'invalid_scenario', 'unknown_input', 'wrong_key']);
  });
});

const byResult = (a: PurpleGap, b: PurpleGap): number => (a.result_id < b.result_id ? -1 : a.result_id > b.result_id ? 1 : 0);
const ORDERS = ['arrival', 'rotate', 'topic-by-topic', 'reverse-topics'] as const;

describe('purple event time synchronised across inputs', () => {
  for (const order of ORDERS) {
    it(`a tick read before an alert produced earlier on another topic waits for it (${order})`, async () => {
      const d = driver({ order, batchSize: 1 });
      sendScenario(d, scenario('s1'));
      sendAlert(d, alert('a1', T0 + 4000));
      sendTick(d, 'sensor-web-01', T0 + 200_000);
      for (let i = 0; i < 2; i++) {
        await d.runBatches(1);
        // Until a1 is read, rbp.alerts has unread records and holds event time back: nothing is decided yet.
        if (gaps(d).length) expect(only(d, 's1').matching_alert_ids).toEqual(['a1']);
      }
      await d.run();
      expect(only(d, 's1')).toMatchObject({ detected: true, time_to_detect_ms: 4000, matching_alert_ids: ['a1'], decided_at: T0 + 200_000 });
    });

    it(`an alert read before its scenario's start record is matched (${order})`, async () => {
      const d = driver({ order, batchSize: 1 });
      sendAlert(d, alert('early-alert', T0 + 2000));
      sendScenario(d, scenario('s1'));
      sendTick(d, 'sensor-web-01', T0 + 100_000);
      await d.run();
      expect(only(d, 's1')).toMatchObject({ detected: true, time_to_detect_ms: 2000, matching_alert_ids: ['early-alert'] });
    });
  }

  it('topic by topic: the scenarios and ticks of red-scenarios are held until rbp.alerts is read', async () => {
    const d = driver({ order: 'topic-by-topic', partitions: 1 });
    sendScenario(d, scenario('s1'));
    sendAlert(d, alert('a1', T0 + 4000));
    sendTick(d, 'sensor-web-01', T0 + 200_000);
    await d.runBatches(1); // red-scenarios: s1 and the tick
    expect(gaps(d)).toHaveLength(0);
    await d.runBatches(1); // rbp.alerts: a1, now every input is caught up
    expect(only(d, 's1')).toMatchObject({ detected: true, matching_alert_ids: ['a1'] });
  });

  it('an input with nothing to read (no alert for an evasive scenario, no response at all) does not hold time back', async () => {
    const d = driver({ partitions: 1 });
    sendScenario(d, scenario('evasive', { evasive: true, expected_category: 'probe' }));
    sendTick(d, 'sensor-web-01', T0 + 90_000);
    await d.run();
    expect(only(d, 'evasive')).toMatchObject({ detected: false, gap: 'missed', decided_at: T0 + 90_000 });
  });

  it('a lagging input holds the watermark at its own event time', async () => {
    const d = driver({ order: 'topic-by-topic', partitions: 1, batchSize: 1 });
    sendScenario(d, scenario('s1'));
    sendTick(d, 'sensor-web-01', T0 + 200_000);
    sendAlert(d, alert('other', T0 + 10_000, { agent_id: 'sensor-other' }));
    sendAlert(d, alert('a2', T0 + 50_000));
    await d.runBatches(3); // both red records and `other`: rbp.alerts is at T0 + 10 s, a2 still unread
    expect(gaps(d)).toHaveLength(0);
    await d.run();
    expect(only(d, 's1')).toMatchObject({ detected: true, matching_alert_ids: ['a2'], decided_at: T0 + 200_000 });
  });
});

describe('purple exactly once across restarts', () => {
  /** Ten scenarios on three entities, alerts for most, responses for some, ticks; returns the send closures in order. */
  function workload(d: D): (() => void)[] {
    const agents = ['sensor-web-01', 'sensor-db-01', 'sensor-mail-01'];
    const steps: (() => void)[] = [];
    for (let i = 0; i < 10; i++) {
      const agent = agents[i % 3];
      const start = T0 + i * 20_000;
      const s = scenario(`s${i}`, { agent_id: agent, start_time: start, end_time: start + 5000, deadline_ms: 30_000, expected_category: i % 4 === 3 ? null : 'dos' });
      steps.push(() => sendScenario(d, s));
      if (i % 5 !== 4) steps.push(() => sendAlert(d, alert(`a${i}`, start + 2000 + i * 500, { agent_id: agent })));
      if (i % 3 === 0) steps.push(() => d.send(BLUE_RESPONSES, agent, respond(`a${i}`, start + 20_000, agent), start + 20_000));
      steps.push(() => sendTick(d, agent, start + 15_000));
    }
    for (const a of agents) steps.push(() => sendTick(d, a, T0 + 400_000));
    return steps;
  }

  async function reference(): Promise<Map<string, PurpleGap>> {
    const d = driver({ batchSize: 1 });
    for (const step of workload(d)) step();
    await d.run();
    return new Map(gaps(d).map((g) => [g.scenario_id, { ...g, decided_at: 0 }]));
  }

  for (const order of ORDERS) {
    it(`a crash at every batch boundary (${order}) changes nothing: the same results, same content, each once`, async () => {
      const expected = new CoPartitionedDriver(createPurpleStage({ graceMs: GRACE }), { now: () => T0 + 600_000, batchSize: 2, order });
      for (const step of workload(expected)) step();
      await expected.run();
      const reference = gaps(expected);
      expect(reference).toHaveLength(10);
      const d = driver({ batchSize: 2, order });
      for (const step of workload(d)) step();
      for (let i = 0; i < 100; i++) {
        await d.runBatches(1);
        d.restart();
      }
      expect(gaps(d).sort(byResult)).toEqual(reference.sort(byResult));
    });

    it(`a crash before the other inputs are read: replay decides nothing by itself (${order})`, async () => {
      const d = driver({ batchSize: 1, order, partitions: 1 });
      sendScenario(d, scenario('s1'));
      sendTick(d, 'sensor-web-01', T0 + 200_000);
      sendAlert(d, alert('a1', T0 + 4000));
      await d.runBatches(2);
      d.restart();
      await d.run();
      d.restart();
      sendTick(d, 'sensor-web-01', T0 + 300_000);
      await d.run();
      expect(only(d, 's1')).toMatchObject({ detected: true, matching_alert_ids: ['a1'] });
    });

    it(`crashing between transactions with a backlog (${order}) emits each result exactly once`, async () => {
      const d = driver({ batchSize: 2, order });
      const steps = workload(d);
      let k = 0;
      while (k < steps.length) {
        for (const step of steps.slice(k, k + 3)) step();
        k += 3;
        await d.runBatches(2);
        d.restart();
      }
      for (let i = 0; i < 40; i++) {
        await d.runBatches(1);
        d.restart();
      }
      await d.run();
      expect(gaps(d).map((g) => g.scenario_id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`).sort());
    });
  }

  it('a crash after every transaction changes nothing: same results, same content, each once', async () => {
    const expected = await reference();
    expect(expected.size).toBe(10);
    expect([...expected.values()].map((g) => g.gap)).toContain('missed');
    expect([...expected.values()].some((g) => g.time_to_respond_ms !== null)).toBe(true);
    const d = driver({ batchSize: 1 });
    for (const step of workload(d)) {
      step();
      await d.run();
      d.restart();
    }
    const all = gaps(d);
    expect(all).toHaveLength(10);
    for (const g of all) expect({ ...g, decided_at: 0 }).toEqual(expected.get(g.scenario_id));
  });

  it('a rebuild that does not reach back far enough would forget; the look-back covers deadline + grace', () => {
    const stage = createPurpleStage({ graceMs: GRACE, maxDeadlineMs: 600_000 });
    expect(stage.rebuildLookbackMs).toBeGreaterThanOrEqual(600_000 + GRACE);
  });
});
