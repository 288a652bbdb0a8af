import type { InputRecord, Stage, StageContext, StageResult } from './stage.js';

/**
 * Per-partition bookkeeping shared by the Kafka runtime and the in-memory driver: the state, and whether
 * records are being re-read to rebuild it (offset below `liveFrom`) or processed live.
 */
export class PartitionTask<In, State> {
  state: State;
  /** Offsets below this were processed before this assignment: re-read for state only. */
  liveFrom: bigint | null = null;
  /** Set once the rebuild start has been decided for this assignment. */
  planned = false;

  constructor(
    private readonly stage: Stage<In, State>,
    readonly topic: string,
    readonly partition: number,
  ) {
    this.state = stage.createState(topic, partition);
  }

  /**
   * Where to start reading to rebuild state, given the first offset delivered after assignment (what the
   * group had committed) and its timestamp; `offsetAtTime` finds the first offset at or after a time.
   */
  async planRebuild(firstOffset: bigint, firstTimestamp: number, offsetAtTime: (ts: number) => Promise<bigint | null>): Promise<bigint | null> {
    this.planned = true;
    if (this.stage.rebuildLookbackMs <= 0) return null;
    const from = await offsetAtTime(firstTimestamp - this.stage.rebuildLookbackMs);
    if (from === null || from >= firstOffset) return null;
    this.liveFrom = firstOffset;
    return from;
  }

  /** Runs the stage over a batch: replayed records update state only, live records produce output. */
  async run(batch: InputRecord<In>[], now: () => number): Promise<StageResult & { live: boolean }> {
    const liveFrom = this.liveFrom;
    const replay = liveFrom === null ? [] : batch.filter((r) => r.offset < liveFrom);
    const live = liveFrom === null ? batch : batch.filter((r) => r.offset >= liveFrom);
    if (replay.length) await this.stage.process(replay, this.state, ctx(true, now));
    if (live.length && liveFrom !== null) this.liveFrom = null;
    if (!live.length) return { outputs: [], deadLetters: [], live: false };
    return { ...(await this.stage.process(live, this.state, ctx(false, now))), live: true };
  }
}

const ctx = (replaying: boolean, now: () => number): StageContext => ({ replaying, now });
