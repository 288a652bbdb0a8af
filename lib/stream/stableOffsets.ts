import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { TRANSACTION_TIMEOUT_MS } from '../kafka/client.js';

/**
 * The committed offset of `partition` in each of `topics` (null: none), read with require_stable (KIP-447):
 * while a transaction that committed offsets for it is open — another copy's, or a dead copy's until the
 * broker aborts it — the coordinator answers "unstable", and this asks again, for at most twice the
 * transaction timeout. So a new owner never starts below what that transaction may still commit.
 */
export async function stableCommittedOffsets(admin: Admin, groupId: string, topics: string[], partition: number): Promise<Map<string, bigint | null>> {
  const deadline = Date.now() + 2 * TRANSACTION_TIMEOUT_MS;
  for (;;) {
    const fetched = await admin.fetchOffsets({ groupId, topics, requireStable: true });
    const mine = fetched.map((t) => ({ topic: t.topic, p: t.partitions.find((x) => x.partition === partition) }));
    if (!mine.some(({ p }) => p?.unstable)) return new Map(mine.map(({ topic, p }) => [topic, p && Number(p.offset) >= 0 ? BigInt(p.offset) : null]));
    if (Date.now() > deadline) throw new Error(`the committed offsets of partition ${partition} of ${topics.join(', ')} stayed unstable for ${2 * TRANSACTION_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}
