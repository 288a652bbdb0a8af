import type { TelemetryEvent } from '../../lib/events.js';
import type { DeadLetter, OutputRecord, Stage, StageResult } from '../../lib/stream/stage.js';
import { type AssetLookup, UNKNOWN_ASSET } from './assets.js';
import { type CanonicalizeLimits, canonicalize } from './canonicalize.js';
import type { NormalizeInput } from './decode.js';
import { DedupWindow } from './dedupWindow.js';

export interface NormalizeConfig extends CanonicalizeLimits {
  /** Exact duplicates by event id are dropped within this span of record time. */
  dedupWindowMs: number;
  /** Bound on remembered event ids per partition. */
  dedupMaxEntries: number;
}

export const DEFAULT_NORMALIZE_CONFIG: NormalizeConfig = {
  maxFutureMs: 5 * 60_000,
  maxAgeMs: 30 * 86_400_000,
  dedupWindowMs: 10 * 60_000,
  dedupMaxEntries: 500_000,
};

export interface DedupState {
  seen: DedupWindow;
}

/** rbp.metrics → rbp.normalized: validate, canonicalize, enrich, de-duplicate; bad input → rbp.metrics.dlq. */
export function createNormalizeStage(lookupAssets: AssetLookup, config: NormalizeConfig = DEFAULT_NORMALIZE_CONFIG): Stage<NormalizeInput, DedupState> {
  return {
    name: 'normalize',
    inputs: ['rbp.metrics'],
    outputs: ['rbp.normalized'],
    deadLetterTopic: 'rbp.metrics.dlq',
    rebuildLookbackMs: config.dedupWindowMs,
    createState: () => ({ seen: new DedupWindow(config.dedupMaxEntries) }),
    async process(batch, state, ctx): Promise<StageResult> {
      const now = ctx.now();
      const accepted: TelemetryEvent[] = [];
      const deadLetters: DeadLetter[] = [];
      let duplicates = 0;
      for (const record of batch) {
        state.seen.forgetBefore(record.timestamp - config.dedupWindowMs);
        const result = canonicalize(record.value.event, now, config, record.value.format === 'avro');
        if (!result.ok) {
          deadLetters.push({ record, reason: result.reason, error: result.error });
          continue;
        }
        if (state.seen.has(result.event.event_id)) {
          duplicates += 1;
          continue;
        }
        state.seen.add(result.event.event_id, record.timestamp);
        accepted.push(result.event);
      }
      if (ctx.replaying) return { outputs: [], deadLetters: [] };
      const assets = accepted.length ? await lookupAssets(accepted.flatMap((e) => [e.host, e.agent_id])) : new Map();
      // In place: canonicalize built each event as this batch's own object (a copy per event was a generic spread).
      const outputs: OutputRecord[] = accepted.map((event) => {
        event.asset = assets.get(event.host) ?? assets.get(event.agent_id) ?? UNKNOWN_ASSET;
        event.ingest_time = now;
        return { topic: 'rbp.normalized', key: event.agent_id, value: event };
      });
      return { outputs, deadLetters, dropped: duplicates ? { duplicate: duplicates } : {} };
    },
  };
}
