/**
 * One hop of the benchmark's passthrough chain, as its own process: `node dist/bench/hop.js <name>`.
 *
 * A Kafka → Kafka hop is a trivial identity Stage run by the real runtime (`runStage`: same consumer and
 * producer settings, one transaction per partition batch with sendOffsets, same state-rebuild planning), that
 * re-produces every input record's bytes unchanged; a sink hop is a no-op Sink run by `runSink`. So against
 * the real chain the only difference is socflow's own processing (decode, transform, encode, PostgreSQL).
 * It limits its heap growth as `socflow run` does (lib/heap.ts), so peak RSS compares too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { limitHeapGrowth } from '../lib/heap.js';
import { runStage } from '../lib/stream/kafkaRuntime.js';
import { runSink } from '../lib/stream/sinkRuntime.js';
import type { Sink } from '../lib/stream/sink.js';
import type { Decoder, Stage } from '../lib/stream/stage.js';

/** The passthrough twin of each socflow process: same name (so its own consumer group), same topics in and out. */
const HOPS: Record<string, { kind: 'stage'; inputs: string[]; output: string; dlq: string } | { kind: 'sink'; inputs: string[]; dlq: string }> = {
  normalize: { kind: 'stage', inputs: ['rbp.metrics'], output: 'rbp.normalized', dlq: 'rbp.metrics.dlq' },
  correlate: { kind: 'stage', inputs: ['rbp.normalized'], output: 'rbp.correlated', dlq: 'rbp.normalized.dlq' },
  'onnx-score': { kind: 'stage', inputs: ['rbp.correlated'], output: 'rbp.alerts', dlq: 'rbp.correlated.dlq' },
  'alert-store': { kind: 'sink', inputs: ['rbp.alerts'], dlq: 'rbp.alerts.dlq' },
  'quota-manager': { kind: 'stage', inputs: ['rbp.alerts', 'rbp.approvals'], output: 'rbp.quota_updates', dlq: 'rbp.alerts.dlq' },
  'quota-store': { kind: 'sink', inputs: ['rbp.quota_updates', 'rbp.proposals', 'rbp.approvals'], dlq: 'rbp.alerts.dlq' },
};

const bytes: Decoder<Buffer> = (b) => ({ ok: true, value: b });

function identityStage(name: string, inputs: string[], output: string, dlq: string): Stage<Buffer, null> {
  return {
    name,
    inputs,
    outputs: [output],
    deadLetterTopic: dlq,
    rebuildLookbackMs: 0,
    createState: () => null,
    process: (batch) => ({ outputs: batch.map((r) => ({ topic: output, key: r.key ?? '', value: r.value })), deadLetters: [] }),
  };
}

function noopSink(name: string, inputs: string[], dlq: string): Sink<Buffer> {
  return { name, inputs, deadLetterTopic: dlq, write: async () => undefined };
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const hop = HOPS[name];
  if (!hop) throw new Error(`unknown hop "${name}" (hops: ${Object.keys(HOPS).join(', ')})`);
  limitHeapGrowth(); // as `socflow run` does for a stage
  const opts = { instanceId: process.argv[3] ?? 'bench-0', metricsPort: -1 };
  const running = hop.kind === 'stage' ? await runStage(identityStage(name, hop.inputs, hop.output, hop.dlq), bytes, opts) : await runSink(noopSink(name, hop.inputs, hop.dlq), bytes, opts);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await Promise.race([running.stop(), sleep(20_000)]);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`bench hop: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
