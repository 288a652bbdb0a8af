import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { StageProcess } from '../../lib/stream/stageProcess.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { isolatedCatalog } from '../../test/kit.js';
import { readAll } from '../../exercises/io.js';
import { ALERTS, BLUE_RESPONSES, type BlueResponse, clockTick, PURPLE_GAPS, type PurpleGap, RED_SCENARIOS, type RedScenario, resultId } from './model.js';

/**
 * purple as its own OS process (`socflow run purple`, from dist/: run `make build` first) over the real broker:
 * detection within the deadline, an evasive scenario missed, a response's time to respond, and two SIGKILLs
 * (one after a result was emitted, one with scenarios pending) → every result exactly once.
 */
const processes: StageProcess[] = [];
afterAll(async () => {
  for (const p of processes) await p.stop();
});

describe('purple over the real broker', () => {
  it('joins scenarios, alerts and responses; survives kills with each result exactly once', { timeout: 180_000 }, async () => {
    const { prefix, catalog } = await isolatedCatalog('purple');
    // A 6 s session (the broker's floor): a killed copy's partitions move on after 6 s, not the default 30.
    const env = { SOCFLOW_TOPIC_PREFIX: prefix, PURPLE_GRACE_MS: '5000', SOCFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000' };
    const start = () => {
      const p = new StageProcess('purple', env, 'test-0').start();
      processes.push(p);
      return p;
    };
    const registry = new SchemaRegistryClient();
    const redCodec = await codecFor<RedScenario>(registry, topicSpec(catalog, RED_SCENARIOS));
    const alertCodec = await codecFor<Alert>(registry, topicSpec(catalog, ALERTS));
    const blueCodec = await codecFor<BlueResponse>(registry, topicSpec(catalog, BLUE_RESPONSES));
    const producer = createKafka('purple-test').producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const sendRed = (records: RedScenario[]) => producer.send({ topic: topicSpec(catalog, RED_SCENARIOS).name, messages: records.map((r) => ({ key: r.agent_id, value: redCodec.encode(r) })) });
    const sendAlerts = (alerts: Alert[]) => producer.send({ topic: topicSpec(catalog, ALERTS).name, messages: alerts.map((a) => ({ key: a.agent_id, value: alertCodec.encode(a) })) });
    const agents = ['pa-early', 'pa-detect', 'pa-evasive', 'pa-noresp'];
    const tick = (t: number) => sendRed(agents.map((a) => clockTick('ex-k', a, t)));

    const t0 = Date.now();
    const scenario = (id: string, agent: string, startTime: number, deadline: number, category: string | null, evasive = false): RedScenario => ({
      exercise_id: 'ex-k', scenario_id: id, name: id, techniques: ['T1046'], agent_id: agent, host: agent, start_time: startTime, end_time: startTime + 1000, expected_category: category, deadline_ms: deadline, evasive,
    });
    const alert = (id: string, agent: string, t: number, category: string): Alert => ({
      alert_id: id, agent_id: agent, host: agent, severity: 'high', category, title: id, description: 'd', remediation: 'r', detector: 'model:test@1', score: 0.9, model_version: 'test@1',
      techniques: [], evidence_event_ids: [`ev-${id}`], first_evidence_time: t, event_time: t, detected_at: t + 300, asset_criticality: 'unknown', metadata: {},
    });

    const p1 = start();
    // Event time is per partition (pa-early shares one with pa-detect): 'early' runs first with its alert, as
    // an exercise's scenarios run in time order; the later scenarios' start times then pass its decision time.
    // Nothing waits for purple to read a topic before the next is written: the join synchronises event time
    // across its inputs (Kafka orders records within a partition, not across topics).
    await sendRed([scenario('early', 'pa-early', t0 - 30_000, 10_000, 'dos')]);
    await sendAlerts([alert('al-early', 'pa-early', t0 - 28_000, 'dos')]);
    // detect: detected and answered; evasive: only an unrelated alert; noresp: detected, never answered.
    await sendRed([
      scenario('detect', 'pa-detect', t0 - 5000, 20_000, 'dos'),
      scenario('evasive', 'pa-evasive', t0 - 5000, 20_000, 'probe', true),
      scenario('noresp', 'pa-noresp', t0 - 5000, 20_000, 'dos'),
    ]);
    await sendAlerts([
      alert('al-detect', 'pa-detect', t0 - 3000, 'dos'),
      alert('al-other', 'pa-evasive', t0 - 2000, 'brute_force'),
      alert('al-noresp', 'pa-noresp', t0 - 4000, 'dos'),
    ]);
    await producer.send({ topic: topicSpec(catalog, BLUE_RESPONSES).name, messages: [{ key: 'pa-detect', value: blueCodec.encode({ response_id: 'resp-1', alert_id: 'al-detect', agent_id: 'pa-detect', action: 'acknowledged', actor: 'ann', responded_at: t0 + 1000 }) }] });
    await tick(t0);
    const first = await readAll<PurpleGap>(PURPLE_GAPS, { timeoutMs: 60_000, done: (v) => v.length >= 1 });
    expect(first.map((g) => g.scenario_id)).toEqual(['early']);

    await p1.kill(); // after 'early' was emitted, with three scenarios pending
    await tick(Date.now() - 1000);
    const p2 = start();
    await sleep(8000); // p1's session ends, p2 gets the partitions and rebuilds them
    await p2.kill(); // mid-rebuild or just after: nothing pending was due yet
    const p3 = start();
    let all: PurpleGap[] = [];
    const started = Date.now();
    while (Date.now() - started < 90_000) {
      await tick(Date.now());
      all = await readAll<PurpleGap>(PURPLE_GAPS, { idleMs: 1500, timeoutMs: 10_000 });
      if (all.length >= 4) break;
      await sleep(1000);
    }
    await sleep(3000);
    await tick(Date.now());
    all = await readAll<PurpleGap>(PURPLE_GAPS, { idleMs: 3000 });
    await producer.disconnect();
    expect(p3.alive).toBe(true);

    expect(all.map((g) => g.scenario_id).sort()).toEqual(['detect', 'early', 'evasive', 'noresp']);
    const by = new Map(all.map((g) => [g.scenario_id, g]));
    expect(by.get('early')).toMatchObject({ result_id: resultId('ex-k', 'early'), detected: true, time_to_detect_ms: 2000, gap: 'no_response', matching_alert_ids: ['al-early'] });
    expect(by.get('detect')).toMatchObject({ detected: true, time_to_detect_ms: 2000, time_to_respond_ms: 4000, gap: null, matching_alert_ids: ['al-detect'] });
    expect(by.get('evasive')).toMatchObject({ detected: false, gap: 'missed', time_to_detect_ms: null, matching_alert_ids: [], unmatched_alert_ids: ['al-other'] });
    expect(by.get('noresp')).toMatchObject({ detected: true, time_to_detect_ms: 1000, gap: 'no_response', time_to_respond_ms: null });
    for (const g of all) expect(g.decided_at).toBeGreaterThanOrEqual(g.start_time + (g.scenario_id === 'early' ? 10_000 : 20_000) + 5000);
  });
});
