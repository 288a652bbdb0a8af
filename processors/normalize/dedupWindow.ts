/**
 * The event ids normalize has seen, oldest first, bounded by a count and forgotten by record time.
 *
 * A Map of id strings cost ~100 bytes per id on the V8 heap (the string, the entry, the table), i.e. ~50 MB
 * per partition at the 500,000-id cap, all of it marked by every full GC. Here an id is kept as a 64-bit hash
 * in typed arrays (16 bytes in a ring in arrival order + 4-8 bytes of open-addressing index): ~12 MB at the
 * cap, outside the GC's marking work. Two different ids collide with probability 2^-64 per pair, so with
 * 1.5 million ids remembered a new event is taken for a duplicate with probability < 10^-13.
 */
export class DedupWindow {
  /** Ring of remembered ids in arrival order: the two hash halves and the record time. */
  private hashLo: Uint32Array;
  private hashHi: Uint32Array;
  private times: Float64Array;
  private oldest = 0;
  private count = 0;
  /** Linear-probing index: ring position + 1, 0 = free; at most half full. */
  private slots: Int32Array;

  constructor(private readonly maxEntries: number, initialCapacity = 1024) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`dedup window: maxEntries must be a positive integer, got ${maxEntries}`);
    const capacity = Math.min(maxEntries, initialCapacity);
    this.hashLo = new Uint32Array(capacity);
    this.hashHi = new Uint32Array(capacity);
    this.times = new Float64Array(capacity);
    this.slots = new Int32Array(slotCountFor(capacity));
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    hashId(id);
    return this.find(hashOut[0]!, hashOut[1]!) >= 0;
  }

  /** Remembers an id not already in the window, evicting the oldest one at the cap. */
  add(id: string, time: number): void {
    hashId(id);
    const lo = hashOut[0]!;
    const hi = hashOut[1]!;
    if (this.find(lo, hi) >= 0) return;
    if (this.count === this.times.length) {
      if (this.count < this.maxEntries) this.grow();
      else this.removeOldest();
    }
    const at = (this.oldest + this.count) % this.times.length;
    this.hashLo[at] = lo;
    this.hashHi[at] = hi;
    this.times[at] = time;
    this.count += 1;
    this.insertSlot(at);
  }

  /** Forgets ids from the oldest on while their record time is before `cutoff` (stops at the first later one). */
  forgetBefore(cutoff: number): void {
    while (this.count > 0 && this.times[this.oldest]! < cutoff) this.removeOldest();
  }

  private find(lo: number, hi: number): number {
    const mask = this.slots.length - 1;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i]!;
      if (slot === 0) return -1;
      if (this.hashLo[slot - 1] === lo && this.hashHi[slot - 1] === hi) return i;
    }
  }

  private insertSlot(at: number): void {
    const mask = this.slots.length - 1;
    let i = this.hashLo[at]! & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = at + 1;
  }

  private removeOldest(): void {
    const at = this.oldest;
    const mask = this.slots.length - 1;
    let hole = this.hashLo[at]! & mask;
    while (this.slots[hole] !== at + 1) hole = (hole + 1) & mask;
    // Backward-shift deletion: move later entries of the probe run into the hole unless that would put
    // them before their home slot, so lookups never need tombstones.
    for (let j = (hole + 1) & mask; this.slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashLo[this.slots[j]! - 1]! & mask;
      const homeInRun = hole < j ? home > hole && home <= j : home > hole || home <= j;
      if (homeInRun) continue;
      this.slots[hole] = this.slots[j]!;
      hole = j;
    }
    this.slots[hole] = 0;
    this.oldest = (this.oldest + 1) % this.times.length;
    this.count -= 1;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, this.times.length * 2);
    const order = (k: number) => (this.oldest + k) % this.times.length;
    const hashLo = new Uint32Array(capacity);
    const hashHi = new Uint32Array(capacity);
    const times = new Float64Array(capacity);
    for (let k = 0; k < this.count; k++) {
      hashLo[k] = this.hashLo[order(k)]!;
      hashHi[k] = this.hashHi[order(k)]!;
      times[k] = this.times[order(k)]!;
    }
    this.hashLo = hashLo;
    this.hashHi = hashHi;
    this.times = times;
    this.oldest = 0;
    this.slots = new Int32Array(slotCountFor(capacity));
    for (let k = 0; k < this.count; k++) this.insertSlot(k);
  }
}

function slotCountFor(capacity: number): number {
  let n = 2;
  while (n < capacity * 2) n *= 2;
  return n;
}

/** Written by hashId: two 32-bit hashes of one pass over the id (no allocation per call). */
const hashOut = new Uint32Array(2);

function hashId(id: string): void {
  let a = 0x811c9dc5 ^ id.length;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  hashOut[0] = fmix32(a);
  hashOut[1] = fmix32(b ^ Math.imul(id.length, 0x27d4eb2f));
}

/** MurmurHash3's finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
