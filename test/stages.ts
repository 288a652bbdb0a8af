import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../lib/kafka/client.js';
import { fromRoot } from '../lib/paths.js';
import { uniqueName } from './kit.js';

/** A stage as its own OS process (`socflow run <stage>`), as in production, so tests can SIGKILL it. */
export class StageProcess {
  private child?: ChildProcess;
  readonly logFile: string;

  constructor(
    readonly stage: string,
    readonly env: NodeJS.ProcessEnv,
    readonly instance = 'test-0',
  ) {
    mkdirSync(fromRoot('.stack/test-logs'), { recursive: true });
    this.logFile = join(fromRoot('.stack/test-logs'), `${uniqueName(stage)}.log`);
  }

  start(): this {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [fromRoot('bin/socflow.js'), 'run', this.stage, '--instance', this.instance, '--metrics-port', '-1'], {
      env: { ...process.env, ...this.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    return this;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown hook runs, open transactions stay open until fenced. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
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

/**
 * Reads a topic from the beginning with a fresh group, read-committed, until `done` says so or no new
 * record arrived for `idleMs`; returns the raw records.
 */
export async function readTopic(topic: string, opts: { done?: (n: number) => boolean; idleMs?: number; timeoutMs?: number } = {}): Promise<{ key: string | null; value: Buffer; partition: number; offset: string }[]> {
  const consumer = createKafka('socflow-test-reader').consumer({ groupId: uniqueName('reader'), readUncommitted: false, maxWaitTimeInMs: 100 });
  const records: { key: string | null; value: Buffer; partition: number; offset: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      records.push({ key: message.key?.toString() ?? null, value: message.value!, partition, offset: message.offset });
      last = Date.now();
    },
  });
  const started = Date.now();
  const idleMs = opts.idleMs ?? 3000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  while (Date.now() - started < timeoutMs) {
    await sleep(200);
    if (opts.done?.(records.length)) break;
    if (!opts.done && Date.now() - last > idleMs) break;
  }
  await consumer.disconnect();
  return records;
}
