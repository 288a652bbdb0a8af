import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromRoot } from '../paths.js';

/** V8's young generation of a stage process: two semi-spaces of 8 MB instead of Node's 16 MB. */
export const STAGE_YOUNG_GENERATION = '--max-semi-space-size=8';

/**
 * The environment of a stage process: the caller's, then `env`, with two memory settings the caller did not
 * make itself. Both are read when the process starts, so the parent sets them (the Dockerfile does for
 * docker-compose); docs/BENCHMARKS.md has the runs behind them.
 * - MALLOC_ARENA_MAX=2: glibc otherwise gives each thread that allocates (V8's GC and compiler helpers,
 *   libuv's pool) its own arena, up to 8 per core, and the freed backing stores of kafkajs's buffers stay
 *   spread over them: peak RSS correlate 221 → 202–212 MB, at no CPU cost measured.
 * - STAGE_YOUNG_GENERATION in NODE_OPTIONS: the 32 MB young generation is reserved whole; since a stage
 *   transforms a batch in slices (objects die young) 16 MB cost no CPU measured, and with both settings
 *   every stage stayed under 200 MB (correlate 188–191 MB).
 */
export function stageProcessEnv(env: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { MALLOC_ARENA_MAX: '2', ...base, ...env, LOG_LEVEL: 'warn' };
  const nodeOptions = merged.NODE_OPTIONS ?? '';
  if (!nodeOptions.includes('--max-semi-space-size')) merged.NODE_OPTIONS = `${nodeOptions} ${STAGE_YOUNG_GENERATION}`.trim();
  return merged;
}

/** A stage as its own OS process (`socflow run <stage>`), as in production, so tests can SIGKILL it. */
export class StageProcess {
  private exits = 0;
  private child?: ChildProcess;
  readonly logFile: string;

  constructor(
    readonly stage: string,
    readonly env: NodeJS.ProcessEnv,
    readonly instance = 'test-0',
    logDir = fromRoot('.stack/stage-logs'),
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `${stage}-${instance}-${process.pid}-${Date.now().toString(36)}.log`);
  }

  start(): this {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [fromRoot('bin/socflow.js'), 'run', this.stage, '--instance', this.instance, '--metrics-port', '-1'], {
      env: stageProcessEnv(this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.child.once('exit', () => (this.exits += 1));
    return this;
  }

  /** How many times a started copy has exited (by a kill or on its own). */
  get exitCount(): number {
    return this.exits;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown hook runs, open transactions stay open until fenced. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: a zombie — alive, holding what it had open, but silent to the group until `resume`. */
  pause(): void {
    if (this.alive) this.child!.kill('SIGSTOP');
  }

  resume(): void {
    if (this.alive) this.child!.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(sig);
    await Promise.race([exited, sleep(25_000).then(() => child.kill('SIGKILL'))]);
  }
}
