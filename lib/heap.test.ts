import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from './heap.js';
import { fromRoot } from './paths.js';

/**
 * Peak old-space size of a child process that keeps a sliding window of ~200,000 small objects (so old
 * garbage piles up until a full GC) after limitHeapGrowth() with the given environment value.
 */
function peakOldSpaceMb(percent: string): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { limitHeapGrowth } from ${JSON.stringify(fromRoot('dist/lib/heap.js'))};
    limitHeapGrowth();
    const ring = new Array(200000);
    let peak = 0;
    for (let i = 0; i < 3000000; i++) {
      ring[i % ring.length] = { a: i, b: 's' + i, c: [i, i + 1] };
      if (i % 10000 === 0) peak = Math.max(peak, getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size);
    }
    process.stdout.write(String(peak / 1048576));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SOCFLOW_HEAP_GROWING_PERCENT: percent }, encoding: 'utf8', timeout: 60_000 });
  return Number(out);
}

describe('limitHeapGrowth', () => {
  it('keeps the old generation well below what V8 grows it to on its own', () => {
    const own = peakOldSpaceMb('0');
    const limited = peakOldSpaceMb('150');
    expect(own).toBeGreaterThan(50);
    expect(limited).toBeLessThan(own * 0.85);
  });

  it('rejects a value that is not a percentage in range, naming the variable', () => {
    const previous = process.env.SOCFLOW_HEAP_GROWING_PERCENT;
    try {
      process.env.SOCFLOW_HEAP_GROWING_PERCENT = '2.5x';
      expect(() => limitHeapGrowth()).toThrow(/SOCFLOW_HEAP_GROWING_PERCENT must be an integer between 0 and 1000, got "2.5x"/);
    } finally {
      if (previous === undefined) delete process.env.SOCFLOW_HEAP_GROWING_PERCENT;
      else process.env.SOCFLOW_HEAP_GROWING_PERCENT = previous;
    }
  });
});
