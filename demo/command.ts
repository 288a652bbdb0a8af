import type { Command } from 'commander';
import { fromRoot } from '../lib/paths.js';
import { describeFailure } from '../infra/stack/stack.js';
import { formatSummary } from './summary.js';
import { runDemo } from './run.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('The main job: local stack, topics and schemas, every stage, replay of the bundled sample telemetry, summary (last line: one JSON object)')
    .option('--sample <file>', 'telemetry JSONL to replay', fromRoot('samples/demo/telemetry.jsonl'))
    .option('--keep-running', 'leave the stages and the stack running afterwards')
    .action(async (opts: { sample: string; keepRunning?: boolean }) => {
      const say = (line: string) => process.stderr.write(`${line}\n`);
      try {
        const s = await runDemo({ sample: opts.sample, keepRunning: !!opts.keepRunning, say });
        process.stdout.write(formatSummary(s));
        const { events_in, normalized, dlq, duplicates, alerts, quota_updates, proposals } = s;
        process.stdout.write(`${JSON.stringify({ events_in, normalized, dlq, duplicates, alerts, quota_updates, proposals, alerts_by_severity: s.alerts_by_severity, alerts_by_category: s.alerts_by_category })}\n`);
      } catch (err) {
        say(`socflow demo failed: ${describeFailure(err)}`);
        process.exitCode = 1;
      }
    });
}
