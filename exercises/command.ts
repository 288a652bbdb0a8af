import type { Command } from 'commander';
import { describeFailure } from '../infra/stack/stack.js';
import { BLUE_ACTIONS, responseId } from '../processors/purple/model.js';
import { exerciseNamespace, runEndToEnd } from './endToEnd.js';
import { publishResponse, readAll } from './io.js';
import { awaitResults, collectReport, defaultReportPath, runScenarios, summaryLine, writeHtmlReport } from './run.js';
import { formatCoverage } from './report.js';
import type { Alert } from '../lib/events.js';

/** `socflow exercise run | respond | report`: purple-team exercises (exercises/scenarios, processors/purple). */
export function registerExerciseCommand(program: Command): void {
  const exercise = program.command('exercise').description('Purple-team exercises: red scenarios from exercises/, blue responses, purple results and reports');
  const say = (line: string) => process.stderr.write(`${line}\n`);

  exercise
    .command('run')
    .description('Validate the scenario file(s), then publish a start record per scenario on red-scenarios and the telemetry on rbp.metrics (event times rebased to now)')
    .argument('<scenarios>', 'a scenario YAML file or a directory of them')
    .option('--exercise-id <id>', 'exercise id (default: generated)')
    .option('--report', 'end to end on the local stack (make exercise): start what is not running and every stage, run, wait for every result, write the HTML report; last line JSON')
    .option('--out <file>', 'with --report: where the HTML report goes (default .stack/reports/exercise-<id>.html)')
    .option('--keep-running', 'with --report: leave the stages and the stack running')
    .option('--wait', 'against a running pipeline: send clock ticks until every scenario has its result, then print the coverage and write the HTML report')
    .action(async (path: string, opts: { exerciseId?: string; report?: boolean; out?: string; keepRunning?: boolean; wait?: boolean }) => {
      try {
        if (opts.report) {
          const { report, path: file } = await runEndToEnd({ path, exerciseId: opts.exerciseId, reportPath: opts.out, keepRunning: !!opts.keepRunning, say });
          process.stdout.write(formatCoverage(report));
          say(`report: ${file}`);
          process.stdout.write(`${summaryLine(report, file)}\n`);
        } else {
          const { exerciseId, runs } = await runScenarios({ path, exerciseId: opts.exerciseId, say });
          if (opts.wait) {
            say('==> waiting for one result per scenario on purple-gaps');
            const gaps = await awaitResults(exerciseId, runs, { say });
            const report = await collectReport(exerciseId, { gaps });
            const file = writeHtmlReport(report, opts.out);
            process.stdout.write(formatCoverage(report));
            say(`report: ${file}`);
            process.stdout.write(`${summaryLine(report, file)}\n`);
          } else {
            process.stdout.write(`${JSON.stringify({ exercise_id: exerciseId, scenarios: runs.length, events: runs.reduce((n, r) => n + r.events.length, 0) })}\n`);
          }
        }
      } catch (err) {
        say(`socflow exercise run failed: ${describeFailure(err)}`);
        process.exitCode = 1;
      }
    });

  exercise
    .command('respond')
    .description('Publish a blue response (an analyst action on an alert) to blue-responses')
    .argument('<alert-id>', 'the alert acted on')
    .argument('<action>', BLUE_ACTIONS.join(' | '))
    .option('--actor <name>', 'who acted', process.env.USER ?? 'analyst')
    .option('--agent <agent-id>', 'the alert\'s agent_id (default: looked up on rbp.alerts)')
    .action(async (alertId: string, action: string, opts: { actor: string; agent?: string }) => {
      if (!(BLUE_ACTIONS as readonly string[]).includes(action)) throw new Error(`action must be one of ${BLUE_ACTIONS.join(', ')}, got "${action}"`);
      const agentId = opts.agent ?? (await findAlertAgent(alertId));
      const respondedAt = Date.now();
      const response = { response_id: responseId(alertId, action, respondedAt), alert_id: alertId, agent_id: agentId, action, actor: opts.actor, responded_at: respondedAt };
      await publishResponse(response);
      process.stdout.write(`${JSON.stringify(response)}\n`);
    });

  exercise
    .command('report')
    .description('Read an exercise\'s results from the topics, print the ATT&CK coverage table and write a self-contained HTML report')
    .argument('<exercise-id>')
    .option('--format <format>', 'text (coverage table) or json', 'text')
    .option('--out <file>', 'HTML report path (default .stack/reports/exercise-<id>.html)')
    .option('--prefix <prefix>', 'topic prefix of the exercise (default: SOCFLOW_TOPIC_PREFIX, or the namespace of a make-exercise run)')
    .action(async (exerciseId: string, opts: { format: string; out?: string; prefix?: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new Error(`--format must be text or json, got "${opts.format}"`);
      if (opts.prefix !== undefined) process.env.SOCFLOW_TOPIC_PREFIX = opts.prefix;
      else if (!process.env.SOCFLOW_TOPIC_PREFIX && exerciseNamespace(exerciseId)) process.env.SOCFLOW_TOPIC_PREFIX = exerciseNamespace(exerciseId)!;
      const report = await collectReport(exerciseId);
      const path = writeHtmlReport(report, opts.out ?? defaultReportPath(exerciseId));
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify({ ...report, report: path })}\n`);
      else {
        process.stdout.write(formatCoverage(report));
        process.stdout.write(`report: ${path}\n`);
      }
    });
}

async function findAlertAgent(alertId: string): Promise<string> {
  const alerts = await readAll<Alert>('rbp.alerts', { idleMs: 2000, done: (v) => v.some((a) => a.alert_id === alertId) });
  const found = alerts.find((a) => a.alert_id === alertId);
  if (!found) throw new Error(`alert ${alertId} is not on rbp.alerts; pass --agent <agent-id>`);
  return found.agent_id;
}
