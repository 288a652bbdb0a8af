import { EventTimeList } from './eventTimeList.js';
import { evictStale, touch } from './lru.js';
import { metricRuleFor, type MetricRules } from './rules.js';
import { fmt, makeSignal, type Signal } from './signal.js';

/**
 * Rolling baseline per (entity, metric name): the last `window_samples` samples no older than `window_ms`
 * (event time). A new sample is scored against the window BEFORE it is added: z = (x − mean) / std, with
 * the sample standard deviation (n − 1). Mean and deviation are recomputed from the window each time
 * (not kept as running sums), so a rebuilt window gives bit-identical results.
 */
interface Sample {
  time: number;
  value: number;
}

interface Series {
  samples: EventTimeList<Sample>;
  lastTime: number;
}

export interface MetricState {
  series: Map<string, Series>;
}

export const createMetricState = (): MetricState => ({ series: new Map() });

export function observeMetrics(
  s: MetricState,
  event: { event_id: string; event_time: number },
  metrics: Record<string, number>,
  watermark: number,
  rules: MetricRules,
  evidenceLimit: number,
): Signal[] {
  const t = event.event_time;
  const signals: Signal[] = [];
  for (const name of Object.keys(metrics).sort()) {
    const value = metrics[name];
    const rule = metricRuleFor(rules, name);
    if (!rule || typeof value !== 'number' || !Number.isFinite(value)) continue;
    const series = touch(s.series, name, () => ({ samples: new EventTimeList<Sample>(), lastTime: t }), rules.max_series_per_entity);
    series.lastTime = Math.max(series.lastTime, t);
    const end = series.samples.upper(t);
    const before = series.samples.slice(Math.max(end - rules.window_samples, series.samples.upper(t - rules.window_ms)), end);
    if (before.length >= rule.min_samples) {
      const { mean, std } = stats(before);
      const sd = Math.max(std, rule.min_std);
      const diff = value - mean;
      const z = sd > 0 ? diff / sd : diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
      const fires = rule.direction === 'up' ? z >= rule.z_threshold : rule.direction === 'down' ? z <= -rule.z_threshold : Math.abs(z) >= rule.z_threshold;
      if (fires) {
        signals.push(
          makeSignal(
            rule,
            `${name} = ${fmt(value)} is ${fmt(z)} standard deviations from its mean ${fmt(mean)} (std ${fmt(std)}) over the previous ${before.length} samples`,
            [{ id: event.event_id, time: t }],
            evidenceLimit,
            { metric: name, value, mean, std, z, samples: before.length, z_threshold: rule.z_threshold },
          ),
        );
      }
    }
    series.samples.insert({ time: t, value });
    // Enough for any in-time sample: its window ends at or after the watermark.
    series.samples.evict(watermark - rules.window_ms, rules.window_samples * 4);
  }
  const stale = watermark - rules.window_ms;
  evictStale(s.series, (v) => v.lastTime < stale);
  return oneSignalPerRule(signals);
}

/**
 * Several metrics of one sample can trip the same rule (tokens and actions of a runaway agent): that is
 * one finding with one evidence event, so one signal (and downstream one alert id), naming every metric.
 */
function oneSignalPerRule(signals: Signal[]): Signal[] {
  const byRule = new Map<string, Signal[]>();
  for (const sig of signals) byRule.set(sig.rule_id, [...(byRule.get(sig.rule_id) ?? []), sig]);
  return [...byRule.values()].map((group) => (group.length === 1 ? group[0] : merged(group)));
}

function merged(group: Signal[]): Signal {
  const metadata: Record<string, string> = { metric: group.map((g) => g.metadata.metric).join(',') };
  for (const g of group) for (const [k, v] of Object.entries(g.metadata)) if (k !== 'metric') metadata[`${g.metadata.metric}.${k}`] = v;
  return { ...group[0], description: group.map((g) => g.description).join('; '), metadata };
}

export function stats(samples: readonly Sample[]): { mean: number; std: number } {
  const n = samples.length;
  let sum = 0;
  for (const x of samples) sum += x.value;
  const mean = sum / n;
  let sq = 0;
  for (const x of samples) sq += (x.value - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(sq / (n - 1)) : 0 };
}
