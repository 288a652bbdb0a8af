import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../lib/events.js';
import type { InputRecord } from '../../lib/stream/stage.js';
import { seededRandom } from '../../test/seededRandom.js';
import { auth, compliance, conn, driver, finding, metric, rules, send, shortRules, values } from './testkit.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import { createCorrelateStage, type CorrelateState, INPUT_TOPIC } from './transform.js';

/** A mixed, deterministic scenario over a few agents: scans, bursts, metric spikes, findings, late events. */
function scenario(seed: number, n: number): TelemetryEvent[] {
  const rnd = seededRandom(seed);
  const agents = ['web-1', 'web-2', 'db-1', 'llm-agent-7'];
  const events: TelemetryEvent[] = [];
  let t = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * 1500);
    const agent = agents[Math.floor(rnd() * agents.length)];
    const late = rnd() < 0.03 ? 40_000 : rnd() < 0.1 ? Math.floor(rnd() * 5000) : 0; // some late, some slightly out of order
    const et = t - late;
    const r = rnd();
    if (r < 0.5) {
      const scan = rnd() < 0.3;
      events.push(
        conn(agent, et, {
          dst: `10.0.${Math.floor(rnd() * 2)}.${scan ? Math.floor(rnd() * 50) : Math.floor(rnd() * 3)}`,
          service: ['http', 'private', 'ftp_data', 'smtp'][Math.floor(rnd() * 4)],
          flag: ['SF', 'SF', 'S0', 'REJ', 'RSTO'][Math.floor(rnd() * 5)],
          sport: 30000 + Math.floor(rnd() * 5),
        }),
      );
    } else if (r < 0.75) {
      events.push(auth(agent, et, rnd() < 0.8 ? 'FAILURE' : 'SUCCESS', { ip: `203.0.113.${Math.floor(rnd() * 3)}`, user: rnd() < 0.5 ? 'root' : 'admin' }));
    } else if (r < 0.92) {
      const spike = rnd() < 0.05;
      events.push(metric(agent, et, { cpu: spike ? 99 : 40 + rnd() * 5, tokens_used: spike ? 90_000 : 1000 + rnd() * 50 }));
    } else if (r < 0.98) {
      events.push(finding(agent, et, { scannerId: `S-${Math.floor(rnd() * 6)}`, rule: `CVE-2024-${Math.floor(rnd() * 4)}`, severity: rnd() < 0.5 ? 'critical' : 'medium' }));
    } else {
      events.push(compliance(agent, et, rnd()));
    }
  }
  return events;
}

/** Kafka record times follow arrival (monotone, just after the latest event time); event times may lag. */
function recordTimes(events: TelemetryEvent[]): number[] {
  let ts = -Infinity;
  return events.map((e) => (ts = Math.max(ts, e.event_time + 5)));
}

function sendAll(d: ReturnType<typeof driver>, events: TelemetryEvent[], from = 0, to = events.length) {
  const ts = recordTimes(events);
  for (let i = from; i < to; i++) d.send(INPUT_TOPIC, events[i].agent_id, events[i], ts[i]);
}

const byKey = (outputs: { key: string; value: unknown }[]) => {
  const m: Record<string, unknown[]> = {};
  for (const o of outputs) (m[o.key] ??= []).push(o.value);
  return m;
};

const strip = (e: TelemetryEvent): TelemetryEvent => ({ ...e, metadata: {} });

const comparable = (outputs: { key: string; value: unknown }[]) =>
  values(outputs as never).map((o) => ({ ...o, event: { ...o.event, metadata: {} } }));

describe('determinism and rebuild', () => {
  const events = scenario(42, 3000);

  it('the scenario exercises every detector', async () => {
    const d = driver(shortRules());
    sendAll(d, events);
    await d.run();
    const cats = new Set(values(d.outputs).flatMap((o) => o.signals.map((s) => s.category)));
    expect([...cats].sort()).toEqual(['brute_force', 'compliance', 'credential_compromise', 'resource_abuse', 'vulnerability', 'anomaly'].sort());
    // in = out + dropped + dlq
    const dropped = Object.values(d.dropped).reduce((a, b) => a + b, 0);
    expect(d.outputs.length + dropped + d.deadLetters.length).toBe(events.length);
    expect(d.dropped.late).toBeGreaterThan(0);
  });

  it('metadata (exercise tags) does not influence detection', async () => {
    const a = driver(shortRules());
    const b = driver(shortRules());
    sendAll(a, events);
    sendAll(b, events.map(strip));
    await a.run();
    await b.run();
    expect(comparable(b.outputs)).toEqual(comparable(a.outputs));
    expect(b.dropped).toEqual(a.dropped);
  });

  it.each([
    [0.5, 100],
    [0.2, 7],
    [0.77, 250],
  ])('restart after %s of the input (batch %s): identical outputs, no lost and no duplicate signal', async (frac, batchSize) => {
    const whole = driver(shortRules(), { batchSize });
    sendAll(whole, events);
    await whole.run();

    const d = driver(shortRules(), { batchSize });
    const cut = Math.floor(events.length * frac);
    sendAll(d, events, 0, cut);
    await d.run();
    d.restart();
    sendAll(d, events, cut);
    await d.run();

    // The driver runs partition after partition, so only the order per key (per partition) is defined.
    expect(d.outputs.length).toBe(whole.outputs.length);
    expect(byKey(d.outputs)).toEqual(byKey(whole.outputs));
    expect(d.dropped).toEqual(whole.dropped);
  });

  it('restarting several times, with a look-back long enough: identical; with too short a look-back: not (the check has teeth)', async () => {
    const whole = driver(shortRules());
    sendAll(whole, events);
    await whole.run();
    const withStage = (lookback?: number) => {
      const stage = createCorrelateStage(shortRules());
      return new MemoryDriver(lookback === undefined ? stage : { ...stage, rebuildLookbackMs: lookback }, { now: () => 0, batchSize: 50 });
    };
    const restarted = async (d: MemoryDriver<TelemetryEvent, CorrelateState>) => {
      const cuts = [0, 400, 900, 1500, 2200, 2600, events.length];
      for (let i = 1; i < cuts.length; i++) {
        sendAll(d, events, cuts[i - 1], cuts[i]);
        await d.run();
        d.restart();
      }
      return d;
    };
    const good = await restarted(withStage());
    expect(byKey(good.outputs)).toEqual(byKey(whole.outputs));
    const short = await restarted(withStage(10_000));
    expect(byKey(short.outputs)).not.toEqual(byKey(whole.outputs));
  });

  it('a burst across the restart fires once, a burst signalled before the restart does not fire again', async () => {
    const run = async (restartAt: number | null) => {
      const d = driver();
      const ev = [
        ...Array.from({ length: 3 }, (_, i) => auth('srv', 1000 + i * 1000, 'FAILURE', { id: `a${i}` })),
        ...Array.from({ length: 6 }, (_, i) => auth('srv', 1000 + i * 1000, 'FAILURE', { id: `b${i}`, ip: '198.51.100.9' })),
        ...Array.from({ length: 4 }, (_, i) => auth('srv', 10_000 + i * 1000, 'FAILURE', { id: `a${i + 3}` })),
        ...Array.from({ length: 4 }, (_, i) => auth('srv', 10_000 + i * 1000, 'FAILURE', { id: `b${i + 6}`, ip: '198.51.100.9' })),
      ];
      for (let i = 0; i < ev.length; i++) {
        if (i === restartAt) {
          await d.run();
          d.restart();
        }
        send(d, [ev[i]]);
      }
      await d.run();
      return values(d.outputs).flatMap((o) => o.signals.map((s) => `${o.event.event_id}:${s.rule_id}`));
    };
    const expected = ['b4:auth-brute-force', 'a4:auth-brute-force'];
    expect(await run(null)).toEqual(expected);
    for (const at of [2, 5, 9, 10, 12, 15]) expect(await run(at)).toEqual(expected);
  });

  it('replayed records update state but their outputs are discarded', async () => {
    const stage = createCorrelateStage(rules());
    const state = stage.createState(INPUT_TOPIC, 0);
    const rec = (e: TelemetryEvent, i: number): InputRecord<TelemetryEvent> => ({ topic: INPUT_TOPIC, partition: 0, offset: BigInt(i), key: e.agent_id, timestamp: e.event_time, value: e, raw: null });
    const evs = Array.from({ length: 6 }, (_, i) => auth('x', i * 100, 'FAILURE'));
    await stage.process(evs.slice(0, 5).map(rec), state, { replaying: true, now: () => 0 });
    const r = await stage.process([rec(evs[5], 5)], state, { replaying: false, now: () => 0 });
    expect(r.outputs).toHaveLength(0); // the burst already fired (in the replay)
  });
});

describe('record handling', () => {
  it('invalid events go to the dead-letter topic; counts reconcile; late connections are counted', async () => {
    const stage = createCorrelateStage(rules());
    const state = stage.createState(INPUT_TOPIC, 0);
    const bad = { ...conn('a', 0), payload: { service: 'http' } } as unknown as TelemetryEvent;
    const noAgent = { ...auth('', 0, 'FAILURE') };
    const batch = [conn('a', 100_000), bad, noAgent, conn('a', 10_000), metric('a', 0, { cpu: 1 }), auth('a', 0, 'SUCCESS')].map(
      (e, i): InputRecord<TelemetryEvent> => ({ topic: INPUT_TOPIC, partition: 0, offset: BigInt(i), key: 'a', timestamp: i, value: e, raw: null }),
    );
    const r = stage.process(batch, state);
    expect(r.deadLetters.map((d) => [d.reason, d.error])).toEqual([
      ['invalid_event', 'connection.dst_ip must be a string'],
      ['invalid_event', 'agent_id missing'],
    ]);
    expect(r.outputs).toHaveLength(2);
    expect(r.late_forwarded).toBe(1);
    expect(r.dropped).toEqual({ no_signal: 2 });
    expect(r.outputs[0]).toMatchObject({ topic: 'rbp.correlated', key: 'a' });
    expect(stage).toMatchObject({ inputs: ['rbp.normalized'], outputs: ['rbp.correlated'], deadLetterTopic: 'rbp.normalized.dlq' });
  });
});
