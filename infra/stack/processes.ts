import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface DetachedSpec {
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a process that outlives this one (own process group, output to a log file) and records its pid. */
export function spawnDetached(spec: DetachedSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
  child.unref();
  writeFileSync(spec.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM the process group, then SIGKILL whatever is left after the grace period. */
export async function stopProcess(pidFile: string, graceMs = 15_000): Promise<boolean> {
  const pid = readPid(pidFile);
  if (pid === undefined) return false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (isAlive(pid)) {
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
  return true;
}

export function portIsOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function tailOf(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log written)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
}

/**
 * Polls `check` until it resolves true; fails fast when the process died, and with a timeout otherwise,
 * so a part that cannot start never hangs the caller.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { pid?: number; timeoutMs: number; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (opts.pid !== undefined && !isAlive(opts.pid)) {
      throw new StackError(`${what} exited during start-up`, opts.logFile);
    }
    await sleep(250);
  }
  throw new StackError(`${what} was not healthy after ${Math.round(opts.timeoutMs / 1000)} s`, opts.logFile);
}

export class StackError extends Error {
  constructor(
    message: string,
    readonly logFile?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}
