import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { fromRoot } from '../lib/paths.js';
import { stageProcessEnv } from '../lib/stream/stageProcess.js';

/** What the benchmark needs of a stage process, whichever command it runs. */
export interface BenchProcess {
  readonly stage: string;
  readonly logFile: string;
  readonly alive: boolean;
  stop(): Promise<void>;
}

/** A passthrough hop (bench/hop.ts) as its own OS process, started like StageProcess starts `socflow run`. */
export class HopProcess implements BenchProcess {
  private child?: ChildProcess;
  readonly logFile: string;

  constructor(
    readonly stage: string,
    readonly env: NodeJS.ProcessEnv,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `passthrough-${stage}-${process.pid}-${Date.now().toString(36)}.log`);
  }

  start(): this {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [fromRoot('dist/bench/hop.js'), this.stage, 'bench-0'], {
      env: stageProcessEnv(this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    return this;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(25_000).then(() => child.kill('SIGKILL'))]);
  }
}

/**
 * Batches a stage process gave up on and re-read, from its log: a Kafka → Kafka stage's aborted transaction
 * (then its partition's state is rebuilt from the log: seconds of latency) or a sink's failed write.
 */
export function failedBatches(proc: BenchProcess): number {
  let log = '';
  try {
    log = readFileSync(proc.logFile, 'utf8');
  } catch {
    return 0; // no log: the process never wrote a line
  }
  return log.split('\n').filter((line) => line.includes('"msg":"batch failed') || line.includes('"msg":"sink write failed')).length;
}

/** Waits until every group is Stable with at least one member (its process has joined and holds partitions). */
export async function waitGroupsStable(admin: Admin, groupIds: string[], opts: { timeoutMs: number; check?: () => void }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    opts.check?.();
    const { groups } = await admin.describeGroups(groupIds);
    const notReady = groups.filter((g) => g.state !== 'Stable' || g.members.length === 0);
    if (!notReady.length) return;
    last = notReady.map((g) => `${g.groupId}: ${g.state}`).join(', ');
    await sleep(250);
  }
  throw new Error(`consumer groups not ready after ${opts.timeoutMs / 1000} s: ${last}`);
}

/** Fails with the log's tail when a stage process died. */
export function assertAlive(procs: BenchProcess[]): void {
  const dead = procs.find((p) => !p.alive);
  if (!dead) return;
  let tail = '';
  try {
    tail = readFileSync(dead.logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no log yet
  }
  throw new Error(`${dead.stage} exited; see ${dead.logFile}\n${tail}`);
}

/** The fields of /proc/<pid>/stat after the command name (fields[0] is field 3, the state); null once it is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used: fields 14 and 15, in clock ticks (USER_HZ = 100 on Linux). */
export function cpuSecondsOf(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : null;
}

/**
 * Seconds all cores spent stolen by the hypervisor (/proc/stat's first line, field 8, in USER_HZ ticks): on
 * a shared virtual machine this is time the run wanted a core and did not get one.
 */
export function stolenCpuSeconds(stat = readFileSync('/proc/stat', 'utf8')): number | null {
  const cpu = stat.split('\n').find((l) => l.startsWith('cpu '));
  const steal = cpu ? Number(cpu.trim().split(/\s+/)[8]) : NaN;
  return Number.isFinite(steal) ? steal / 100 : null;
}

/** Seconds since a process started (field 22, in clock ticks since boot), or null. */
export function processAgeSeconds(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  const startTicks = Number(fields[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Number.isFinite(startTicks) && Number.isFinite(uptime) ? uptime - startTicks / 100 : null;
}

/** The pid recorded by `socflow stack up` for a stack part, if any. */
export function stackPid(stackDir: string, part: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(stackDir, 'pids', `${part}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
