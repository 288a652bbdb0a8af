/**
 * A stage is a pure transform: a batch of one partition's input records and that partition's state in,
 * output records and dead letters out. It knows nothing of Kafka; the Kafka runtime (kafkaRuntime.ts)
 * and the in-memory driver (memoryDriver.ts) run the same stage object.
 */
export interface InputRecord<T> {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  /** Kafka record timestamp (ms): what the state rebuild looks back by. */
  timestamp: number;
  /**
   * Read-only to the stage: a transform that changes an event builds a new object. (correlate's decoder freezes
   * the events whose bytes it keeps for re-use, lib/serde/codecs.ts; normalize owns and rewrites its own.)
   */
  value: T;
  /** Original bytes, kept for dead letters. */
  raw: Buffer | null;
}

export interface OutputRecord {
  /** Logical topic name from the catalog (rbp.alerts, ...). */
  topic: string;
  key: string;
  value: unknown;
}

export interface DeadLetter {
  record: InputRecord<unknown>;
  reason: string;
  error: string;
}

export interface StageResult {
  outputs: OutputRecord[];
  deadLetters: DeadLetter[];
  /** Records intentionally not forwarded, by reason (e.g. duplicate): counts reconcile in = out + dlq + dropped. */
  dropped?: Record<string, number>;
}

export interface StageContext {
  /** True while the runtime re-reads already-processed input to rebuild state; outputs are discarded. */
  replaying: boolean;
  /** Wall clock, injectable for tests. */
  now(): number;
  /**
   * Co-partitioned runtimes, live batches only: the logical inputs of this partition with nothing left to read
   * after this batch (the read position reached the end of the committed log). A join synchronises event time
   * across its inputs with it: an input that still has unread records may hold older events.
   */
  caughtUp?: ReadonlySet<string>;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; error: string };

/**
 * Turns input bytes into the stage's input value, or says why it cannot (→ dead letter with that reason).
 * Synchronous when it can be (a known writer schema): a promise per record was a third of a decode's cost.
 */
export type Decoder<T> = (bytes: Buffer, topic: string) => Decoded<T> | Promise<Decoded<T>>;

export interface Stage<In = unknown, State = unknown> {
  name: string;
  /** Logical input topics, each read by this stage's consumer group. */
  inputs: string[];
  /** Logical output topics (besides the dead-letter topic). */
  outputs: string[];
  /** Logical dead-letter topic for input that cannot be processed. */
  deadLetterTopic: string;
  /**
   * How far back (in Kafka record time) a freshly assigned partition must re-read its input to rebuild
   * state: window length plus allowed lateness. 0 for a stage without state across records.
   */
  rebuildLookbackMs: number;
  /**
   * Logical topics read only to rebuild state, never live (co-partitioned runtimes): e.g. the stage's own output,
   * so the rebuilt state knows what was emitted. Same partitioning as the inputs.
   */
  rebuildInputs?: string[];
  createState(topic: string, partition: number): State;
  process(batch: InputRecord<In>[], state: State, ctx: StageContext): Promise<StageResult> | StageResult;
}
