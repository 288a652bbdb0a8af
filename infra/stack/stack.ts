import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clickhouseComponent } from './clickhouse.js';
import type { StackComponent } from './component.js';
import { type StackContext, stackContext } from './context.js';
import { kafkaComponent } from './kafka.js';
import { postgresComponent } from './postgres.js';
import { isAlive, portIsOpen, readPid, spawnDetached, StackError, stopProcess, tailOf, waitUntil } from './processes.js';
import { registryComponent } from './registry.js';

export const stackComponents: readonly StackComponent[] = [kafkaComponent, registryComponent, postgresComponent, clickhouseComponent];

export type StackEnv = Record<string, string>;

const pidFile = (ctx: StackContext, c: StackComponent) => join(ctx.stackDir, 'pids', `${c.name}.pid`);
const logFile = (ctx: StackContext, c: StackComponent) => join(ctx.stackDir, 'logs', `${c.name}.log`);
export const stackEnvFile = (ctx: StackContext) => join(ctx.stackDir, 'stack.env');

/**
 * Starts every part not already given by its environment variable, waits until each is healthy and
 * writes stack.env. Idempotent: parts already running are reused.
 */
export async function stackUp(ctx: StackContext = stackContext(), started: StackComponent[] = []): Promise<StackEnv> {
  mkdirSync(ctx.stackDir, { recursive: true });
  const env: StackEnv = {};
  // Installs first (downloads are the slow part), then start everything and wait in parallel.
  const toStart = stackComponents.filter((c) => !process.env[c.envVar]);
  for (const c of toStart) await c.prepare(ctx);
  const startedNow: StackComponent[] = [];
  const results = await Promise.allSettled(
    stackComponents.map(async (c) => {
      const given = process.env[c.envVar];
      env[c.envVar] = given ?? (await startComponent(ctx, c, () => startedNow.push(c)));
      if (given) ctx.progress(`  ${c.name}: using ${c.envVar} from the environment`);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // One part could not start: stop what this call started, so a failed start leaves no process behind.
    for (const c of startedNow.reverse()) await stopComponent(ctx, c);
    throw failed.reason;
  }
  started.push(...startedNow);
  writeFileSync(stackEnvFile(ctx), `${stackComponents.map((c) => `${c.envVar}=${env[c.envVar]}`).join('\n')}\n`, { mode: 0o600 });
  return env;
}

/** Reuses the part if it is running and healthy; otherwise starts it and calls `onStarted`. */
export async function startComponent(ctx: StackContext, c: StackComponent, onStarted: () => void = () => {}): Promise<string> {
  const address = c.address(ctx);
  const pid = readPid(pidFile(ctx, c));
  if (pid !== undefined && isAlive(pid) && (await c.healthy(address).catch(() => false))) {
    ctx.progress(`  ${c.name}: already running (pid ${pid}) at ${redact(address)}`);
    return address;
  }
  if (pid !== undefined) await stopProcess(pidFile(ctx, c));
  for (const port of c.ports(ctx)) {
    if (await portIsOpen(port)) {
      throw new StackError(`${c.name}: port ${port} on 127.0.0.1 is already taken by another program; free it or set the port variable (see README, "Local stack")`);
    }
  }
  const started = Date.now();
  const { command, args, env } = await c.command(ctx);
  const newPid = spawnDetached({ command, args, env, logFile: logFile(ctx, c), pidFile: pidFile(ctx, c) });
  try {
    await waitUntil(c.name, () => c.healthy(address), { pid: newPid, timeoutMs: c.startTimeoutMs, logFile: logFile(ctx, c) });
  } catch (err) {
    await stopProcess(pidFile(ctx, c), 5000);
    throw err;
  }
  onStarted();
  ctx.progress(`  ${c.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${newPid}) at ${redact(address)}`);
  return address;
}

export async function stopComponent(ctx: StackContext, c: StackComponent): Promise<boolean> {
  return stopProcess(pidFile(ctx, c));
}

/** Stops everything stack up started; leaves data in place unless asked to wipe it. */
export async function stackDown(ctx: StackContext = stackContext(), opts: { wipe?: boolean } = {}): Promise<void> {
  // Reverse order: the ClickHouse front and Postgres host first, the broker last.
  for (const c of [...stackComponents].reverse()) {
    if (await stopComponent(ctx, c)) ctx.progress(`  ${c.name}: stopped`);
  }
  rmSync(stackEnvFile(ctx), { force: true });
  if (opts.wipe) rmSync(ctx.stackDir, { recursive: true, force: true });
}

export async function stackStatus(ctx: StackContext = stackContext()): Promise<{ name: string; pid?: number; running: boolean; healthy: boolean; address: string }[]> {
  return Promise.all(
    stackComponents.map(async (c) => {
      const pid = readPid(pidFile(ctx, c));
      const running = pid !== undefined && isAlive(pid);
      const address = process.env[c.envVar] ?? c.address(ctx);
      const healthy = await c.healthy(address).catch(() => false);
      return { name: c.name, pid, running, healthy, address: redact(address) };
    }),
  );
}

/** Reads stack.env if the stack is up; the environment's own variables win. */
export function loadStackEnv(ctx: StackContext = stackContext()): StackEnv {
  const file = stackEnvFile(ctx);
  const env: StackEnv = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  for (const c of stackComponents) if (process.env[c.envVar]) env[c.envVar] = process.env[c.envVar]!;
  return env;
}

export function describeFailure(err: unknown): string {
  if (err instanceof StackError) {
    return err.logFile ? `${err.message}\n--- last lines of ${err.logFile} ---\n${tailOf(err.logFile)}` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

const redact = (address: string) => address.replace(/\/\/([^:/]+):[^@]+@/, '//$1:***@');
