import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { MessagesByTopic } from './batchOutput.js';
import { type CommitShare, GroupCommit } from './groupCommit.js';
import type { TransactionOffsets } from './transactions.js';

const gen = (generationId: number) => ({ generationId, memberId: 'm-1' });
const share = (partition: number, values: string[], generationId = 7): CommitShare => ({
  messages: new Map([['out', values.map((v) => ({ key: `k${partition}`, value: Buffer.from(v) }))]]),
  topic: 'in',
  partition,
  nextOffset: String(100 + partition),
  generation: gen(generationId),
});

/** A commit function that records every transaction and finishes it only when told to. */
function recorder() {
  const calls: { messages: MessagesByTopic; offsets: TransactionOffsets; finish: (err?: Error) => void }[] = [];
  const commit = (messages: MessagesByTopic, offsets: TransactionOffsets) =>
    new Promise<void>((resolve, reject) => calls.push({ messages, offsets, finish: (err) => (err ? reject(err) : resolve()) }));
  return { calls, commit };
}

const values = (m: MessagesByTopic) => (m.get('out') ?? []).map((r) => r.value.toString());

describe('GroupCommit', () => {
  it('commits the batches of one fetch in one transaction once none is still processing', async () => {
    const { calls, commit } = recorder();
    const group = new GroupCommit(commit, 'g');
    const [a, b, c] = [group.enter(), group.enter(), group.enter()];
    const joined = [a.join(share(0, ['a1', 'a2'])), b.join(share(1, ['b1']))];
    await tick();
    expect(calls).toHaveLength(0); // c is still processing
    c.release(); // c had nothing to commit
    await tick();
    expect(calls).toHaveLength(1);
    expect(values(calls[0].messages)).toEqual(['a1', 'a2', 'b1']);
    expect(calls[0].offsets).toEqual({ groupId: 'g', generation: gen(7), partitions: [{ topic: 'in', partition: 0, nextOffset: '100' }, { topic: 'in', partition: 1, nextOffset: '101' }] });
    calls[0].finish();
    await expect(Promise.all(joined)).resolves.toEqual([undefined, undefined]);
  });

  it('fails every batch of a failed transaction, and the next transaction still goes out', async () => {
    const { calls, commit } = recorder();
    const group = new GroupCommit(commit, 'g');
    const [a, b] = [group.enter(), group.enter()];
    const joined = [a.join(share(0, ['a'])), b.join(share(1, ['b']))].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    await tick();
    calls[0].finish(new Error('PRODUCER_FENCED'));
    expect(await Promise.all(joined)).toEqual(['PRODUCER_FENCED', 'PRODUCER_FENCED']);
    const again = group.enter().join(share(0, ['a']));
    await tick();
    expect(calls).toHaveLength(2);
    calls[1].finish();
    await expect(again).resolves.toBeUndefined();
  });

  it('gathers what joins during a transaction into the next one', async () => {
    const { calls, commit } = recorder();
    const group = new GroupCommit(commit, 'g');
    const first = group.enter().join(share(0, ['a']));
    await tick();
    const later = [group.enter().join(share(1, ['b'])), group.enter().join(share(2, ['c']))];
    await tick();
    expect(calls).toHaveLength(1);
    calls[0].finish();
    await first;
    await tick();
    expect(calls).toHaveLength(2);
    expect(values(calls[1].messages)).toEqual(['b', 'c']);
    calls[1].finish();
    await Promise.all(later);
  });

  it('never puts batches of different group generations in one transaction', async () => {
    const { calls, commit } = recorder();
    const group = new GroupCommit(commit, 'g');
    const joined = [group.enter().join(share(0, ['old'], 7)), group.enter().join(share(1, ['new'], 8))];
    await tick();
    expect(calls.map((c) => c.offsets.generation?.generationId)).toEqual([7]);
    calls[0].finish();
    await joined[0];
    await tick();
    expect(calls.map((c) => c.offsets.generation?.generationId)).toEqual([7, 8]);
    expect(values(calls[1].messages)).toEqual(['new']);
    calls[1].finish();
    await joined[1];
  });

  it('refuses a ticket used twice, and a release after the join changes nothing', async () => {
    const { calls, commit } = recorder();
    const group = new GroupCommit(commit, 'g');
    const t = group.enter();
    const joined = t.join(share(0, ['a']));
    t.release();
    expect(() => t.join(share(0, ['a']))).toThrow(/already used/);
    const other = group.enter();
    await tick();
    expect(calls).toHaveLength(0); // `other` still counts as processing: the release above did not double-count
    other.release();
    await tick();
    calls[0].finish();
    await joined;
  });
});
