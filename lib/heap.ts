import { setFlagsFromString } from 'node:v8';
import { intSetting } from './config.js';

export const DEFAULT_HEAP_GROWING_PERCENT = 150;

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it collects again, in
 * percent (SOCFLOW_HEAP_GROWING_PERCENT; 0 leaves V8's own factor).
 *
 * Why: a stage keeps little (after a full GC normalize ~20 MB, correlate ~25 MB), but V8 sizes the heap of a
 * process on a large machine for throughput, growing it up to 4x the live size, and with the 32 MB young
 * generation, ~60 MB of kafkajs buffers awaiting collection and the runtime that made 206–239 MB peak RSS per
 * stage in `make bench`. A heap cap does it worse: any --max-old-space-size up to 256 MB switches V8 to
 * its small-device factor (1.3) and costs +44 % CPU. A fixed 150 % kept every stage at or under 192 MB in
 * `bench --only pipeline` runs (217 MB in correlate in a full run) for about 3 % CPU (docs/BENCHMARKS.md).
 * NODE_OPTIONS refuses --heap-growing-percent, so a stage process sets it on itself at start-up; V8 reads it
 * whenever it computes the next heap limit.
 */
export function limitHeapGrowth(): number {
  const percent = intSetting('SOCFLOW_HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, 0, 1000);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
