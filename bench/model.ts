import type { TelemetryEvent } from '../lib/events.js';
import { ModelHolder } from '../lib/models/holder.js';
import type { ScoreRow } from '../lib/models/scorer.js';
import type { BenchEvent } from './generate.js';

export interface ModelBatchResult {
  batch: number;
  rowsPerSec: number;
  /** Mean time of one `score` call (tensor building + session.run + result walk), ms. */
  msPerCall: number;
  calls: number;
}

export interface ModelBenchResult {
  model: string;
  batches: ModelBatchResult[];
}

/**
 * ONNX rows/s through lib/models/scorer (what onnx-score calls once per batch) at fixed batch sizes, on the
 * sample's real NSL-KDD connection rows, in this process while nothing else of the benchmark runs.
 */
export async function benchModel(opts: { registryDir: string; name: string; sample: BenchEvent[]; batchSizes: number[]; secondsEach: number }): Promise<ModelBenchResult> {
  const rows: ScoreRow[] = opts.sample
    .map((e) => e.event)
    .filter((e): e is Extract<TelemetryEvent, { type: 'CONNECTION' }> => e.type === 'CONNECTION')
    .map((e) => e.payload);
  const holder = await ModelHolder.open({ registryDir: opts.registryDir, name: opts.name, pollMs: 0 });
  try {
    const lease = holder.lease();
    const scorer = lease.scorer;
    const results: ModelBatchResult[] = [];
    for (const size of opts.batchSizes) {
      const batch = Array.from({ length: size }, (_, i) => rows[i % rows.length]);
      // Warm-up: first runs allocate and may be slow.
      for (let i = 0; i < 3; i++) await scorer.score(batch);
      let calls = 0;
      const started = process.hrtime.bigint();
      const budget = BigInt(Math.round(opts.secondsEach * 1e9));
      let elapsed = 0n;
      while (elapsed < budget || calls < 3) {
        await scorer.score(batch);
        calls++;
        elapsed = process.hrtime.bigint() - started;
      }
      const seconds = Number(elapsed) / 1e9;
      results.push({ batch: size, rowsPerSec: (calls * size) / seconds, msPerCall: (seconds * 1000) / calls, calls });
    }
    lease.release();
    return { model: scorer.ref, batches: results };
  } finally {
    await holder.close();
  }
}
