import type { Alert } from '../../lib/events.js';
import type { InputRecord, Stage, StageResult } from '../../lib/stream/stage.js';
import {
  ALERTS,
  BLUE_RESPONSES,
  type BlueResponse,
  type GapKind,
  isClockTick,
  PURPLE_DLQ,
  PURPLE_GAPS,
  type PurpleGap,
  RED_SCENARIOS,
  type RedScenario,
  resultId,
} from './model.js';

/**
 * purple: red-scenarios + rbp.alerts + blue-responses → purple-gaps, one result per scenario run.
 *
 * All three inputs are keyed by agent_id, so partition p of each holds the same entities; the stage keeps ONE
 * state per partition number across its inputs and must run on a co-partitioned runtime (lib/stream/coPartitionedRuntime.ts:
 * partition p of every input on one copy, all of them rebuilt together before any goes live).
 *
 * Semantics (all times are event times; nothing reads the wall clock):
 *  - watermark (when decisions are made): stream time synchronised across the inputs, as Kafka Streams does
 *    with max.task.idle.ms. Each input's time is the max event time read from it (a scenario's start_time, an
 *    alert's event_time, a response's responded_at; clock ticks, model.ts, count and are otherwise ignored).
 *    The watermark is the minimum over the inputs that still have unread records (ctx.caughtUp), capped at the
 *    max over all: an input lagging behind holds decisions back, an input that is caught up (idle, empty, an
 *    evasive scenario's missing alerts) does not.
 *  - matching alerts of a scenario: alerts on its agent_id with start ≤ event_time ≤ start + deadline + grace
 *    and the expected category (any when null), whether read before or after the scenario's start record
 *    (alerts are kept per entity). detected = one of them has event_time ≤ start + deadline; matched only after
 *    the deadline (within grace) = `late`.
 *  - time_to_detect = first matching alert's event_time − start (event time; detected_at, the wall-clock
 *    moment onnx-score emitted it, is not used, so replays and slow pipelines measure the same).
 *  - time_to_respond = earliest responded_at of a blue response to a matching alert − that alert's event_time.
 *  - unmatched_alert_ids: alerts on the entity in [start, start + deadline + grace] that match no known
 *    scenario of the entity (possible false positives).
 *  - decision: at the end of the first live batch after which the watermark is ≥ start + deadline + grace, with
 *    what is known then (it never waits for more input than that). A detected scenario without a response by
 *    then is `no_response`; responses after the decision are not reflected (they land on blue-responses for
 *    the record). gap: missed (no match) > late > no_response > null.
 * Exactly once: decisions depend on read positions, which a replay does not reproduce, so a replay never decides.
 * The rebuild also re-reads the stage's own output (rebuildInputs: purple-gaps, read-committed, same look-back)
 * and a scenario is decided iff its result is there; the live batches decide the rest, each in the transaction
 * that commits its input offset. rebuildLookbackMs covers the longest deadline + grace + slack.
 */
export interface PurpleConfig {
  /** After the deadline, how long a match still counts (as late) and how long the decision waits. */
  graceMs: number;
  /** Scenarios with a longer deadline are dead-lettered (bounds state and the rebuild re-read). */
  maxDeadlineMs: number;
  /** An input event time further ahead of its record time than this is dead-lettered (it would jump the watermark). */
  maxFutureSkewMs: number;
  /** Extra record-time re-read on rebuild, for record time vs event time skew. */
  rebuildSlackMs: number;
  /** At most this many alerts remembered per entity (oldest dropped first). */
  maxAlertsPerEntity: number;
}

export const DEFAULT_PURPLE_CONFIG: PurpleConfig = {
  graceMs: 30_000,
  maxDeadlineMs: 3_600_000,
  maxFutureSkewMs: 60_000,
  rebuildSlackMs: 120_000,
  maxAlertsPerEntity: 5000,
};

/** What the stage reads: its three inputs live, and its own results while rebuilding. */
export type PurpleInput = RedScenario | Alert | BlueResponse | PurpleGap;

interface KnownAlert {
  alert_id: string;
  category: string;
  event_time: number;
}

interface KnownScenario {
  scenario: RedScenario;
  resultId: string;
  /** start + deadline + grace: when it is decided. */
  decideAt: number;
  decided: boolean;
}

export interface PurpleState {
  partition: number;
  /** Logical input → max event time read from it (absent: nothing read yet). */
  inputTime: Map<string, number>;
  /** The synchronised watermark of the last live batch (decided_at of what it decided). */
  watermark: number;
  /** result_id → start_time of results read back from purple-gaps whose scenario record is not (yet) known. */
  emitted: Map<string, number>;
  /** result_id → scenario (pending and decided; decided ones kept for the unmatched rule and duplicates). */
  scenarios: Map<string, KnownScenario>;
  /** agent_id → alert_id → alert. */
  alerts: Map<string, Map<string, KnownAlert>>;
  /** alert_id → earliest responded_at seen. */
  responses: Map<string, number>;
}

type Out = StageResult & { dropped: Record<string, number> };

const isGap = (v: unknown): v is PurpleGap => typeof v === 'object' && v !== null && 'result_id' in v && 'decided_at' in v;
const isScenario = (v: unknown): v is RedScenario => typeof v === 'object' && v !== null && 'scenario_id' in v && 'exercise_id' in v;
const isResponse = (v: unknown): v is BlueResponse => typeof v === 'object' && v !== null && 'response_id' in v && 'responded_at' in v;
const isAlert = (v: unknown): v is Alert => typeof v === 'object' && v !== null && 'alert_id' in v && 'category' in v && 'event_time' in v;

const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isTime = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function createPurpleStage(config: Partial<PurpleConfig> = {}): Stage<PurpleInput, PurpleState> {
  const cfg: PurpleConfig = { ...DEFAULT_PURPLE_CONFIG, ...config };
  /** How long (event time) anything is kept after it can last matter. */
  const retentionMs = cfg.maxDeadlineMs + cfg.graceMs + cfg.rebuildSlackMs;

  const dead = (out: Out, record: InputRecord<PurpleInput>, reason: string, error: string) => {
    out.deadLetters.push({ record: record as InputRecord<unknown>, reason, error });
  };
  const drop = (out: Out, reason: string) => {
    out.dropped[reason] = (out.dropped[reason] ?? 0) + 1;
  };
  const advance = (state: PurpleState, input: string, t: number) => {
    if (t > (state.inputTime.get(input) ?? Number.NEGATIVE_INFINITY)) state.inputTime.set(input, t);
  };
  const maxEventTime = (state: PurpleState): number => Math.max(0, ...state.inputTime.values());
  /** Min over the inputs with unread records (one never read counts as time 0), capped at the max event time. */
  const synchronisedTime = (state: PurpleState, caughtUp: ReadonlySet<string>): number => {
    let t = maxEventTime(state);
    for (const input of INPUTS) if (!caughtUp.has(input)) t = Math.min(t, state.inputTime.get(input) ?? 0);
    return t;
  };
  const tooFarAhead = (record: InputRecord<PurpleInput>, t: number) => t > record.timestamp + cfg.maxFutureSkewMs;
  const wrongKey = (record: InputRecord<PurpleInput>, agentId: string) => record.key !== null && record.key !== agentId;

  const onScenario = (record: InputRecord<PurpleInput>, s: RedScenario, state: PurpleState, out: Out) => {
    if (!nonEmpty(s.exercise_id) || !nonEmpty(s.scenario_id) || !nonEmpty(s.agent_id)) return dead(out, record, 'invalid_scenario', 'exercise_id, scenario_id and agent_id must be non-empty');
    if (!isTime(s.start_time) || !isTime(s.end_time)) return dead(out, record, 'invalid_scenario', 'start_time and end_time must be times');
    if (wrongKey(record, s.agent_id)) return dead(out, record, 'wrong_key', `record key "${record.key}" is not the agent_id "${s.agent_id}" (inputs must be keyed by agent_id to be co-partitioned)`);
    if (tooFarAhead(record, s.start_time)) return dead(out, record, 'future_event_time', `start_time ${iso(s.start_time)} is more than ${cfg.maxFutureSkewMs} ms ahead of the record time ${iso(record.timestamp)}`);
    if (isClockTick(s)) {
      advance(state, RED_SCENARIOS, s.start_time);
      return drop(out, 'clock_tick');
    }
    if (s.end_time < s.start_time) return dead(out, record, 'invalid_scenario', `end_time ${iso(s.end_time)} is before start_time ${iso(s.start_time)}`);
    if (!Number.isInteger(s.deadline_ms) || s.deadline_ms < 0 || s.deadline_ms > cfg.maxDeadlineMs) {
      return dead(out, record, 'invalid_scenario', `deadline_ms must be 0..${cfg.maxDeadlineMs}, got ${s.deadline_ms}`);
    }
    advance(state, RED_SCENARIOS, s.start_time);
    const id = resultId(s.exercise_id, s.scenario_id);
    if (state.scenarios.has(id)) return drop(out, 'duplicate_scenario');
    state.scenarios.set(id, { scenario: s, resultId: id, decideAt: s.start_time + s.deadline_ms + cfg.graceMs, decided: state.emitted.delete(id) });
    drop(out, 'scenario_joined');
  };

  const onAlert = (record: InputRecord<PurpleInput>, a: Alert, state: PurpleState, out: Out) => {
    if (!nonEmpty(a.alert_id) || !nonEmpty(a.agent_id) || typeof a.category !== 'string') return dead(out, record, 'invalid_alert', 'alert_id, agent_id and category must be strings');
    if (!isTime(a.event_time)) return dead(out, record, 'invalid_alert', 'event_time is not a time');
    if (wrongKey(record, a.agent_id)) return dead(out, record, 'wrong_key', `record key "${record.key}" is not the agent_id "${a.agent_id}"`);
    if (tooFarAhead(record, a.event_time)) return dead(out, record, 'future_event_time', `event_time ${iso(a.event_time)} is more than ${cfg.maxFutureSkewMs} ms ahead of the record time ${iso(record.timestamp)}`);
    advance(state, ALERTS, a.event_time);
    let byId = state.alerts.get(a.agent_id);
    if (!byId) state.alerts.set(a.agent_id, (byId = new Map()));
    if (byId.has(a.alert_id)) return drop(out, 'duplicate_alert');
    byId.set(a.alert_id, { alert_id: a.alert_id, category: a.category, event_time: a.event_time });
    if (byId.size > cfg.maxAlertsPerEntity) byId.delete(byId.keys().next().value!);
    drop(out, 'alert_joined');
  };

  const onResponse = (record: InputRecord<PurpleInput>, r: BlueResponse, state: PurpleState, out: Out) => {
    if (!nonEmpty(r.response_id) || !nonEmpty(r.alert_id) || !nonEmpty(r.agent_id) || !nonEmpty(r.action)) return dead(out, record, 'invalid_response', 'response_id, alert_id, agent_id and action must be non-empty');
    if (!isTime(r.responded_at)) return dead(out, record, 'invalid_response', 'responded_at is not a time');
    if (wrongKey(record, r.agent_id)) return dead(out, record, 'wrong_key', `record key "${record.key}" is not the agent_id "${r.agent_id}"`);
    if (tooFarAhead(record, r.responded_at)) return dead(out, record, 'future_event_time', `responded_at ${iso(r.responded_at)} is more than ${cfg.maxFutureSkewMs} ms ahead of the record time ${iso(record.timestamp)}`);
    advance(state, BLUE_RESPONSES, r.responded_at);
    const seen = state.responses.get(r.alert_id);
    if (seen === undefined || r.responded_at < seen) state.responses.set(r.alert_id, r.responded_at);
    drop(out, 'response_joined');
  };

  /** A result already on purple-gaps (read back on rebuild): its scenario is decided, now or when its record is read. */
  const onEmitted = (g: PurpleGap, state: PurpleState, out: Out) => {
    const known = state.scenarios.get(g.result_id);
    if (known) known.decided = true;
    else state.emitted.set(g.result_id, g.start_time);
    drop(out, 'emitted_result');
  };

  const matches = (s: RedScenario, a: KnownAlert): boolean =>
    a.event_time >= s.start_time && a.event_time <= s.start_time + s.deadline_ms + cfg.graceMs && (s.expected_category === null || s.expected_category === a.category);

  const decide = (k: KnownScenario, state: PurpleState): PurpleGap => {
    const s = k.scenario;
    const entityAlerts = [...(state.alerts.get(s.agent_id)?.values() ?? [])].sort(byTimeThenId);
    const windowEnd = s.start_time + s.deadline_ms + cfg.graceMs;
    const matching = entityAlerts.filter((a) => matches(s, a));
    const inDeadline = matching.filter((a) => a.event_time <= s.start_time + s.deadline_ms);
    const detected = inDeadline.length > 0;
    const first = detected ? inDeadline[0] : matching[0];
    const others = [...state.scenarios.values()].filter((o) => o.scenario.agent_id === s.agent_id);
    const unmatched = entityAlerts.filter((a) => a.event_time >= s.start_time && a.event_time <= windowEnd && !others.some((o) => matches(o.scenario, a)));
    let respond: { at: number; alert: KnownAlert } | null = null;
    for (const a of matching) {
      const at = state.responses.get(a.alert_id);
      if (at !== undefined && (respond === null || at < respond.at || (at === respond.at && a.event_time < respond.alert.event_time))) respond = { at, alert: a };
    }
    const gap: GapKind | null = !first ? 'missed' : !detected ? 'late' : respond === null ? 'no_response' : null;
    return {
      result_id: k.resultId,
      exercise_id: s.exercise_id,
      scenario_id: s.scenario_id,
      techniques: [...s.techniques],
      agent_id: s.agent_id,
      detected,
      time_to_detect_ms: first ? first.event_time - s.start_time : null,
      time_to_respond_ms: respond ? respond.at - respond.alert.event_time : null,
      matching_alert_ids: matching.map((a) => a.alert_id),
      unmatched_alert_ids: unmatched.map((a) => a.alert_id),
      gap,
      start_time: s.start_time,
      decided_at: state.watermark,
    };
  };

  /** Live only: decides every pending scenario the synchronised watermark has passed, in (decision time, result id) order. */
  const decideDue = (state: PurpleState, caughtUp: ReadonlySet<string>, out: Out) => {
    state.watermark = synchronisedTime(state, caughtUp);
    const due = [...state.scenarios.values()].filter((k) => !k.decided && k.decideAt <= state.watermark);
    due.sort((a, b) => a.decideAt - b.decideAt || (a.resultId < b.resultId ? -1 : a.resultId > b.resultId ? 1 : 0));
    for (const k of due) {
      k.decided = true;
      out.outputs.push({ topic: PURPLE_GAPS, key: k.scenario.agent_id, value: decide(k, state) });
    }
  };

  /** Forgets what can no longer matter: decided scenarios, alerts and responses older than the retention. */
  const evict = (state: PurpleState) => {
    const horizon = maxEventTime(state) - retentionMs;
    for (const [id, k] of state.scenarios) if (k.decided && k.decideAt < horizon) state.scenarios.delete(id);
    for (const [id, start] of state.emitted) if (start < horizon) state.emitted.delete(id);
    for (const [agent, byId] of state.alerts) {
      for (const [id, a] of byId) if (a.event_time < horizon) byId.delete(id);
      if (!byId.size) state.alerts.delete(agent);
    }
    for (const [id, at] of state.responses) if (at < horizon) state.responses.delete(id);
  };

  return {
    name: 'purple',
    inputs: [...INPUTS],
    outputs: [PURPLE_GAPS],
    deadLetterTopic: PURPLE_DLQ,
    rebuildLookbackMs: cfg.maxDeadlineMs + cfg.graceMs + cfg.maxFutureSkewMs + cfg.rebuildSlackMs,
    rebuildInputs: [PURPLE_GAPS],
    createState: (_topic, partition) => ({ partition, inputTime: new Map(), watermark: 0, emitted: new Map(), scenarios: new Map(), alerts: new Map(), responses: new Map() }),
    process(batch, state, ctx) {
      const out: Out = { outputs: [], deadLetters: [], dropped: {} };
      for (const record of batch) {
        const v = record.value as unknown;
        if (isGap(v)) onEmitted(v, state, out);
        else if (isScenario(v)) onScenario(record, v, state, out);
        else if (isResponse(v)) onResponse(record, v, state, out);
        else if (isAlert(v)) onAlert(record, v, state, out);
        else dead(out, record, 'unknown_input', `not a RedScenario, Alert or BlueResponse (topic ${record.topic})`);
      }
      if (!ctx.replaying) {
        if (!ctx.caughtUp) throw new Error('purple needs read positions (ctx.caughtUp): run it on the co-partitioned runtime');
        decideDue(state, ctx.caughtUp, out);
      }
      evict(state);
      return out;
    },
  };
}

const INPUTS = [RED_SCENARIOS, ALERTS, BLUE_RESPONSES] as const;

const byTimeThenId = (a: KnownAlert, b: KnownAlert): number => a.event_time - b.event_time || (a.alert_id < b.alert_id ? -1 : a.alert_id > b.alert_id ? 1 : 0);

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
