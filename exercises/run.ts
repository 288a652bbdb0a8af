import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromRoot } from '../lib/paths.js';
import { PURPLE_GAPS, type PurpleGap } from '../processors/purple/model.js';
import { DEFAULT_PURPLE_CONFIG } from '../processors/purple/stage.js';
import { followTopic, publishExercise, readAlertsOf, readGaps, readResponses, readScenarios, redProducer } from './io.js';
import { ambiguousPairs, planExercise, type ScenarioRun } from './red.js';
import { buildReport, type ExerciseReport, renderHtml } from './report.js';
import { loadScenarios, type Scenario } from './scenario.js';

export const newExerciseId = (): string => `ex-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;

export const defaultReportPath = (exerciseId: string): string => fromRoot('.stack', 'reports', `exercise-${exerciseId}.html`);

export interface RunOptions {
  path: string;
  exerciseId?: string;
  say: (line: string) => void;
}

/** `socflow exercise run`: validates the library, then publishes start records and telemetry. */
export async function runScenarios(opts: RunOptions): Promise<{ exerciseId: string; runs: ScenarioRun[] }> {
  return publishScenarios(loadScenarios(opts.path), opts);
}

/** Publishes already loaded scenarios as one exercise. */
export async function publishScenarios(scenarios: Scenario[], opts: { exerciseId?: string; say: (line: string) => void }): Promise<{ exerciseId: string; runs: ScenarioRun[] }> {
  const exerciseId = opts.exerciseId ?? newExerciseId();
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(exerciseId)) throw new Error(`--exercise-id must match [A-Za-z0-9._-]{1,100}, got "${exerciseId}"`);
  const { runs, events } = planExercise(scenarios, exerciseId, Date.now());
  for (const [a, b] of ambiguousPairs(runs)) opts.say(`  warning: ${a} and ${b} target one entity with overlapping windows and categories; their results may share alerts`);
  for (const r of runs) {
    const slack = r.record.start_time + r.record.deadline_ms + DEFAULT_PURPLE_CONFIG.graceMs - r.record.end_time;
    if (slack < 30_000) opts.say(`  warning: ${r.record.scenario_id} is decided ${Math.round(slack / 1000)} s of event time after its last red event; the pipeline may not be done by then`);
  }
  opts.say(`==> exercise ${exerciseId}: ${runs.length} scenarios, ${events.length} events`);
  await publishExercise(runs, events, opts.say);
  return { exerciseId, runs };
}

/**
 * Waits for one result per scenario on purple-gaps, sending clock ticks (event time = now − settleMs) for the
 * target entities so a quiet partition's scenarios are still decided.
 */
export async function awaitResults(exerciseId: string, runs: ScenarioRun[], opts: { say: (line: string) => void; settleMs?: number; tickMs?: number; timeoutMs?: number; onWait?: () => void }): Promise<PurpleGap[]> {
  const settle = opts.settleMs ?? 10_000;
  const got = new Map<string, PurpleGap>();
  const follower = await followTopic<PurpleGap>(PURPLE_GAPS, (g) => {
    if (g.exercise_id === exerciseId && !got.has(g.scenario_id)) got.set(g.scenario_id, g);
  });
  const red = await redProducer();
  const agents = [...new Set(runs.map((r) => r.record.agent_id))];
  const lastDecision = Math.max(...runs.map((r) => r.record.start_time + r.record.deadline_ms + DEFAULT_PURPLE_CONFIG.graceMs));
  const deadline = Date.now() + Math.max(0, lastDecision - Date.now()) + settle + (opts.timeoutMs ?? 180_000);
  let lastSaid = 0;
  try {
    while (got.size < runs.length) {
      if (Date.now() > deadline) throw new Error(`only ${got.size}/${runs.length} results on purple-gaps; missing: ${runs.filter((r) => !got.has(r.record.scenario_id)).map((r) => r.record.scenario_id).join(', ')} (is the purple stage running?)`);
      opts.onWait?.();
      await red.tick(exerciseId, agents, Date.now() - settle);
      if (Date.now() - lastSaid > 10_000) {
        lastSaid = Date.now();
        opts.say(`  results ${got.size}/${runs.length}; the last is decided in about ${Math.max(0, Math.round((lastDecision + settle - Date.now()) / 1000))} s`);
      }
      await new Promise((r) => setTimeout(r, opts.tickMs ?? 2000));
    }
  } finally {
    await red.close();
    await follower.stop();
  }
  opts.say(`  results ${got.size}/${runs.length}`);
  return [...got.values()];
}

/** Builds the report of an exercise from the topics (red-scenarios, purple-gaps, rbp.alerts, blue-responses). */
export async function collectReport(exerciseId: string, opts: { gaps?: PurpleGap[]; idleMs?: number } = {}): Promise<ExerciseReport> {
  const idleMs = opts.idleMs ?? 2500;
  const scenarios = await readScenarios(exerciseId, { idleMs });
  if (!scenarios.length) throw new Error(`no scenario of exercise "${exerciseId}" on red-scenarios (topic prefix "${process.env.SOCFLOW_TOPIC_PREFIX ?? ''}")`);
  const gaps = opts.gaps ?? (await readGaps(exerciseId, { idleMs }));
  const alerts = await readAlertsOf(new Set(scenarios.map((s) => s.agent_id)), { idleMs });
  const responses = await readResponses(new Set(alerts.map((a) => a.alert_id)), { idleMs });
  return buildReport({ exerciseId, scenarios, gaps, alerts, responses, graceMs: DEFAULT_PURPLE_CONFIG.graceMs, generatedAt: Date.now() });
}

export function writeHtmlReport(report: ExerciseReport, path = defaultReportPath(report.exercise_id)): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderHtml(report, DEFAULT_PURPLE_CONFIG.graceMs));
  return path;
}

/** The last line of `make exercise`. */
export function summaryLine(report: ExerciseReport, path: string): string {
  const s = report.summary;
  return JSON.stringify({ exercise_id: report.exercise_id, scenarios: s.scenarios, detected: s.detected, late: s.late, missed: s.missed, techniques: s.techniques, techniques_detected: s.techniques_detected, report: path });
}
