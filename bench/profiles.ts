import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set for stage processes started with `socflow bench --cpu-prof DIR` (read by bench/cpuprof.ts). */
export const PROFILE_DIR_ENV = 'SOCFLOW_BENCH_CPU_PROF_DIR';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time by function (name + file:line), top N, from every .cpuprofile in a directory. */
export function summarizeProfiles(profileDir: string, top = 12): string {
  const lines: string[] = [];
  for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; startTime: number; endTime: number };
    const hits = new Map<string, number>();
    let total = 0;
    for (const n of profile.nodes) {
      const h = n.hitCount ?? 0;
      if (!h) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const where = url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : '';
      const key = `${functionName || '(anonymous)'} ${where}`.trim();
      hits.set(key, (hits.get(key) ?? 0) + h);
      total += h;
    }
    const idle = (hits.get('(idle)') ?? 0) / total;
    lines.push(`${file}: ${total} samples, ${(idle * 100).toFixed(0)} % idle`);
    for (const [k, h] of [...hits].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${((h / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
  }
  return lines.join('\n');
}
