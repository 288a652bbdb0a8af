import { readFileSync } from 'node:fs';
import avro from 'avsc';
import * as ort from 'onnxruntime-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../lib/events.js';
import { ModelHolder } from '../../lib/models/holder.js';
import { ModelIntegrityError } from '../../lib/models/registry.js';
import { addVersion, copyRegistry, MODEL_NAME, promote, REAL_REGISTRY, sampleRows, sessionPrototype, tamper, type SampleRow } from '../../lib/models/testkit.js';
import { fromRoot } from '../../lib/paths.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import type { Stage } from '../../lib/stream/stage.js';
import { loadRemediation } from './remediation.js';
import { alertId, createOnnxScoreStage, type OnnxScoreOptions, type OnnxScoreState } from './stage.js';
import { authEvent, connectionEvent, signal } from './testkit.js';
import type { CorrelatedEvent } from './types.js';

const T0 = Date.UTC(2025, 0, 6, 10, 0, 0); // a minute boundary
const MIN = 60_000;
const NOW = Date.UTC(2025, 0, 6, 12, 0, 0);
const remediation = loadRemediation();
const alertType = avro.Type.forSchema(JSON.parse(readFileSync(fromRoot('schemas/avro/alert.avsc'), 'utf8')));
const quietLog = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

let samples: SampleRow[];
let attack: SampleRow;
let holder: ModelHolder;

beforeAll(async () => {
  samples = sampleRows();
  attack = samples.filter((s) => s.expected_label === 1).sort((a, b) => b.expected_attack_probability - a.expected_attack_probability)[0];
  holder = await ModelHolder.open({ registryDir: REAL_REGISTRY, name: MODEL_NAME, log: quietLog() });
});
afterAll(async () => {
  await holder?.close();
});

type Driver = MemoryDriver<CorrelatedEvent, OnnxScoreState>;
const makeDriver = (opts: Partial<OnnxScoreOptions> & { batchSize?: number } = {}, stage?: Stage<CorrelatedEvent, OnnxScoreState>): Driver =>
  new MemoryDriver(stage ?? createOnnxScoreStage({ model: holder, remediation, ...opts }), { now: () => NOW, batchSize: opts.batchSize ?? 50 });
const send = (d: Driver, v: CorrelatedEvent) => d.send('rbp.correlated', v.event.agent_id, v, v.event.event_time + 200);
const alerts = (d: Driver) => d.outputsTo('rbp.alerts').map((o) => o.value as Alert);
const modelAlerts = (d: Driver) => alerts(d).filter((a) => a.detector.startsWith('model:'));
const withoutDetectedAt = (a: Alert) => ({ ...a, detected_at: 0 });

describe('onnx-score with the committed model', () => {
  it('alerts on the attack sample rows and not on the normal ones', async () => {
    const d = makeDriver();
    samples.forEach((s, i) => send(d, connectionEvent(`e${i}`, `agent-${i}`, T0 + i * 1000, s.input)));
    await d.run();
    const out = modelAlerts(d);
    const attackIds = samples.flatMap((s, i) => (s.expected_label === 1 ? [`e${i}`] : []));
    expect(attackIds.length).toBeGreaterThan(0);
    expect(attackIds.length).toBeLessThan(samples.length);
    expect(out.map((a) => a.evidence_event_ids[0]).sort()).toEqual(attackIds.sort());
    expect(d.dropped.benign).toBe(samples.length - attackIds.length);
    for (const a of out) {
      const i = Number(a.evidence_event_ids[0].slice(1));
      expect(Math.abs(a.score! - samples[i].expected_attack_probability)).toBeLessThan(1e-4);
      expect(a.model_version).toBe('nslkdd-binary@1.0.0');
      expect(a.detector).toBe('model:nslkdd-binary@1.0.0');
      expect(a.alert_id).toBe(alertId(['model', `agent-${i}`, a.category, String(Math.floor((T0 + i * 1000) / MIN) * MIN)]));
      expect(a.alert_id).toMatch(/^[0-9a-f]{32}$/);
      expect(a.event_time).toBe(T0 + i * 1000);
      expect(a.first_evidence_time).toBe(a.event_time);
      expect(a.detected_at).toBe(NOW);
      expect(a.remediation).toBe(remediation.text(a.category));
      expect(['dos', 'probe', 'r2l', 'u2r', 'network_intrusion']).toContain(a.category);
      expect(a.metadata.service).toBe(String(samples[i].input.service));
      expect(alertType.isValid(a, { errorHook: (path) => expect.fail(`alert field ${path.join('.')} does not fit alert.avsc`) })).toBe(true);
    }
  });

  it('scores each batch in one ONNX run', async () => {
    const run = vi.spyOn(sessionPrototype(), 'run');
    try {
      const d = makeDriver({ batchSize: 10 });
      for (let i = 0; i < 45; i++) send(d, connectionEvent(`c${i}`, 'one-agent', T0 + i * 100, samples[i % samples.length].input));
      for (let i = 0; i < 5; i++) send(d, authEvent(`x${i}`, 'one-agent', T0 + 5000 + i));
      await d.run();
      expect(run).toHaveBeenCalledTimes(5); // 50 records in batches of 10; the last batch has 5 connections
      expect(run.mock.calls.map((c) => (c[0] as Record<string, ort.Tensor>).duration.dims[0])).toEqual([10, 10, 10, 10, 5]);
    } finally {
      run.mockRestore();
    }
  });

  it('suppresses floods: one model alert per entity, category and minute', async () => {
    const d = makeDriver({ batchSize: 30 });
    for (let i = 0; i < 100; i++) send(d, connectionEvent(`f${i}`, 'victim', T0 + i * 500, attack.input));
    await d.run();
    expect(modelAlerts(d)).toHaveLength(1);
    expect(modelAlerts(d)[0].evidence_event_ids).toEqual(['f0']);
    for (let i = 100; i < 200; i++) send(d, connectionEvent(`f${i}`, 'victim', T0 + MIN + (i - 100) * 500, attack.input));
    await d.run();
    const out = modelAlerts(d);
    expect(out).toHaveLength(2);
    expect(out[1].evidence_event_ids).toEqual(['f100']);
    expect(new Set(out.map((a) => a.alert_id)).size).toBe(2);
    expect(d.dropped.suppressed).toBe(198);
    // another entity in the same minute gets its own alert
    send(d, connectionEvent('g0', 'other', T0 + MIN + 10, attack.input));
    await d.run();
    expect(modelAlerts(d)).toHaveLength(3);
  });

  it('drops attacks in a bucket closed by the watermark (late), deterministically', async () => {
    const d = makeDriver({ alertBucketMs: MIN, allowedLatenessMs: MIN });
    send(d, connectionEvent('n0', 'victim', T0 + 5 * MIN, samples.find((s) => s.expected_label === 0)!.input));
    send(d, connectionEvent('late0', 'victim', T0 + 10, attack.input)); // bucket T0 closed at T0 + 2 min
    send(d, connectionEvent('ok0', 'victim', T0 + 4 * MIN, attack.input)); // bucket T0+4m still open
    await d.run();
    expect(modelAlerts(d).map((a) => a.evidence_event_ids[0])).toEqual(['ok0']);
    expect(d.dropped.late).toBe(1);
  });

  it('a restart mid-stream yields the identical alert set, without duplicates', async () => {
    const stream: CorrelatedEvent[] = [];
    let t = T0;
    for (let i = 0; i < 400; i++) {
      t += 1700 + ((i * 7919) % 1300);
      const s = samples[(i * 13) % samples.length];
      const agent = `agent-${i % 5}`;
      const signals = i % 37 === 0 ? [signal('auth.brute_force', [`r${i}`, `r${i - 1}`], t - 3000)] : [];
      stream.push(connectionEvent(`r${i}`, agent, t, s.input, { signals, criticality: i % 3 === 0 ? 'high' : undefined }));
    }
    const straight = makeDriver({ batchSize: 16 });
    stream.forEach((v) => send(straight, v));
    await straight.run();

    const restarted = makeDriver({ batchSize: 16 });
    for (const [cut, next] of [[0, 130], [130, 260], [260, 400]]) {
      stream.slice(cut, next).forEach((v) => send(restarted, v));
      await restarted.run();
      restarted.restart();
    }
    const a = alerts(straight).map(withoutDetectedAt).sort((x, y) => x.alert_id.localeCompare(y.alert_id));
    const b = alerts(restarted).map(withoutDetectedAt).sort((x, y) => x.alert_id.localeCompare(y.alert_id));
    expect(a.length).toBeGreaterThan(10);
    expect(modelAlerts(straight).length).toBeGreaterThan(5);
    expect(alerts(straight).some((x) => x.detector.startsWith('rule:'))).toBe(true);
    expect(new Set(b.map((x) => x.alert_id)).size).toBe(b.length);
    expect(b).toEqual(a);
  });

  it('turns each rule signal into an alert with a deterministic id', async () => {
    const mk = (order: string[]) => authEvent('s1', 'db-1', T0 + 5000, [signal('auth.brute_force', order, T0 + 1000)]);
    const one = makeDriver();
    send(one, mk(['s0', 'p1', 's1']));
    await one.run();
    const two = makeDriver();
    send(two, mk(['s1', 's0', 'p1']));
    await two.run();
    const [a] = alerts(one);
    const [b] = alerts(two);
    expect(a.alert_id).toBe(b.alert_id);
    expect(a.alert_id).toBe(alertId(['rule', 'auth.brute_force', 'db-1', 'p1', 's0', 's1']));
    expect(a).toMatchObject({
      agent_id: 'db-1',
      category: 'brute_force',
      severity: 'high',
      detector: 'rule:auth.brute_force',
      score: null,
      model_version: null,
      techniques: ['T1110'],
      evidence_event_ids: ['p1', 's0', 's1'],
      first_evidence_time: T0 + 1000,
      event_time: T0 + 5000,
      remediation: remediation.text('brute_force'),
    });
    expect(alertType.isValid(a)).toBe(true);
  });

  it('a connection with a signal gives both the rule alert and the model alert; asset criticality raises severity', async () => {
    const d = makeDriver();
    send(d, connectionEvent('k1', 'crown-jewel', T0, attack.input, { criticality: 'critical', signals: [signal('traffic.syn_flood', ['k1'], T0, { category: 'dos', severity: 'high' })] }));
    await d.run();
    const out = alerts(d);
    expect(out.map((a) => a.detector.split(':')[0]).sort()).toEqual(['model', 'rule']);
    const rule = out.find((a) => a.detector === 'rule:traffic.syn_flood')!;
    expect(rule.severity).toBe('critical'); // high + critical asset
    expect(rule.metadata.model_score).toBeDefined();
    const model = out.find((a) => a.detector.startsWith('model:'))!;
    expect(model.asset_criticality).toBe('critical');
    expect(model.severity).toBe(attack.expected_attack_probability >= 0.95 ? 'critical' : attack.expected_attack_probability >= 0.8 ? 'high' : 'medium');
  });

  it('dead-letters invalid events and connections without traffic attributes', async () => {
    const d = makeDriver();
    const incomplete = connectionEvent('i1', 'x', T0, { ...attack.input, count: null as unknown as number });
    send(d, incomplete);
    d.send('rbp.correlated', 'x', { event: { agent_id: 'x' } } as unknown as CorrelatedEvent, T0);
    await d.run();
    expect(d.deadLetters.map((dl) => dl.reason).sort()).toEqual(['invalid_event', 'missing_features']);
    expect(d.deadLetters.find((dl) => dl.reason === 'missing_features')!.error).toMatch(/lacks traffic attributes \(count\)/);
    expect(alerts(d)).toHaveLength(0);
  });

  it('publishes drift gauges against the manifest training distribution', async () => {
    const registry = new Registry();
    const d = makeDriver({ registry, drift: { windowRows: 200 } });
    for (let i = 0; i < 200; i++) send(d, connectionEvent(`d${i}`, `agent-${i % 3}`, T0 + i * 10, samples[i % samples.length].input));
    await d.run();
    const text = await registry.metrics();
    expect(text).toMatch(/socflow_model_feature_psi\{feature="service"\} [0-9.e+-]+/);
    expect(text).toMatch(/socflow_model_max_psi [0-9.e+-]+/);
    expect(text).toMatch(/socflow_model_scored_total\{model="nslkdd-binary@1.0.0"\} 200/);
  });
});

describe('onnx-score drift records', () => {
  it('emits one rbp.model_drift record per closed window, and a shifted traffic mix shows a higher PSI', async () => {
    const d = makeDriver({ registry: new Registry(), drift: { windowRows: 200 } });
    // Window 1: the hold-out rows as they come. Window 2: every connection the same odd service on port scans.
    for (let i = 0; i < 200; i++) send(d, connectionEvent(`n${i}`, `agent-${i % 3}`, T0 + i * 10, samples[i % samples.length].input));
    for (let i = 0; i < 200; i++) send(d, connectionEvent(`s${i}`, `agent-${i % 3}`, T0 + 5000 + i * 10, { ...samples[i % samples.length].input, service: 'tftp_u', src_bytes: 9_999_999, flag: 'RSTOS0' }));
    await d.run();
    const drift = d.outputsTo('rbp.model_drift').map((o) => o.value as { rows: number; max_psi: number; psi: Record<string, number>; model_version: string; report_id: string });
    expect(drift).toHaveLength(2);
    expect(drift.map((r) => r.rows)).toEqual([200, 200]);
    expect(drift[0].model_version).toBe('nslkdd-binary@1.0.0');
    expect(drift[1].psi.service).toBeGreaterThan(drift[0].psi.service);
    expect(drift[1].psi.src_bytes).toBeGreaterThan(drift[0].psi.src_bytes);
    expect(drift[1].max_psi).toBeGreaterThan(0.25);
    expect(new Set(drift.map((r) => r.report_id)).size).toBe(2);
  });
});

describe('onnx-score model hot reload', () => {
  it('promoting a new version mid-stream: later alerts carry it, nothing lost or scored twice', async () => {
    const reg = copyRegistry();
    addVersion(reg, '1.1.0', 'staging');
    const local = await ModelHolder.open({ registryDir: reg, name: MODEL_NAME, log: quietLog() });
    const run = vi.spyOn(sessionPrototype(), 'run');
    try {
      const inner = createOnnxScoreStage({ model: local, remediation });
      const usedBy = new Map<string, string>();
      let batches = 0;
      const stage: Stage<CorrelatedEvent, OnnxScoreState> = {
        ...inner,
        async process(batch, state, ctx) {
          const result = await inner.process(batch, state, ctx);
          for (const r of batch) usedBy.set(r.value.event.event_id, local.history[local.history.length - 1]);
          if (++batches === 3) {
            promote(reg, '1.0.0', '1.1.0');
            await local.check(); // a poll between batches (the stream keeps going)
          }
          return result;
        },
      };
      const d = new MemoryDriver(stage, { now: () => NOW, batchSize: 10 });
      // one entity, an attack every 61 s: each lands in its own bucket, so each must give exactly one alert
      const n = 60;
      for (let i = 0; i < n; i++) send(d as Driver, connectionEvent(`h${i}`, 'web-1', T0 + i * 61_000, i % 2 ? attack.input : samples.find((s) => s.expected_label === 0)!.input));
      await d.run();
      const out = (d.outputsTo('rbp.alerts').map((o) => o.value as Alert)).filter((a) => a.detector.startsWith('model:'));
      expect(out.map((a) => a.evidence_event_ids[0])).toEqual(Array.from({ length: n / 2 }, (_, k) => `h${2 * k + 1}`));
      for (const a of out) expect(a.model_version).toBe(usedBy.get(a.evidence_event_ids[0]));
      expect(out.slice(0, 15).every((a) => a.model_version === 'nslkdd-binary@1.0.0')).toBe(true); // batches 1–3 = h0..h29
      expect(out.slice(15).every((a) => a.model_version === 'nslkdd-binary@1.1.0')).toBe(true);
      expect(run).toHaveBeenCalledTimes(n / 10);
      expect(run.mock.calls.reduce((s, c) => s + (c[0] as Record<string, ort.Tensor>).duration.dims[0], 0)).toBe(n);
      expect(d.dropped.benign).toBe(n / 2);
    } finally {
      run.mockRestore();
      await local.close();
    }
  });

  it('a tampered promoted model is refused and the stage keeps scoring with the previous one', async () => {
    const reg = copyRegistry();
    addVersion(reg, '1.1.0', 'staging');
    tamper(reg, '1.1.0');
    const log = quietLog();
    const local = await ModelHolder.open({ registryDir: reg, name: MODEL_NAME, log });
    try {
      const d = makeDriver({ model: local });
      send(d, connectionEvent('t0', 'web-2', T0, attack.input));
      await d.run();
      promote(reg, '1.0.0', '1.1.0');
      await local.check();
      expect(local.lastError).toBeInstanceOf(ModelIntegrityError);
      expect(log.error).toHaveBeenCalledTimes(1);
      expect(String(log.error.mock.calls[0][0].err)).toMatch(/refusing .*1\.1\.0.*model\.onnx: its sha256 .* does not match/);
      send(d, connectionEvent('t1', 'web-2', T0 + 2 * MIN, attack.input));
      await d.run();
      expect(modelAlerts(d).map((a) => [a.evidence_event_ids[0], a.model_version])).toEqual([
        ['t0', 'nslkdd-binary@1.0.0'],
        ['t1', 'nslkdd-binary@1.0.0'],
      ]);
    } finally {
      await local.close();
    }
  });
});
