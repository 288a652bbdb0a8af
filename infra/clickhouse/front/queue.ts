/**
 * Runs engine work one job at a time. chdb executes a query on a libuv thread, so the event
 * loop (and /ping) stays responsive while a job runs; the queue only guarantees the engine
 * never sees two statements at once (parameter state and connection teardown are not safe
 * under concurrency) and bounds how much work may pile up.
 */
export class QueueFullError extends Error {
  constructor(limit: number) {
    super(`too many queued queries (limit ${limit})`);
    this.name = 'QueueFullError';
  }
}

export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  readonly maxPending: number;

  constructor(maxPending: number) {
    this.maxPending = maxPending;
  }

  /** Jobs waiting or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Resolves with the job's result once every earlier job has settled and this one has run. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#pending >= this.maxPending) return Promise.reject(new QueueFullError(this.maxPending));
    this.#pending += 1;
    const result = this.#tail.then(job);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.#pending -= 1;
    });
    return result;
  }

  /** Resolves when everything queued so far has settled. */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }
}
