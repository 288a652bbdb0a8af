import { partitionFor } from './memoryDriver.js';
import type { DeadLetter, InputRecord, OutputRecord, Stage } from './stage.js';

/**
 * The in-memory twin of coPartitionedRuntime.ts (as memoryDriver.ts is of kafkaRuntime.ts), for a stage
 * that joins co-partitioned inputs: ONE state per partition number across every input topic. On (re)assignment
 * a partition re-reads every input from `now - rebuildLookbackMs` up to its committed offset (replaying), and
 * goes live only once all of them are rebuilt, plus the stage's `rebuildInputs` (its committed outputs of that
 * partition). Live batches get ctx.caughtUp: the inputs of the partition read to the end of their log. Each
 * batch commits its outputs and its offset together (one Kafka transaction), so `runBatches(n)` followed by
 * `restart()` is a crash between two transactions.
 */
export class CoPartitionedDriver<In, State> {
  readonly outputs: OutputRecord[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly dropped: Record<string, number> = {};
  private readonly logs = new Map<string, InputRecord<In>[]>();
  private readonly committed = new Map<string, bigint>();
  private tasks = new Map<number, State>();
  private turn = 0;
  private sent = 0;
  private readonly seq = new WeakMap<InputRecord<In>, number>();

  constructor(
    readonly stage: Stage<In, State>,
    private readonly opts: {
      partitions?: number;
      batchSize?: number;
      /** Wall clock for the rebuild start (record time) only; the stage itself never sees it. */
      now?: () => number;
      /**
       * Which input is read next: `arrival` (default) takes records in the order they were sent (a batch stops
       * where another input has an earlier record); `rotate` alternates topics per batch; `topic-by-topic` and
       * `reverse-topics` drain one input before the next (the worst interleavings a broker can produce).
       */
      order?: 'arrival' | 'rotate' | 'topic-by-topic' | 'reverse-topics';
    } = {},
  ) {}

  send(topic: string, key: string, value: In, timestamp: number): InputRecord<In> {
    if (!this.stage.inputs.includes(topic)) throw new Error(`${topic} is not an input of ${this.stage.name}`);
    const partition = partitionFor(key, this.opts.partitions ?? 3);
    const log = this.log(topic, partition);
    const record: InputRecord<In> = { topic, partition, offset: BigInt(log.length), key, timestamp, value, raw: null };
    log.push(record);
    this.seq.set(record, this.sent++);
    return record;
  }

  /** Processes everything not yet committed. */
  async run(): Promise<{ outputs: OutputRecord[]; deadLetters: DeadLetter[] }> {
    return this.runBatches(Number.POSITIVE_INFINITY);
  }

  /** Processes at most `limit` live batches (each one committed transaction), then stops as a crash would. */
  async runBatches(limit: number): Promise<{ outputs: OutputRecord[]; deadLetters: DeadLetter[] }> {
    const out = { outputs: [] as OutputRecord[], deadLetters: [] as DeadLetter[] };
    let done = 0;
    for (let p = 0; p < (this.opts.partitions ?? 3); p++) {
      if (!this.pending(p)) continue;
      let state = this.tasks.get(p);
      if (state === undefined) this.tasks.set(p, (state = await this.rebuild(p)));
      for (;;) {
        if (done >= limit) return this.finish(out);
        const next = this.nextBatch(p);
        if (!next) break;
        const { topic, batch } = next;
        const read = batch[batch.length - 1].offset + 1n;
        const caughtUp = new Set(this.stage.inputs.filter((t) => (t === topic ? read : this.position(t, p)) >= BigInt(this.log(t, p).length)));
        const result = await this.stage.process(batch, state, { replaying: false, now: () => 0, caughtUp });
        out.outputs.push(...result.outputs);
        out.deadLetters.push(...result.deadLetters);
        for (const [reason, n] of Object.entries(result.dropped ?? {})) this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
        this.committed.set(`${topic}\u0000${p}`, read);
        done += 1;
      }
    }
    return this.finish(out);
  }

  /** A process death and reassignment: every partition's state is gone and will be rebuilt from the log. */
  restart(): void {
    this.tasks = new Map();
  }

  outputsTo(topic: string): OutputRecord[] {
    return this.outputs.filter((o) => o.topic === topic);
  }

  private finish(out: { outputs: OutputRecord[]; deadLetters: DeadLetter[] }) {
    // Committed outputs a rebuild re-reads, on the partition of their key as the producer would place them.
    for (const o of out.outputs) {
      if (!this.stage.rebuildInputs?.includes(o.topic)) continue;
      const partition = partitionFor(o.key, this.opts.partitions ?? 3);
      const log = this.log(o.topic, partition);
      log.push({ topic: o.topic, partition, offset: BigInt(log.length), key: o.key, timestamp: (this.opts.now ?? Date.now)(), value: o.value as In, raw: null });
      this.committed.set(`${o.topic}\u0000${partition}`, BigInt(log.length));
    }
    this.outputs.push(...out.outputs);
    this.deadLetters.push(...out.deadLetters);
    return out;
  }

  private pending(p: number): boolean {
    return this.stage.inputs.some((t) => (this.committed.get(`${t}\u0000${p}`) ?? 0n) < BigInt(this.logs.get(`${t}\u0000${p}`)?.length ?? 0));
  }

  private async rebuild(p: number): Promise<State> {
    const state = this.stage.createState('*', p);
    const from = (this.opts.now ?? Date.now)() - this.stage.rebuildLookbackMs;
    for (const topic of this.topicOrder(true)) {
      const log = this.logs.get(`${topic}\u0000${p}`) ?? [];
      const end = Number(this.committed.get(`${topic}\u0000${p}`) ?? 0n);
      const start = log.findIndex((r) => r.timestamp >= from);
      if (start < 0 || start >= end) continue;
      for (let i = start; i < end; i += this.opts.batchSize ?? 100) {
        await this.stage.process(log.slice(i, Math.min(end, i + (this.opts.batchSize ?? 100))), state, { replaying: true, now: () => 0 });
      }
    }
    return state;
  }

  private position(topic: string, p: number): bigint {
    return this.committed.get(`${topic}\u0000${p}`) ?? 0n;
  }

  /** Inputs in reading order (live and rebuild); the rebuild also re-reads the rebuild-only topics, in the same order. */
  private topicOrder(withRebuildInputs = false): string[] {
    const topics = withRebuildInputs ? [...this.stage.inputs, ...(this.stage.rebuildInputs ?? [])] : this.stage.inputs;
    return this.opts.order === 'reverse-topics' ? [...topics].reverse() : topics;
  }

  private nextBatch(p: number): { topic: string; batch: InputRecord<In>[] } | null {
    const topics = this.topicOrder();
    if ((this.opts.order ?? 'arrival') === 'arrival') {
      const heads = topics
        .map((topic) => {
          const log = this.logs.get(`${topic}\u0000${p}`) ?? [];
          const at = Number(this.committed.get(`${topic}\u0000${p}`) ?? 0n);
          return { topic, log, at, seq: at < log.length ? this.seq.get(log[at])! : Number.POSITIVE_INFINITY };
        })
        .sort((a, b) => a.seq - b.seq);
      const [first, second] = heads;
      if (!first || first.seq === Number.POSITIVE_INFINITY) return null;
      const limit = second?.seq ?? Number.POSITIVE_INFINITY;
      const batch: InputRecord<In>[] = [];
      for (let i = first.at; i < first.log.length && batch.length < (this.opts.batchSize ?? 100) && this.seq.get(first.log[i])! < limit; i++) batch.push(first.log[i]);
      return { topic: first.topic, batch };
    }
    for (let i = 0; i < topics.length; i++) {
      const topic = this.opts.order === 'rotate' ? topics[(this.turn + i) % topics.length] : topics[i];
      const log = this.logs.get(`${topic}\u0000${p}`) ?? [];
      const at = Number(this.committed.get(`${topic}\u0000${p}`) ?? 0n);
      if (at >= log.length) continue;
      this.turn += 1;
      return { topic, batch: log.slice(at, at + (this.opts.batchSize ?? 100)) };
    }
    return null;
  }

  private log(topic: string, partition: number): InputRecord<In>[] {
    const key = `${topic}\u0000${partition}`;
    if (!this.logs.has(key)) this.logs.set(key, []);
    return this.logs.get(key)!;
  }
}
