import { Gauge, type Registry } from 'prom-client';
import type { FeatureDistribution } from './manifest.js';

/**
 * Basic feature drift: per-feature histograms of the rows scored in a window, compared with the model
 * manifest's training_distribution by the population stability index (PSI). Rule of thumb: < 0.1 stable,
 * 0.1–0.25 moderate shift, > 0.25 significant shift.
 *
 * Binning follows the manifest (models/factory/train.py): numeric bin i = number of bin_edges strictly below
 * x (numpy searchsorted side="left"), so len(bin_edges) + 1 bins; categorical values not listed (and unseen
 * ones) fall in "__other__".
 */

/** Floor for empty bins so the log ratio stays finite. */
export const PSI_EPSILON = 1e-4;

/**
 * PSI = Σ (a_i − e_i) · ln(a_i / e_i) over bins, with both sides normalised to shares and empty bins floored
 * at PSI_EPSILON. Inputs may be counts or proportions; they must have the same length.
 */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new Error(`psi: expected has ${expected.length} bins, actual ${actual.length}`);
  const es = expected.reduce((s, v) => s + v, 0);
  const as = actual.reduce((s, v) => s + v, 0);
  if (es <= 0 || as <= 0) return 0;
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / es, PSI_EPSILON);
    const a = Math.max(actual[i] / as, PSI_EPSILON);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/** Bin index of a numeric value: count of edges strictly below x. */
export function numericBin(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface FeatureHistogram {
  feature: string;
  bins: string[] | null;
  /** bin → its index: a linear search of `bins` (70 services) per row was most of onnx-score's drift cost. */
  binIndex: Map<string, number> | null;
  edges: number[] | null;
  expected: number[];
  counts: number[];
}

export interface DriftOptions {
  /** Close a window after this many rows. */
  windowRows?: number;
  /** Close a window when the event time span it covers reaches this (ms); needs at least minRows rows. */
  windowMs?: number;
  /** A window closed by time with fewer rows keeps accumulating (too few rows give a noisy PSI). */
  minRows?: number;
}

export interface DriftReport {
  rows: number;
  /** Event times of the window's first and last rows. */
  start: number;
  end: number;
  psi: Record<string, number>;
  max: { feature: string; psi: number };
}

/** Feature name → its value in each row (null: not known). */
export type DriftColumns = Readonly<Record<string, readonly unknown[] | undefined>>;

/** Accumulates scored rows against one model's training distribution; `observe` returns a report when a window closes. */
export class DriftWindow {
  private readonly features: FeatureHistogram[];
  private rows = 0;
  private firstTime: number | null = null;
  private readonly windowRows: number;
  private readonly windowMs: number;
  private readonly minRows: number;

  constructor(distribution: Record<string, FeatureDistribution>, opts: DriftOptions = {}) {
    this.windowRows = opts.windowRows ?? 10_000;
    this.windowMs = opts.windowMs ?? 60_000;
    this.minRows = opts.minRows ?? 200;
    this.features = Object.entries(distribution).map(([feature, d]) => {
      if (d.kind === 'numeric') return { feature, bins: null, binIndex: null, edges: d.bin_edges, expected: d.proportions, counts: new Array(d.proportions.length).fill(0) };
      const bins = Object.keys(d.proportions);
      if (!bins.includes('__other__')) bins.push('__other__');
      const binIndex = new Map(bins.map((b, i) => [b, i]));
      return { feature, bins, binIndex, edges: null, expected: bins.map((b) => d.proportions[b] ?? 0), counts: new Array(bins.length).fill(0) };
    });
  }

  /**
   * Adds rows, given as one column of values per feature (a feature without a column is not counted), with their
   * event times; returns the window's PSI report when this closed it (the last one, should one batch close two).
   */
  observe(columns: DriftColumns, eventTimes: readonly number[]): DriftReport | null {
    let report: DriftReport | null = null;
    let from = 0;
    for (let i = 0; i < eventTimes.length; i++) {
      if (this.firstTime === null) this.firstTime = eventTimes[i];
      this.rows++;
      const span = eventTimes[i] - this.firstTime;
      if (this.rows >= this.windowRows || (span >= this.windowMs && this.rows >= this.minRows)) {
        this.count(columns, from, i + 1);
        from = i + 1;
        report = this.close(eventTimes[i]);
      }
    }
    this.count(columns, from, eventTimes.length);
    return report;
  }

  // Column by column, so each feature's values are read in a loop of their own.
  private count(columns: DriftColumns, from: number, to: number): void {
    for (const f of this.features) {
      const column = columns[f.feature];
      if (!column) continue;
      for (let i = from; i < to; i++) {
        const v = column[i];
        if (v === null || v === undefined) continue;
        if (f.edges) f.counts[numericBin(f.edges, Number(v))]++;
        else f.counts[f.binIndex!.get(String(v)) ?? f.bins!.length - 1]++;
      }
    }
  }

  private close(end: number): DriftReport {
    const out: DriftReport = { rows: this.rows, start: this.firstTime ?? end, end, psi: {}, max: { feature: '', psi: 0 } };
    for (const f of this.features) {
      const value = psi(f.expected, f.counts);
      out.psi[f.feature] = value;
      if (value >= out.max.psi) out.max = { feature: f.feature, psi: value };
      f.counts.fill(0);
    }
    this.rows = 0;
    this.firstTime = null;
    return out;
  }
}

/** The drift gauges: socflow_model_feature_psi{feature} and socflow_model_max_psi, for the last closed window. */
export function driftGauges(registry: Registry) {
  return {
    featurePsi: new Gauge({ name: 'socflow_model_feature_psi', help: 'Population stability index of a model input over the last drift window vs the training distribution', labelNames: ['feature'], registers: [registry] }),
    maxPsi: new Gauge({ name: 'socflow_model_max_psi', help: 'Largest per-feature PSI of the last drift window', registers: [registry] }),
    windowRows: new Gauge({ name: 'socflow_model_drift_window_rows', help: 'Rows in the last closed drift window', registers: [registry] }),
  };
}

export type DriftGauges = ReturnType<typeof driftGauges>;

export function publishDrift(gauges: DriftGauges, report: DriftReport): void {
  for (const [feature, value] of Object.entries(report.psi)) gauges.featurePsi.set({ feature }, value);
  gauges.maxPsi.set(report.max.psi);
  gauges.windowRows.set(report.rows);
}
