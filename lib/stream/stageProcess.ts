import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromRoot } from '../paths.js';

/**
 * The environment of a stage process: the caller's, then `env`, with glibc's malloc held to two arenas
 * unless the caller set MALLOC_ARENA_MAX. Why: by default glibc gives each thread that allocates (V8's GC
 * and compiler helpers, libuv's pool) its own arena, up to 8 per core, and freed buffers (kafkajs's fetch
 * and produce buffers are malloc'd backing stores) stay spread over them. `bench --only pipeline,latency`,
 * same host: peak RSS correlate 221 → 202–207 MB, normalize 190 → 185 MB, with the stages' CPU per unit of
 * the benchmark producer's CPU unchanged (docs/BENCHMARKS.md). glibc reads it when the process starts, so
 * the parent sets it (the Dockerfile does for docker-compose).
 */
export function stageProcessEnv(env: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '2', ...base, ...env, LOG_LEVEL: 'warn' };
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
