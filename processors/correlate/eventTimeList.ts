/**
 * A list of items kept in event-time order (ties: arrival order), for windows that accept out-of-order
 * input within the lateness bound. Appends are O(1) when in order, inserts binary-search their place;
 * eviction from the front is amortised O(1).
 */
export interface Timed {
  time: number;
}

export class EventTimeList<T extends Timed> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** Inserts after every item with time <= item.time; returns the position (0-based, from the oldest). */
  insert(item: T): number {
    const n = this.items.length;
    if (n === this.head || this.items[n - 1].time <= item.time) {
      this.items.push(item);
      return n - this.head;
    }
    const at = this.upperBound(item.time);
    this.items.splice(at, 0, item);
    return at - this.head;
  }

  /** Drops items with time < cutoff, and then the oldest ones beyond `cap`. */
  evict(cutoff: number, cap = Infinity): void {
    while (this.head < this.items.length && this.items[this.head].time < cutoff) this.head++;
    while (this.size > cap) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Position (0-based) of the first item with time > t. */
  upper(t: number): number {
    return this.upperBound(t) - this.head;
  }

  /** Position (0-based) of the first item with time >= t. */
  lower(t: number): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].time < t) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  at(i: number): T {
    return this.items[this.head + i];
  }

  /** Items at positions [from, to). */
  slice(from: number, to: number): T[] {
    return this.items.slice(this.head + Math.max(0, from), this.head + Math.max(0, to));
  }

  /** Items with time in (fromExclusive, toInclusive]. */
  between(fromExclusive: number, toInclusive: number): T[] {
    return this.slice(this.upper(fromExclusive), this.upper(toInclusive));
  }

  last(): T | undefined {
    return this.size ? this.items[this.items.length - 1] : undefined;
  }

  first(): T | undefined {
    return this.size ? this.items[this.head] : undefined;
  }

  private upperBound(t: number): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].time <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
