import { createHash } from 'node:crypto';
import { PartitionTask } from './partitionTask.js';
import type { DeadLetter, InputRecord, OutputRecord, Stage } from './stage.js';

/**
 * Runs a stage without a broker, as Kafka Streams' TopologyTestDriver does: an in-memory log per input
 * partition, committed offsets, and the same PartitionTask (rebuild and replay rules) as the Kafka runtime.
 * `restart()` simulates a crash and reassignment: state is lost and rebuilt from the log.
 */
export class MemoryDriver<In, State> {
  readonly outputs: OutputRecord[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly dropped: Record<string, number> = {};
  private readonly logs = new Map<string, InputRecord<In>[]>();
  private readonly committed = new Map<string, bigint>();
  private tasks = new Map<string, PartitionTask<In, State>>();

  constructor(
    readonly stage: Stage<In, State>,
    private readonly opts: { partitions?: number; batchSize?: number; now?: () => number } = {},
  ) {}

  /** Appends a record to an input topic; the partition follows the key as it would on Kafka. */
  send(topic: string, key: string, value: In, timestamp: number): InputRecord<In> {
    const partition = partitionFor(key, this.opts.partitions ?? 3);
    const log = this.log(topic, partition);
    const record: InputRecord<In> = { topic, partition, offset: BigInt(log.length), key, timestamp, value, raw: null };
    log.push(record);
    return record;
  }

  /** Processes everything not yet committed, batch by batch, and returns what this call produced. */
  async run(): Promise<{ outputs: OutputRecord[]; deadLetters: DeadLetter[] }> {
    const out = { outputs: [] as OutputRecord[], deadLetters: [] as DeadLetter[] };
    for (const [key, log] of this.logs) {
      const [topic, p] = key.split('\u0000');
      const partition = Number(p);
      let task = this.tasks.get(key);
      if (!task) this.tasks.set(key, (task = new PartitionTask(this.stage, topic, partition)));
      let position = this.committed.get(key) ?? 0n;
      if (!task.planned && position < BigInt(log.length)) {
        const first = log[Number(position)];
        const from = await task.planRebuild(position, first.timestamp, async (ts) => {
          const hit = log.find((r) => r.timestamp >= ts);
          return hit ? hit.offset : null;
        });
        if (from !== null) position = from;
      }
      while (position < BigInt(log.length)) {
        const batch = log.slice(Number(position), Number(position) + (this.opts.batchSize ?? 100));
        const result = await task.run(batch, this.opts.now ?? Date.now);
        out.outputs.push(...result.outputs);
        out.deadLetters.push(...result.deadLetters);
        for (const [reason, n] of Object.entries(result.dropped ?? {})) this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
        position = batch[batch.length - 1].offset + 1n;
        this.committed.set(key, position > (this.committed.get(key) ?? 0n) ? position : this.committed.get(key)!);
      }
    }
    this.outputs.push(...out.outputs);
    this.deadLetters.push(...out.deadLetters);
    return out;
  }

  /** Simulates a process death and a new assignment: all in-memory state is gone. */
  restart(): void {
    this.tasks = new Map();
  }

  outputsTo(topic: string): OutputRecord[] {
    return this.outputs.filter((o) => o.topic === topic);
  }

  private log(topic: string, partition: number): InputRecord<In>[] {
    const key = `${topic}\u0000${partition}`;
    if (!this.logs.has(key)) this.logs.set(key, []);
    return this.logs.get(key)!;
  }
}

/** Stable key → partition (not Kafka's murmur2; only the grouping of one key into one partition matters here). */
export function partitionFor(key: string, partitions: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % partitions;
}
