import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { DriftWindow, driftGauges, numericBin, psi, publishDrift } from './drift.js';
import type { FeatureDistribution } from './manifest.js';

describe('psi', () => {
  it('is ~0 for the same distribution and grows with the shift', () => {
    const expected = [0.1, 0.2, 0.4, 0.2, 0.1];
    const same = psi(expected, [10, 20, 40, 20, 10]);
    const slight = psi(expected, [0.12, 0.22, 0.38, 0.18, 0.1]);
    const shifted = psi(expected, [0.0, 0.05, 0.15, 0.4, 0.4]);
    expect(same).toBeCloseTo(0, 10);
    expect(slight).toBeGreaterThan(same);
    expect(shifted).toBeGreaterThan(slight);
    expect(shifted).toBeGreaterThan(0.25);
    expect(slight).toBeLessThan(0.1);
  });

  it('stays finite with empty bins and rejects mismatched lengths', () => {
    expect(Number.isFinite(psi([0.5, 0.5, 0], [0, 0.5, 0.5]))).toBe(true);
    expect(() => psi([1, 2], [1])).toThrow(/2 bins/);
  });

  it('bins numeric values like numpy searchsorted(side="left")', () => {
    const edges = [0, 1, 5];
    expect([-1, 0, 0.5, 1, 3, 5, 6].map((x) => numericBin(edges, x))).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });
});

describe('DriftWindow', () => {
  const dist: Record<string, FeatureDistribution> = {
    count: { kind: 'numeric', bin_edges: [1, 10, 100], proportions: [0.25, 0.25, 0.5, 0] },
    service: { kind: 'categorical', proportions: { http: 0.6, ftp: 0.3, __other__: 0.1 } },
  };
  const rowsLike = (n: number, shift: boolean) => {
    const rows = Array.from({ length: n }, (_, i) => {
      const q = i % 4;
      return shift ? { count: 500, service: 'telnet' } : { count: q === 0 ? 1 : q === 1 ? 5 : 50, service: i % 10 < 6 ? 'http' : i % 10 < 9 ? 'ftp' : 'smtp' };
    });
    return { count: rows.map((r) => r.count), service: rows.map((r) => r.service) };
  };

  it('closes a window by rows and reports per-feature PSI; a shifted window scores higher', () => {
    const w = new DriftWindow(dist, { windowRows: 100 });
    expect(w.observe(rowsLike(99, false), new Array(99).fill(0))).toBeNull();
    const stable = w.observe(rowsLike(1, false), [0])!;
    expect(stable.rows).toBe(100);
    const shifted = w.observe(rowsLike(100, true), new Array(100).fill(0))!;
    expect(shifted.psi.count).toBeGreaterThan(stable.psi.count);
    expect(shifted.psi.service).toBeGreaterThan(stable.psi.service);
    expect(stable.max.psi).toBeLessThan(0.1);
    expect(shifted.max.psi).toBeGreaterThan(1);
    const registry = new Registry();
    const gauges = driftGauges(registry);
    publishDrift(gauges, shifted);
    return registry.metrics().then((text) => {
      expect(text).toMatch(/socflow_model_feature_psi\{feature="service"\} \d/);
      expect(text).toMatch(/socflow_model_max_psi \d/);
    });
  });

  it('counts the same whether rows come in one batch or many, across a window closing mid-batch', () => {
    const whole = new DriftWindow(dist, { windowRows: 70 });
    const split = new DriftWindow(dist, { windowRows: 70 });
    const all = rowsLike(100, false);
    const times = Array.from({ length: 100 }, (_, i) => i);
    const reports = [whole.observe(all, times)];
    for (let i = 0; i < 100; i += 13) {
      const r = split.observe({ count: all.count.slice(i, i + 13), service: all.service.slice(i, i + 13) }, times.slice(i, i + 13));
      if (r) reports.push(r);
    }
    expect(reports).toHaveLength(2);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[0]!.rows).toBe(70);
  });

  it('closes a window by event time once it has enough rows', () => {
    const w = new DriftWindow(dist, { windowRows: 10_000, windowMs: 60_000, minRows: 10 });
    expect(w.observe(rowsLike(5, false), [0, 1, 2, 3, 70_000])).toBeNull(); // too few rows
    const r = w.observe(rowsLike(5, false), [70_001, 70_002, 70_003, 70_004, 70_005]);
    expect(r?.rows).toBe(10);
  });
});
