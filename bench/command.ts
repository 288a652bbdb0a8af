import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeFailure } from '../infra/stack/stack.js';
import { fromRoot } from '../lib/paths.js';
import { summarizeProfiles } from './profiles.js';
import { formatReport, summaryLine } from './report.js';
import { type BenchOptions, runBench } from './run.js';

interface CliOptions {
  events: string;
  warmup?: string;
  rate: string;
  duration?: string;
  latencyWarmup?: string;
  quick?: boolean;
  only?: string;
  partitions?: string;
  nodeOptions?: string;
  cpuProf?: string;
  env: string[];
  produceChunk: string;
  linger: string;
  keep?: boolean;
  sample: string;
}

const PHASES = ['model', 'cost', 'passthrough', 'pipeline', 'latency'] as const;

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('Benchmarks on the local stack: throughput of the whole chain vs a passthrough chain, latency at a fixed load, peak RSS per stage, ONNX rows/s (never part of make test; last line: one JSON object)')
    .option('--events <n>', 'events replayed through each chain for throughput', '200000')
    .option('--warmup <n>', 'events replayed and drained before measuring (default 20000, quick 5000)')
    .option('--rate <eps>', 'offered load of the latency phase, events/s', '5000')
    .option('--duration <s>', 'duration of the latency phase (default 60, quick 15)')
    .option('--latency-warmup <s>', 'seconds at the offered load before the latency measurement, not measured (default 15, quick 5)')
    .option('--quick', 'short run: 50000 events, 15 s of latency, shorter model timings')
    .option('--only <phases>', `comma-separated subset of ${PHASES.join(',')}`)
    .option('--partitions <n>', 'partitions of every benchmark topic (default: topics/catalog.yaml)')
    .option('--node-options <flags>', 'NODE_OPTIONS for every stage process, e.g. "--max-old-space-size=160"')
    .option('--env <KEY=VALUE>', 'extra environment for every stage process (repeatable), e.g. SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION=2097152', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--cpu-prof <dir>', 'write a V8 CPU profile of every stage process to <dir> and print the top functions')
    .option('--produce-chunk <n>', 'messages per send of the benchmark producer', '1000')
    .option('--linger <ms>', 'latency phase: the producer sends what fell due every <ms> (a collector\'s linger)', '5')
    .option('--keep', 'keep the run\'s topics and database afterwards')
    .option('--sample <file>', 'telemetry JSONL the events are cloned from', fromRoot('samples/demo/telemetry.jsonl'))
    .action(async (cli: CliOptions) => {
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const tty = process.stderr.isTTY;
      let lastProgress = 0;
      const progress = (line: string) => {
        if (tty) {
          process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 160) - 1)}`);
        } else if (line && Date.now() - lastProgress >= 2000) {
          lastProgress = Date.now();
          process.stderr.write(`${line}\n`);
        }
      };
      try {
        const opts = parseOptions(cli, say, progress);
        const result = await runBench(opts);
        process.stdout.write(formatReport(result));
        if (opts.cpuProfDir) process.stdout.write(`CPU profiles (${opts.cpuProfDir}), self time:\n${summarizeProfiles(opts.cpuProfDir)}\n\n`);
        process.stdout.write(`${JSON.stringify(summaryLine(result))}\n`);
      } catch (err) {
        say(`\nsocflow bench failed: ${describeFailure(err)}`);
        if (process.env.SOCFLOW_BENCH_DEBUG && err instanceof Error) say(err.stack ?? '');
        process.exitCode = 1;
      }
    });
}

function int(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function parseOptions(cli: CliOptions, say: BenchOptions['say'], progress: BenchOptions['progress']): BenchOptions {
  const quick = !!cli.quick;
  const only = cli.only ? cli.only.split(',').map((s) => s.trim()) : [...PHASES];
  for (const p of only) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase "${p}" (phases: ${PHASES.join(', ')})`);
  const eventsGiven = cli.events !== '200000';
  return {
    events: quick && !eventsGiven ? 50_000 : int('events', cli.events, 1),
    warmup: cli.warmup !== undefined ? int('warmup', cli.warmup, 0) : quick ? 5000 : 20_000,
    rate: int('rate', cli.rate, 1),
    durationS: cli.duration !== undefined ? int('duration', cli.duration, 1) : quick ? 15 : 60,
    latencyWarmupS: cli.latencyWarmup !== undefined ? int('latency-warmup', cli.latencyWarmup, 0) : quick ? 5 : 15,
    modelSecondsEach: quick ? 0.5 : 2,
    costEvents: quick ? 20_000 : 50_000,
    phases: { model: only.includes('model'), cost: only.includes('cost'), passthrough: only.includes('passthrough'), pipeline: only.includes('pipeline'), latency: only.includes('latency') },
    partitions: cli.partitions ? int('partitions', cli.partitions, 1) : undefined,
    nodeOptions: cli.nodeOptions,
    stageEnv: Object.fromEntries(
      cli.env.map((kv) => {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got "${kv}"`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
    ),
    cpuProfDir: cli.cpuProf ? resolve(cli.cpuProf) : undefined,
    produceChunk: int('produce-chunk', cli.produceChunk, 1),
    lingerMs: int('linger', cli.linger, 1),
    keep: !!cli.keep,
    sample: cli.sample,
    say,
    progress,
  };
}
