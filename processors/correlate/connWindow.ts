/** A connection as the traffic window takes it in (event time in ms). */
export interface Conn {
  time: number;
  dst: string;
  service: string;
  srcPort: number;
  serror: boolean;
  rerror: boolean;
}

const INITIAL_CAPACITY = 16;
const SERROR = 1;
const RERROR = 2;

/**
 * One entity's connections in event-time order (ties: arrival order), column by column in typed arrays.
 * correlate keeps up to max_connections_per_entity of them for every agent for as long as
 * host_window_max_age_ms: as objects that was ~150 bytes each (the object, a boxed time and its own copies
 * of the destination and service strings), here it is 21. Destinations and services are small integers of
 * the window's own name table, so the feature loops compare numbers.
 *
 * Positions are 0-based from the oldest kept connection, as in EventTimeList.
 */
export class ConnWindow {
  private times = new Float64Array(INITIAL_CAPACITY);
  private dsts = new Int32Array(INITIAL_CAPACITY);
  private services = new Int32Array(INITIAL_CAPACITY);
  private srcPorts = new Int32Array(INITIAL_CAPACITY);
  private errors = new Uint8Array(INITIAL_CAPACITY);
  /** Kept connections are the slots [head, tail). */
  private head = 0;
  private tail = 0;
  private ids = new Map<string, number>();
  private names: string[] = [];

  get size(): number {
    return this.tail - this.head;
  }

  /** The id of a destination or service name, -1 when no kept connection has it. */
  idOf(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  /** Inserts after every connection with time <= conn.time. */
  insert(conn: Conn): void {
    if (this.tail === this.times.length) this.reallocate(Math.max(INITIAL_CAPACITY, 2 ** Math.ceil(Math.log2(this.size * 2))));
    const at = this.upperBound(conn.time);
    if (at < this.tail) {
      for (const column of this.columns()) column.copyWithin(at + 1, at, this.tail);
    }
    this.times[at] = conn.time;
    this.dsts[at] = this.intern(conn.dst);
    this.services[at] = this.intern(conn.service);
    this.srcPorts[at] = conn.srcPort;
    this.errors[at] = (conn.serror ? SERROR : 0) | (conn.rerror ? RERROR : 0);
    this.tail++;
  }

  /** Drops connections with time < cutoff, and then the oldest ones beyond `cap`. */
  evict(cutoff: number, cap = Infinity): void {
    while (this.head < this.tail && this.times[this.head] < cutoff) this.head++;
    if (this.size > cap) this.head = this.tail - cap;
    if (this.names.length > 2 * this.size + 64) this.renumber();
  }

  /** Position of the first connection with time > t. */
  upper(t: number): number {
    return this.upperBound(t) - this.head;
  }

  timeAt(i: number): number {
    return this.times[this.head + i];
  }

  dstAt(i: number): number {
    return this.dsts[this.head + i];
  }

  serviceAt(i: number): number {
    return this.services[this.head + i];
  }

  srcPortAt(i: number): number {
    return this.srcPorts[this.head + i];
  }

  serrorAt(i: number): boolean {
    return (this.errors[this.head + i] & SERROR) !== 0;
  }

  rerrorAt(i: number): boolean {
    return (this.errors[this.head + i] & RERROR) !== 0;
  }

  private intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  /** Rebuilds the name table from the kept connections, so names of evicted ones do not pile up. */
  private renumber(): void {
    const oldNames = this.names;
    this.ids = new Map();
    this.names = [];
    for (let i = this.head; i < this.tail; i++) {
      this.dsts[i] = this.intern(oldNames[this.dsts[i]]);
      this.services[i] = this.intern(oldNames[this.services[i]]);
    }
  }

  /** Moves the kept connections to the start of new columns of `capacity` slots. */
  private reallocate(capacity: number): void {
    const move = <A extends Float64Array | Int32Array | Uint8Array>(old: A, fresh: A): A => {
      fresh.set(old.subarray(this.head, this.tail));
      return fresh;
    };
    this.times = move(this.times, new Float64Array(capacity));
    this.dsts = move(this.dsts, new Int32Array(capacity));
    this.services = move(this.services, new Int32Array(capacity));
    this.srcPorts = move(this.srcPorts, new Int32Array(capacity));
    this.errors = move(this.errors, new Uint8Array(capacity));
    this.tail -= this.head;
    this.head = 0;
  }

  private columns(): (Float64Array | Int32Array | Uint8Array)[] {
    return [this.times, this.dsts, this.services, this.srcPorts, this.errors];
  }

  private upperBound(t: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
