import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/seededRandom.js';
import { DedupWindow } from './dedupWindow.js';

/** The semantics the window must keep: the Map of id → first record time it replaced. */
class ReferenceWindow {
  readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries: number) {}
  add(id: string, time: number): void {
    if (this.seen.has(id)) return;
    this.seen.set(id, time);
    if (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
  }
  forgetBefore(cutoff: number): void {
    for (const [id, time] of this.seen) {
      if (time >= cutoff) break;
      this.seen.delete(id);
    }
  }
}

describe('DedupWindow', () => {
  it('answers like the Map it replaced under random adds, repeats, evictions at the cap and expiry', () => {
    for (const [seed, maxEntries] of [[1, 7], [2, 64], [3, 1000], [4, 5000]] as const) {
      const next = seededRandom(seed);
      const window = new DedupWindow(maxEntries, 4);
      const reference = new ReferenceWindow(maxEntries);
      let time = 0;
      for (let op = 0; op < 30_000; op++) {
        // Ids repeat often (a small id space) and times jitter backwards, as producer timestamps do.
        const id = `evt-${Math.floor(next() * maxEntries * 3)}`;
        time += Math.floor(next() * 10) - 2;
        expect(window.has(id), `seed ${seed} op ${op} has(${id})`).toBe(reference.seen.has(id));
        if (next() < 0.02) {
          window.forgetBefore(time - 200);
          reference.forgetBefore(time - 200);
        }
        window.add(id, time);
        reference.add(id, time);
        expect(window.size).toBe(reference.seen.size);
      }
      for (let k = 0; k < maxEntries * 3; k++) expect(window.has(`evt-${k}`)).toBe(reference.seen.has(`evt-${k}`));
    }
  });

  it('keeps every id of a full window apart (no false duplicate among 200,000 distinct ids)', () => {
    const window = new DedupWindow(200_000);
    for (let k = 0; k < 200_000; k++) {
      const id = `${k.toString(16).padStart(32, '0')}`;
      expect(window.has(id)).toBe(false);
      window.add(id, k);
    }
    expect(window.size).toBe(200_000);
    expect(window.has('0'.repeat(32))).toBe(true);
    expect(window.has('f'.repeat(32))).toBe(false);
  });

  it('forgets the oldest id first at the cap and by record time', () => {
    const window = new DedupWindow(3);
    for (const [id, time] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) window.add(id, time);
    expect(['a', 'b', 'c', 'd'].map((id) => window.has(id))).toEqual([false, true, true, true]);
    window.forgetBefore(4);
    expect(['b', 'c', 'd'].map((id) => window.has(id))).toEqual([false, false, true]);
    expect(window.size).toBe(1);
  });

  it('rejects a cap that is not a positive integer', () => {
    expect(() => new DedupWindow(0)).toThrow(/maxEntries must be a positive integer, got 0/);
  });
});
