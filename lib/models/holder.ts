import type { Logger } from '../log.js';
import { findProduction, readVerifiedModel } from './registry.js';
import { Scorer } from './scorer.js';

export interface ModelHolderOptions {
  registryDir: string;
  name: string;
  /** How often the registry is polled for a new production version (ms); 0 = never (call `check()` yourself). */
  pollMs?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Called after a new version was loaded and verified (it becomes current at the next `lease()`). */
  onLoaded?: (ref: string) => void;
  /** Called when a poll found a production version it could not use (tampered, invalid manifest, ...). */
  onRejected?: (err: Error) => void;
}

export interface Lease {
  scorer: Scorer;
  release(): void;
}

/**
 * Serves the production version of a model and follows the registry: a poll that finds another production
 * version (or another file hash) loads it, verifies its sha256, creates its session, and parks it as
 * `pending`. The swap happens in `lease()`, which a stage calls once at the start of each batch and holds
 * for the whole batch: one batch is scored by one model, and no record is dropped or scored twice across a
 * swap. A version that fails to load is logged once and the previous good model keeps serving.
 * A replaced session is released once no lease holds it any more.
 */
export class ModelHolder {
  private current: Scorer;
  private pending: Scorer | null = null;
  private readonly leases = new Map<Scorer, number>();
  private readonly retired = new Set<Scorer>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  /**
   * What the last refused poll saw (version + sha + error), so a refusal is logged once, not every poll. A
   * refused version is retried at each poll (a copy still being written becomes good), just not re-logged.
   */
  private lastRejected: string | null = null;
  /** The last refusal, for status and tests. */
  lastError: Error | null = null;
  /** Versions that became current, in order (name@version). */
  readonly history: string[] = [];

  private constructor(
    private readonly opts: ModelHolderOptions,
    initial: Scorer,
  ) {
    this.current = initial;
    this.history.push(initial.ref);
  }

  /** Loads and verifies the production version; throws (refuses to start) when it cannot. */
  static async open(opts: ModelHolderOptions): Promise<ModelHolder> {
    const scorer = await Scorer.create(readVerifiedModel(findProduction(opts.registryDir, opts.name)));
    opts.log?.info({ model: scorer.ref, sha256: scorer.manifest.model_sha256, threshold: scorer.manifest.threshold }, 'model loaded');
    const holder = new ModelHolder(opts, scorer);
    if (opts.pollMs && opts.pollMs > 0) holder.startPolling(opts.pollMs);
    return holder;
  }

  /** The model that the next lease will use (the pending one if a swap is waiting). */
  get ref(): string {
    return (this.pending ?? this.current).ref;
  }

  /** Takes the model for one batch, first swapping in a pending version. Release when the batch is done. */
  lease(): Lease {
    if (this.pending) {
      const old = this.current;
      this.current = this.pending;
      this.pending = null;
      this.history.push(this.current.ref);
      this.opts.log?.info({ from: old.ref, to: this.current.ref }, 'model swapped between batches');
      this.retire(old);
    }
    const scorer = this.current;
    this.leases.set(scorer, (this.leases.get(scorer) ?? 0) + 1);
    let released = false;
    return {
      scorer,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.leases.get(scorer) ?? 1) - 1;
        if (n > 0) this.leases.set(scorer, n);
        else {
          this.leases.delete(scorer);
          if (this.retired.has(scorer)) this.dispose(scorer);
        }
      },
    };
  }

  /** One registry poll (concurrent calls share the poll in progress). */
  check(): Promise<void> {
    if (!this.checking) this.checking = this.poll().finally(() => (this.checking = null));
    return this.checking;
  }

  startPolling(everyMs: number): void {
    this.stopPolling();
    this.timer = setInterval(() => void this.check(), everyMs);
    this.timer.unref();
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async close(): Promise<void> {
    this.stopPolling();
    await this.checking?.catch(() => undefined);
    for (const s of new Set([this.current, ...(this.pending ? [this.pending] : []), ...this.retired])) await s.release().catch(() => undefined);
    this.retired.clear();
  }

  private async poll(): Promise<void> {
    const known = this.pending ?? this.current;
    let identity: string | null = null;
    try {
      const entry = findProduction(this.opts.registryDir, this.opts.name);
      identity = `${entry.manifest.version}:${entry.manifest.model_sha256}`;
      if (entry.manifest.version === known.manifest.version && entry.manifest.model_sha256 === known.manifest.model_sha256) {
        this.lastRejected = null;
        return;
      }
      const scorer = await Scorer.create(readVerifiedModel(entry));
      if (this.pending) this.retire(this.pending);
      this.pending = scorer;
      this.lastRejected = null;
      this.lastError = null;
      this.opts.log?.info({ model: scorer.ref, sha256: scorer.manifest.model_sha256, serving: this.current.ref }, 'new production model verified; swapping at the next batch');
      this.opts.onLoaded?.(scorer.ref);
    } catch (err) {
      const e = err as Error;
      const key = `${identity ?? ''}|${e.message}`;
      this.lastError = e;
      if (key !== this.lastRejected) {
        this.lastRejected = key;
        this.opts.log?.error({ err: e.message, serving: this.current.ref }, 'model registry: new production model refused; keeping the previous model');
        this.opts.onRejected?.(e);
      }
    }
  }

  private retire(scorer: Scorer): void {
    if (this.leases.has(scorer)) this.retired.add(scorer);
    else this.dispose(scorer);
  }

  private dispose(scorer: Scorer): void {
    this.retired.delete(scorer);
    scorer.release().catch(() => undefined);
  }
}
