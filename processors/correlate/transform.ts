import { hasTrafficAttributes } from '../../lib/connectionAttributes.js';
import type { EventType, TelemetryEvent } from '../../lib/events.js';
import type { DeadLetter, InputRecord, OutputRecord, Stage, StageResult } from '../../lib/stream/stage.js';
import { type AuthState, createAuthState, observeAuth } from './authBursts.js';
import { observeCompliance } from './compliance.js';
import { createFindingState, type FindingState, observeFinding } from './findingAggregates.js';
import { evictStale, touch } from './lru.js';
import { createMetricState, type MetricState, observeMetrics } from './metricStats.js';
import { type CorrelateRules, rebuildLookback } from './rules.js';
import type { CorrelatedEvent, FeatureSource, Signal } from './signal.js';
import { ConnWindow } from './connWindow.js';
import { observeConnection, toConn } from './trafficWindow.js';
import { eventProblem } from './validateEvent.js';

export const INPUT_TOPIC = 'rbp.normalized';
export const OUTPUT_TOPIC = 'rbp.correlated';
export const DLQ_TOPIC = 'rbp.normalized.dlq';

/** Everything one entity (agent_id) has in its windows; parts are created on first use. */
interface EntityState {
  /**
   * Latest event time seen per event type (lateness is judged per stream, as sources lag differently),
   * over the records of the last rebuild look-back in record time, so a rebuild gets the same value even
   * when event times are far from record times (scan times of findings): a monotonic deque.
   */
  maxSeen: Partial<Record<EventType, { time: number; ts: number }[]>>;
  traffic?: ConnWindow;
  auth?: AuthState;
  metrics?: MetricState;
  findings?: FindingState;
  /** Latest Kafka record time of the entity: an entity silent for longer than the rebuild look-back is dropped. */
  lastRecordTs: number;
}

export interface CorrelateState {
  entities: Map<string, EntityState>;
  maxRecordTs: number;
  /** Cumulative counters of this partition since the state was (re)built. */
  stats: { late_forwarded: number; late_dropped: number };
}

/** StageResult plus the late connections that were forwarded (so in = out + dropped + dlq still holds). */
export interface CorrelateResult extends StageResult {
  late_forwarded: number;
}

const MAX_ENTITIES = 100_000;
const MAX_SEEN_DEQUE = 256;

export function createCorrelateStage(rules: CorrelateRules): Stage<TelemetryEvent, CorrelateState> & {
  process(batch: InputRecord<TelemetryEvent>[], state: CorrelateState): CorrelateResult;
} {
  const lookback = rebuildLookback(rules);
  return {
    name: 'correlate',
    inputs: [INPUT_TOPIC],
    outputs: [OUTPUT_TOPIC],
    deadLetterTopic: DLQ_TOPIC,
    rebuildLookbackMs: lookback,
    createState: () => ({ entities: new Map(), maxRecordTs: -Infinity, stats: { late_forwarded: 0, late_dropped: 0 } }),
    process(batch, state) {
      const outputs: OutputRecord[] = [];
      const deadLetters: DeadLetter[] = [];
      const dropped: Record<string, number> = {};
      let lateForwarded = 0;
      for (const record of batch) {
        // Forget entities whose whole input is older than a rebuild would re-read (per record, so the
        // result does not depend on batch boundaries).
        state.maxRecordTs = Math.max(state.maxRecordTs, record.timestamp);
        evictStale(state.entities, (e) => e.lastRecordTs < state.maxRecordTs - lookback);

        const problem = eventProblem(record.value);
        if (problem) {
          deadLetters.push({ record, reason: 'invalid_event', error: problem });
          continue;
        }
        const event = record.value;
        const entity = touch(state.entities, event.agent_id, () => ({ maxSeen: {}, lastRecordTs: record.timestamp }), MAX_ENTITIES);
        entity.lastRecordTs = Math.max(entity.lastRecordTs, record.timestamp);
        let result: Correlated;
        try {
          result = correlate(entity, event, record.timestamp, rules, lookback);
        } catch (err) {
          deadLetters.push({ record, reason: 'correlate_error', error: (err as Error).message });
          continue;
        }
        if (result.late) {
          if (result.value) {
            lateForwarded++;
            state.stats.late_forwarded++;
          } else {
            dropped.late = (dropped.late ?? 0) + 1;
            state.stats.late_dropped++;
            continue;
          }
        }
        if (!result.value) {
          dropped.no_signal = (dropped.no_signal ?? 0) + 1;
          continue;
        }
        outputs.push({ topic: OUTPUT_TOPIC, key: event.agent_id, value: result.value });
      }
      return { outputs, deadLetters, dropped, late_forwarded: lateForwarded };
    },
  };
}

interface Correlated {
  value: CorrelatedEvent | null;
  late: boolean;
}

/** One event against its entity's windows. Reads nothing but the event's fields below, never `metadata`. */
function correlate(entity: EntityState, event: TelemetryEvent, ts: number, rules: CorrelateRules, lookback: number): Correlated {
  const t = event.event_time;
  const lateness = event.type === 'FINDING' ? rules.findings.max_lateness_ms : rules.max_lateness_ms;
  const seen = (entity.maxSeen[event.type] ??= []);
  while (seen.length && seen[0].ts < ts - lookback) seen.shift();
  const maxSeen = seen.length ? seen[0].time : undefined;
  const inTime = event.type === 'COMPLIANCE' || maxSeen === undefined || t >= maxSeen - lateness;
  if (inTime) {
    while (seen.length && seen[seen.length - 1].time <= t) seen.pop();
    seen.push({ time: t, ts });
    if (seen.length > MAX_SEEN_DEQUE) seen.splice(0, seen.length - MAX_SEEN_DEQUE);
  }
  const watermark = seen[0].time - lateness;
  const limit = rules.evidence_limit;
  const forward = (signals: Signal[], e: TelemetryEvent = event, features: FeatureSource = 'NONE'): CorrelatedEvent | null =>
    signals.length || e.type === 'CONNECTION' ? { event: e, traffic_features: features, signals } : null;

  switch (event.type) {
    case 'CONNECTION': {
      const conn = toConn(event.payload, t, rules.traffic);
      const measured = hasTrafficAttributes(event.payload);
      const features = observeConnection((entity.traffic ??= new ConnWindow()), conn, inTime, watermark, rules.traffic, !measured);
      if (measured) return { value: forward([], event, 'SENSOR'), late: !inTime };
      return { value: forward([], { ...event, payload: { ...event.payload, ...features } }, 'COMPUTED'), late: !inTime };
    }
    case 'COMPLIANCE':
      return { value: forward(observeCompliance(event, event.payload, rules.compliance, limit)), late: false };
    default:
      break;
  }
  if (!inTime) return { value: null, late: true };
  switch (event.type) {
    case 'AUTH':
      return { value: forward(observeAuth((entity.auth ??= createAuthState()), event, event.payload, watermark, rules.auth, limit)), late: false };
    case 'METRIC':
      return {
        value: forward(observeMetrics((entity.metrics ??= createMetricState()), event, event.payload.metrics, watermark, rules.metrics, limit)),
        late: false,
      };
    case 'FINDING':
      return {
        value: forward(observeFinding((entity.findings ??= createFindingState()), event, event.payload, ts, watermark, rules.findings, limit, ts - lookback)),
        late: false,
      };
  }
}
