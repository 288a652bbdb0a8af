import type { TelemetryEvent } from '../../lib/events.js';
import type { SignalTemplate } from './rules.js';

/** schemas/avro/types/Signal.avsc. */
export interface Signal {
  rule_id: string;
  category: string;
  severity: string;
  title: string;
  description: string;
  techniques: string[];
  evidence_event_ids: string[];
  first_evidence_time: number;
  metadata: Record<string, string>;
}

export type FeatureSource = 'NONE' | 'SENSOR' | 'COMPUTED';

/** schemas/avro/correlated-event.avsc, with `event` as the domain event (the codec maps it). */
export interface CorrelatedEvent {
  event: TelemetryEvent;
  traffic_features: FeatureSource;
  signals: Signal[];
}

/** One piece of evidence: an event id and its event time. */
export interface Evidence {
  id: string;
  time: number;
}

export function makeSignal(
  t: SignalTemplate,
  description: string,
  evidence: readonly Evidence[],
  limit: number,
  metadata: Record<string, string | number>,
): Signal {
  let first = Infinity;
  for (const e of evidence) if (e.time < first) first = e.time;
  return {
    rule_id: t.id,
    category: t.category,
    severity: t.severity,
    title: t.title,
    description,
    techniques: [...t.techniques],
    evidence_event_ids: evidence.slice(0, limit).map((e) => e.id),
    first_evidence_time: first === Infinity ? 0 : first,
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : v])),
  };
}

/** Numbers in metadata: integers as is, others to 4 significant decimals, infinities spelled out. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 10_000) / 10_000);
}
