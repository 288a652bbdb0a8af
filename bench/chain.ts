import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { topicSpec, type TopicCatalog } from '../lib/topics/catalog.js';
import { TRANSACTION_SLOTS } from '../lib/stream/transactions.js';

/** One consumer group of a chain: which topics it reads and which groups write them. */
export interface ChainNode {
  /** Display name (normalize, alert-store, ...). */
  name: string;
  groupId: string;
  /** Cluster topic names it consumes, and whether a transactional producer writes them (commit markers take an offset). */
  inputs: { name: string; transactional: boolean }[];
  /** Names of the nodes whose output it reads (none: it reads what the benchmark produced). */
  upstream: string[];
  /** Kafka → Kafka (transactional) or a sink into a store. */
  kind: 'stage' | 'sink';
}

/** Logical wiring of the socflow chain (docs/ARCHITECTURE.md); the passthrough chain copies it hop for hop. */
const WIRING: { name: string; inputs: string[]; upstream: string[]; kind: 'stage' | 'sink' }[] = [
  { name: 'normalize', inputs: ['rbp.metrics'], upstream: [], kind: 'stage' },
  { name: 'correlate', inputs: ['rbp.normalized'], upstream: ['normalize'], kind: 'stage' },
  { name: 'onnx-score', inputs: ['rbp.correlated'], upstream: ['correlate'], kind: 'stage' },
  { name: 'alert-store', inputs: ['rbp.alerts'], upstream: ['onnx-score'], kind: 'sink' },
  { name: 'quota-manager', inputs: ['rbp.alerts', 'rbp.approvals'], upstream: ['onnx-score'], kind: 'stage' },
  { name: 'quota-store', inputs: ['rbp.quota_updates', 'rbp.proposals', 'rbp.approvals'], upstream: ['quota-manager'], kind: 'sink' },
];
const TRANSACTIONAL = new Set(['rbp.normalized', 'rbp.correlated', 'rbp.alerts', 'rbp.quota_updates', 'rbp.proposals']);

export const PIPELINE_STAGES = WIRING.map((w) => w.name);

export function chainNodes(catalog: TopicCatalog, prefix: string): ChainNode[] {
  return WIRING.map((w) => ({
    name: w.name,
    groupId: `${prefix}socflow-${w.name}`,
    inputs: w.inputs.map((t) => ({ name: topicSpec(catalog, t).name, transactional: TRANSACTIONAL.has(t) })),
    upstream: w.upstream,
    kind: w.kind,
  }));
}

export interface NodeProgress {
  name: string;
  kind: 'stage' | 'sink';
  /** Input offsets committed since the phase started (records plus a few commit markers). */
  consumed: number;
  /** When its committed offsets first moved in this phase, and when it had consumed everything upstream wrote. */
  firstAt: number | null;
  doneAt: number | null;
  /** Offsets consumed between firstAt and doneAt, per second. */
  recordsPerSec: number | null;
}

type Offsets = Map<string, number>; // `${topic}:${partition}` → offset

/**
 * Follows a chain through its committed offsets (nothing is read from the topics). A node is done once every
 * node upstream is done (the first: once the benchmark finished producing) and its committed offsets have reached
 * the high watermarks of its inputs (on a transactionally written topic commit markers take offsets of their
 * own and a partition can end in one per transactional id of the writer, so that many behind is caught up:
 * with "one behind" a `bench --quick` waited 300 s for a correlate that had read everything). Offsets cannot
 * tell a trailing marker from a last unread record, so a node may count as done one record early.
 */
export class ChainTracker {
  private readonly baseline = new Map<string, Offsets>();
  private readonly progress = new Map<string, NodeProgress>();
  private producerDone = false;

  constructor(
    private readonly admin: Admin,
    readonly nodes: ChainNode[],
  ) {
    for (const n of nodes) this.progress.set(n.name, { name: n.name, kind: n.kind, consumed: 0, firstAt: null, doneAt: null, recordsPerSec: null });
  }

  /** Takes the committed offsets now as the phase's zero. */
  async start(): Promise<void> {
    for (const n of this.nodes) this.baseline.set(n.name, await this.committed(n));
  }

  markProducerDone(): void {
    this.producerDone = true;
  }

  snapshot(): NodeProgress[] {
    return this.nodes.map((n) => ({ ...this.progress.get(n.name)! }));
  }

  get done(): boolean {
    return [...this.progress.values()].every((p) => p.doneAt !== null);
  }

  doneAt(name: string): number | null {
    return this.progress.get(name)?.doneAt ?? null;
  }

  /**
   * One poll. Progress: every group's committed offsets. Completion, in chain order: a node whose upstream is
   * done (the producer's flag is read first) has its committed offsets read and then its inputs' high
   * watermarks, so a high watermark is never older than the offsets it is compared with.
   */
  async poll(): Promise<void> {
    const producerDone = this.producerDone;
    const committed = new Map<string, Offsets>();
    await Promise.all(this.nodes.filter((n) => this.progress.get(n.name)!.doneAt === null).map(async (n) => committed.set(n.name, await this.committed(n))));
    const now = Date.now();
    for (const n of this.nodes) {
      const p = this.progress.get(n.name)!;
      if (p.doneAt !== null) continue;
      p.consumed = this.consumedSince(n, committed.get(n.name)!);
      if (p.consumed > 0 && p.firstAt === null) p.firstAt = now;
    }
    for (const n of this.nodes) {
      const p = this.progress.get(n.name)!;
      if (p.doneAt !== null) continue;
      const upstreamDone = n.upstream.length === 0 ? producerDone : n.upstream.every((u) => this.progress.get(u)?.doneAt !== null);
      if (!upstreamDone) continue;
      const mine = await this.committed(n);
      const at = Date.now();
      const highs = await this.highs(n);
      let lag = 0;
      for (const input of n.inputs) {
        for (const [tp, high] of highs.get(input.name)!) {
          const behind = Math.max(0, high - (mine.get(tp) ?? 0));
          if (behind > (input.transactional ? TRANSACTION_SLOTS : 0)) lag += behind;
        }
      }
      p.consumed = this.consumedSince(n, mine);
      if (p.consumed > 0 && p.firstAt === null) p.firstAt = at;
      if (lag === 0) {
        p.doneAt = at;
        if (p.firstAt !== null && p.doneAt > p.firstAt) p.recordsPerSec = p.consumed / ((p.doneAt - p.firstAt) / 1000);
      }
    }
  }

  private consumedSince(n: ChainNode, mine: Offsets): number {
    const base = this.baseline.get(n.name)!;
    let consumed = 0;
    for (const [tp, at] of mine) consumed += Math.max(0, at - (base.get(tp) ?? 0));
    return consumed;
  }

  private async highs(n: ChainNode): Promise<Map<string, Offsets>> {
    const out = new Map<string, Offsets>();
    await Promise.all(
      n.inputs.map(async ({ name: t }) => {
        const ends = await this.admin.fetchTopicOffsets(t);
        out.set(t, new Map(ends.map((e) => [`${t}:${e.partition}`, Number(e.high)])));
      }),
    );
    return out;
  }

  /** Polls until every node is done; `onPoll` may throw to abort (a stage process died). */
  async waitDone(opts: { everyMs: number; timeoutMs: number; onPoll?: (p: NodeProgress[]) => void }): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    while (!this.done) {
      if (Date.now() > deadline) throw new Error(`chain not drained within ${Math.round(opts.timeoutMs / 1000)} s: ${this.describe()}`);
      await this.poll();
      opts.onPoll?.(this.snapshot());
      if (!this.done) await sleep(opts.everyMs);
    }
  }

  describe(): string {
    return this.snapshot()
      .map((p) => `${p.name} ${p.consumed}${p.doneAt ? ' done' : ''}`)
      .join(' | ');
  }

  private async committed(n: ChainNode): Promise<Offsets> {
    const out: Offsets = new Map();
    const res = await this.admin.fetchOffsets({ groupId: n.groupId, topics: n.inputs.map((i) => i.name) });
    for (const t of res) for (const p of t.partitions) out.set(`${t.topic}:${p.partition}`, Math.max(0, Number(p.offset)));
    return out;
  }
}
