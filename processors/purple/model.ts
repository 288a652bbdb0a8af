import { createHash } from 'node:crypto';

/** Value of red-scenarios (schemas/avro/red-scenario.avsc). */
export interface RedScenario {
  exercise_id: string;
  scenario_id: string;
  name: string;
  techniques: string[];
  agent_id: string;
  host: string;
  start_time: number;
  end_time: number;
  expected_category: string | null;
  deadline_ms: number;
  evasive: boolean;
}

/** Value of blue-responses (schemas/avro/blue-response.avsc). */
export interface BlueResponse {
  response_id: string;
  alert_id: string;
  agent_id: string;
  action: string;
  actor: string;
  responded_at: number;
}

export type GapKind = 'missed' | 'late' | 'no_response';

/** Value of purple-gaps (schemas/avro/purple-gap.avsc). */
export interface PurpleGap {
  result_id: string;
  exercise_id: string;
  scenario_id: string;
  techniques: string[];
  agent_id: string;
  detected: boolean;
  time_to_detect_ms: number | null;
  time_to_respond_ms: number | null;
  matching_alert_ids: string[];
  unmatched_alert_ids: string[];
  gap: GapKind | null;
  start_time: number;
  decided_at: number;
}

export const RED_SCENARIOS = 'red-scenarios';
export const ALERTS = 'rbp.alerts';
export const BLUE_RESPONSES = 'blue-responses';
export const PURPLE_GAPS = 'purple-gaps';
export const PURPLE_DLQ = 'rbp.alerts.dlq';

export const BLUE_ACTIONS = ['acknowledged', 'resolved', 'false_positive'] as const;

/**
 * A clock tick: a red-scenarios record that only advances its partition's event time (punctuation), so a
 * scenario on a quiet entity is still decided at start + deadline + grace. `socflow exercise run` sends
 * ticks for its target entities while it waits for results; the purple stage never reports one.
 */
export const CLOCK_SCENARIO_ID = '_clock';

export const isClockTick = (s: RedScenario): boolean => s.scenario_id === CLOCK_SCENARIO_ID;

export function clockTick(exerciseId: string, agentId: string, time: number): RedScenario {
  return {
    exercise_id: exerciseId,
    scenario_id: CLOCK_SCENARIO_ID,
    name: 'clock tick',
    techniques: [],
    agent_id: agentId,
    host: '',
    start_time: time,
    end_time: time,
    expected_category: null,
    deadline_ms: 0,
    evasive: false,
  };
}

/** result_id of a scenario run: first 32 hex of sha256(exercise id NUL scenario id). */
export const resultId = (exerciseId: string, scenarioId: string): string =>
  createHash('sha256').update(`${exerciseId}\u0000${scenarioId}`).digest('hex').slice(0, 32);

/** response_id of an analyst action: first 32 hex of sha256(alert id, action, time). */
export const responseId = (alertId: string, action: string, respondedAt: number): string =>
  createHash('sha256').update(`${alertId}\u0000${action}\u0000${respondedAt}`).digest('hex').slice(0, 32);
