/**
 * A log-linear latency histogram (as HdrHistogram): values in ms, 2^(SUB_BITS-1) linear sub-buckets per
 * power of two, so a reported percentile is within 1/2^(SUB_BITS-1) (≈ 1.6 %) of the true sample value. Values below
 * 1 µs count as 0; negative values (clock skew) are counted separately and recorded as 0.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const UNIT = 1000; // buckets over integer microseconds

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  negative = 0;
  min = Infinity;
  max = -Infinity;
  private sum = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    if (ms < 0) this.negative++;
    const v = Math.max(0, ms);
    const idx = bucketOf(Math.round(v * UNIT));
    this.counts.set(idx, (this.counts.get(idx) ?? 0) + 1);
    this.count++;
    this.sum += v;
    this.min = Math.min(this.min, v);
    this.max = Math.max(this.max, v);
  }

  get mean(): number {
    return this.count ? this.sum / this.count : NaN;
  }

  /** The value at percentile p (0–100): the upper edge of the bucket holding that rank, capped at the max. */
  percentile(p: number): number {
    if (!this.count) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const idx of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(idx)!;
      if (seen >= rank) return Math.min(this.max, upperEdge(idx) / UNIT);
    }
    return this.max;
  }
}

function bucketOf(us: number): number {
  if (us < SUB) return us;
  const exp = 31 - Math.clz32(us) - SUB_BITS + 1; // shift so the value keeps SUB_BITS significant bits
  return (exp << SUB_BITS) + ((us >>> exp) - (SUB >> 1)) + SUB;
}

function upperEdge(idx: number): number {
  if (idx < SUB) return idx;
  const exp = (idx - SUB) >> SUB_BITS;
  const mant = ((idx - SUB) & (SUB - 1)) + (SUB >> 1);
  return ((mant + 1) << exp) - 1;
}
