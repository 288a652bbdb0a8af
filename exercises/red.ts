import { createHash } from 'node:crypto';
import type { TelemetryEvent } from '../lib/events.js';
import type { RedScenario } from '../processors/purple/model.js';
import { connectionFromRow, nslKddRows } from './nslkdd.js';
import type { Scenario, Telemetry } from './scenario.js';

/**
 * The metadata key that carries "<exercise id>/<scenario id>" on every red event: for audit only (who sent
 * what); no detection stage may read it — exercises/tagBlind.test.ts proves the output does not change
 * when it is removed.
 */
export const RED_TAG = 'red_scenario';

/** One event of a scenario, at an offset from the scenario's nominal start (warm-up samples are negative and not red). */
interface PlannedEvent {
  offset: number;
  red: boolean;
  event: Omit<TelemetryEvent, 'event_time'>;
}

export interface ScenarioRun {
  record: RedScenario;
  /** In event-time order. */
  events: TelemetryEvent[];
}

/** Seeded PRNG (mulberry32) from the scenario id: the same scenario always gets the same jitter and choices. */
function rng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (...parts: (string | number)[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/** A stable private address for a host (the target side of connections). */
export const hostIp = (host: string): string => {
  const h = createHash('sha256').update(host).digest();
  return `10.${h[0] % 250}.${h[1] % 250}.${(h[2] % 250) + 2}`;
};

/**
 * The events of one run of a scenario, rebased so the red activity starts at `start` (event time), and its
 * red-scenarios start record. Deterministic for (exercise id, scenario, start).
 */
export function buildScenarioRun(s: Scenario, exerciseId: string, start: number): ScenarioRun {
  const random = rng(s.id);
  const interval = 1000 / s.pacing.rate_per_s;
  const streamed = Math.max(1, Math.round((s.pacing.rate_per_s * s.pacing.duration_ms) / 1000));
  const jitter = () => (s.pacing.jitter_ms ? Math.round((random() * 2 - 1) * s.pacing.jitter_ms) : 0);
  const clamp = (t: number) => Math.min(Math.max(0, t), s.pacing.duration_ms);
  const tag = { [RED_TAG]: `${exerciseId}/${s.id}` };
  const planned: PlannedEvent[] = [];
  const envelope = (kindIndex: number, i: number, source: string) => ({
    event_id: hex(exerciseId, s.id, kindIndex, i),
    agent_id: s.target.agent_id,
    host: s.target.host,
    source,
    metadata: { ...tag },
    asset: null,
    ingest_time: null,
  });
  s.telemetry.forEach((t: Telemetry, k) => {
    switch (t.kind) {
      case 'nslkdd': {
        const rows = nslKddRows().get(t.attack)!;
        for (let i = 0; i < streamed; i++) {
          const payload = connectionFromRow(rows[i % rows.length], { srcIp: t.source_ip, srcPort: 1024 + Math.floor(random() * 64_000), dstIp: hostIp(s.target.host), traffic: t.traffic });
          planned.push({ offset: clamp(Math.round(i * interval) + jitter()), red: true, event: { ...envelope(k, i, 'sensor'), type: 'CONNECTION', payload } });
        }
        break;
      }
      case 'auth_burst': {
        const step = t.interval_ms ?? Math.max(1, Math.floor(s.pacing.duration_ms / Math.max(1, t.failures)));
        for (let i = 0; i < t.failures + (t.then_success ? 1 : 0); i++) {
          const outcome = i < t.failures ? 'FAILURE' : 'SUCCESS';
          const offset = Math.max(0, i * step + (i === 0 ? 0 : jitter()));
          planned.push({ offset, red: true, event: { ...envelope(k, i, 'agent'), type: 'AUTH', payload: { user: t.user, source_ip: t.source_ip, method: t.method, outcome } } });
        }
        break;
      }
      case 'metric_spike': {
        const spikeSamples = Math.max(1, Math.round((s.pacing.rate_per_s * (t.duration_ms ?? s.pacing.duration_ms)) / 1000));
        const noisy = (v: number) => Math.round(v * (0.95 + random() * 0.1) * 100) / 100;
        for (let i = -t.warmup_samples; i < spikeSamples; i++) {
          const red = i >= 0;
          const value = noisy(red ? t.baseline * t.factor : t.baseline);
          planned.push({ offset: Math.round(i * interval), red, event: { ...envelope(k, i + t.warmup_samples, 'ai-agent'), type: 'METRIC', payload: { metrics: { [t.metric]: value } } } });
        }
        break;
      }
      case 'finding': {
        planned.push({
          offset: 0,
          red: true,
          event: {
            ...envelope(k, 0, `scanner:${t.scanner}`),
            type: 'FINDING',
            payload: {
              scanner: t.scanner,
              scanner_id: `${t.scanner}:${t.rule}:${t.asset}`,
              rule_id: t.rule,
              title: t.title || t.rule,
              description: null,
              severity: t.severity,
              cve: /^CVE-\d{4}-\d+$/.test(t.rule) ? [t.rule] : [],
              cwe: [],
              asset: t.asset,
              location: null,
              line: null,
              package: t.package,
              installed_version: null,
              fixed_version: null,
              url: null,
            },
          },
        });
        break;
      }
    }
  });
  planned.sort((a, b) => a.offset - b.offset || (a.event.event_id < b.event.event_id ? -1 : 1));
  const red = planned.filter((p) => p.red);
  const first = red.length ? red[0].offset : 0;
  const last = red.length ? red[red.length - 1].offset : 0;
  const events = planned.map((p) => ({ ...p.event, event_time: start + p.offset - first }) as TelemetryEvent);
  return {
    record: {
      exercise_id: exerciseId,
      scenario_id: s.id,
      name: s.name,
      techniques: [...s.techniques],
      agent_id: s.target.agent_id,
      host: s.target.host,
      start_time: start,
      end_time: start + last - first,
      expected_category: s.expect.category,
      deadline_ms: s.expect.deadline_ms,
      evasive: s.evasive,
    },
    events,
  };
}

/** Span of the red activity of a scenario (ms), as laid out by buildScenarioRun. */
export function redSpan(s: Scenario): number {
  const run = buildScenarioRun(s, 'span', 0);
  return run.record.end_time - run.record.start_time;
}

/**
 * Lays a library out on one exercise timeline ending at `now`: each scenario's red activity ends at `now`
 * (its start is now − its span), so every event time is realistic (the recent past) and nothing is in the
 * future. Events of all scenarios are merged in event-time order (entities see one consistent stream).
 */
export function planExercise(scenarios: Scenario[], exerciseId: string, now: number): { runs: ScenarioRun[]; events: TelemetryEvent[] } {
  const runs = scenarios.map((s) => buildScenarioRun(s, exerciseId, now - redSpan(s)));
  const events = runs.flatMap((r) => r.events).sort((a, b) => a.event_time - b.event_time || (a.event_id < b.event_id ? -1 : 1));
  return { runs, events };
}

/**
 * Pairs of scenarios of one run whose results could be confused: same entity, overlapping windows
 * (start .. start + deadline) and a category one alert could match for both.
 */
export function ambiguousPairs(runs: ScenarioRun[], graceMs = 30_000): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = runs[i].record;
      const b = runs[j].record;
      if (a.agent_id !== b.agent_id) continue;
      const overlap = a.start_time <= b.start_time + b.deadline_ms + graceMs && b.start_time <= a.start_time + a.deadline_ms + graceMs;
      const sameCategory = a.expected_category === null || b.expected_category === null || a.expected_category === b.expected_category;
      if (overlap && sameCategory) out.push([a.scenario_id, b.scenario_id]);
    }
  }
  return out;
}
