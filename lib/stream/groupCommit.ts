import type { MessagesByTopic } from './batchOutput.js';
import type { GroupGeneration, TransactionOffsets } from './transactions.js';

/** One partition batch's share of a transaction: its encoded outputs and the next offset to read. */
export interface CommitShare {
  messages: MessagesByTopic;
  topic: string;
  partition: number;
  nextOffset: string;
  generation: GroupGeneration;
}

/** Joined: the batch's share rides the next transaction (resolves once committed). Released: nothing to commit. */
export interface CommitTicket {
  join(share: CommitShare): Promise<void>;
  /** No-op once joined or released. */
  release(): void;
}

type Commit = (messages: MessagesByTopic, offsets: TransactionOffsets) => Promise<void>;

interface Waiting {
  share: CommitShare;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: the partition batches of one fetch go out in one transaction instead of one each. A batch
 * `enter`s when its processing starts and then either joins with its ticket (and waits for the transaction
 * that carries it) or releases it (nothing to commit, or it failed). A transaction starts once no entered batch is still
 * processing, after pending I/O callbacks have run (setImmediate), so every batch kafkajs handed out together
 * is in it; while one is in flight, the next accumulates. A failed transaction fails every batch in it.
 *
 * Why: a transaction is five broker round trips (AddPartitionsToTxn, Produce, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn) whatever its size; one per partition made small batches, at moderate load, cost
 * most of a hop's CPU and, with the partitions of a fetch committed one after another, its latency.
 * Batches of different group generations never share a transaction (the coordinator judges it by one).
 */
export class GroupCommit {
  private processing = 0;
  private waiting: Waiting[] = [];
  private committing = false;
  private scheduled = false;

  constructor(
    private readonly commit: Commit,
    private readonly groupId: string,
  ) {}

  /** A batch started processing: the next transaction waits for its ticket to be joined or released. */
  enter(): CommitTicket {
    this.processing += 1;
    let open = true;
    const close = () => {
      const was = open;
      open = false;
      if (was) this.processing -= 1;
      return was;
    };
    return {
      join: (share) => {
        if (!close()) throw new Error('GroupCommit: ticket already used');
        const done = new Promise<void>((resolve, reject) => this.waiting.push({ share, resolve, reject }));
        this.schedule();
        return done;
      },
      release: () => {
        if (close()) this.schedule();
      },
    };
  }

  private schedule(): void {
    if (this.scheduled || this.committing || this.processing > 0 || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.committing || this.processing > 0 || this.waiting.length === 0) return;
    const generation = this.waiting[0].share.generation;
    const same = (w: Waiting) => w.share.generation.generationId === generation.generationId && w.share.generation.memberId === generation.memberId;
    const batch = this.waiting.filter(same);
    this.waiting = this.waiting.filter((w) => !same(w));
    this.committing = true;
    try {
      await this.commit(mergeMessages(batch.map((w) => w.share.messages)), {
        groupId: this.groupId,
        partitions: batch.map(({ share }) => ({ topic: share.topic, partition: share.partition, nextOffset: share.nextOffset })),
        generation,
      });
      for (const w of batch) w.resolve();
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.committing = false;
      this.schedule();
    }
  }
}

/** One map per output topic, each share's records in order (a key comes from one input partition only). */
function mergeMessages(all: MessagesByTopic[]): MessagesByTopic {
  if (all.length === 1) return all[0];
  const merged: MessagesByTopic = new Map();
  for (const messages of all) {
    for (const [topic, list] of messages) {
      const into = merged.get(topic);
      if (!into) merged.set(topic, [...list]);
      else for (const m of list) into.push(m);
    }
  }
  return merged;
}
