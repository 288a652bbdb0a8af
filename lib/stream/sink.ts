import type { DeadLetter, InputRecord } from './stage.js';

/**
 * A sink writes one partition's batch to an external store. `write` must be idempotent (upsert by id,
 * insert deduplication): the runtime commits offsets after it returns, so a crash in between re-delivers.
 */
export interface Sink<In = unknown> {
  name: string;
  inputs: string[];
  deadLetterTopic: string;
  /** Returns the records the target rejected for good (they go to the dead-letter topic), if any. */
  write(records: InputRecord<In>[]): Promise<void | { deadLetters: DeadLetter[] }>;
  close?(): Promise<void>;
}
