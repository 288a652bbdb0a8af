import { readdirSync, readFileSync } from 'node:fs';
import { cpuSecondsOf } from './processes.js';

/** A child process of this one, by what it runs. */
export interface ChildInfo {
  pid: number;
  cmdline: string[];
}

/** Direct children of `parent`, read from /proc (Linux). */
export function childrenOf(parent = process.pid): ChildInfo[] {
  const out: ChildInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      // the process exited while we looked
    }
  }
  return out;
}

/** VmRSS and VmHWM (peak RSS) of a process in MiB, or null once it is gone. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Samples the peak RSS (VmHWM, which the kernel keeps per process, so short spikes between samples count) of
 * every child process, named by `nameOf` (undefined: not ours to watch). Keeps the maximum per name across
 * restarts and phases.
 */
export class RssSampler {
  readonly peakMb = new Map<string, number>();
  readonly lastRssMb = new Map<string, number>();
  /** CPU seconds used so far by the process of each name (the live one). */
  readonly cpuSeconds = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly nameOf: (c: ChildInfo) => string | undefined) {}

  sample(): void {
    for (const child of childrenOf()) {
      const name = this.nameOf(child);
      if (!name) continue;
      const mem = memoryOf(child.pid);
      if (!mem) continue;
      this.peakMb.set(name, Math.max(this.peakMb.get(name) ?? 0, mem.hwmMb));
      this.lastRssMb.set(name, mem.rssMb);
      const cpu = cpuSecondsOf(child.pid);
      if (cpu !== null) this.cpuSeconds.set(name, cpu);
    }
  }

  start(everyMs = 250): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }
}
