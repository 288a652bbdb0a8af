import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';

/**
 * Waits until every group has consumed its topics: committed offsets unchanged for `quietMs` and each
 * partition caught up with the high watermark (on a transactionally written topic the last commit marker
 * takes an offset of its own, so one behind is caught up there).
 */
export async function waitForDrain(admin: Admin, groups: { groupId: string; topics: { name: string; transactional: boolean }[] }[], opts: { quietMs: number; timeoutMs: number; onProgress?: (lag: number) => void }): Promise<void> {
  const started = Date.now();
  let lastSnapshot = '';
  let quietSince = Date.now();
  while (Date.now() - started < opts.timeoutMs) {
    let totalLag = 0;
    const snapshot: string[] = [];
    for (const { groupId, topics } of groups) {
      for (const { name: topic, transactional } of topics) {
        const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
        const byPartition = new Map(committed[0].partitions.map((p) => [p.partition, Number(p.offset)]));
        for (const end of ends) {
          const at = Math.max(0, byPartition.get(end.partition) ?? 0);
          const lag = Math.max(0, Number(end.high) - at);
          totalLag += lag > (transactional ? 1 : 0) ? lag : 0;
          snapshot.push(`${groupId}/${topic}/${end.partition}=${at}`);
        }
      }
    }
    opts.onProgress?.(totalLag);
    const key = snapshot.join(',');
    if (key !== lastSnapshot) {
      lastSnapshot = key;
      quietSince = Date.now();
    } else if (totalLag === 0 && Date.now() - quietSince >= opts.quietMs) {
      return;
    }
    await sleep(500);
  }
  throw new Error(`pipeline did not drain within ${Math.round(opts.timeoutMs / 1000)} s`);
}
