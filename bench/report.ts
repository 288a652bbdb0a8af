import { DEFAULT_HEAP_GROWING_PERCENT } from '../lib/heap.js';
import type { BenchResult, ChainResult } from './run.js';

/** The targets on the 2-core reference machine (docs/BENCHMARKS.md). */
export const TARGETS = { throughputEps: 20_000, ratio: 0.6, p99Ms: 200, rssMb: 200 };

const pad = (s: string | number, n: number) => String(s).padStart(n);
const padR = (s: string | number, n: number) => String(s).padEnd(n);
const num = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');

function chainTable(title: string, c: ChainResult, rss: Record<string, number>, label: string): string[] {
  const lines = [
    title,
    `  events ${num(c.events)}; produced in ${num(c.produceMs / 1000, 1)} s; last Kafka stage done at ${num(c.kafkaDoneMs / 1000, 2)} s; last alert stored at ${num(c.storedDoneMs / 1000, 2)} s; all drained at ${num(c.allDoneMs / 1000, 2)} s`,
    `  sustained: ${num(c.eps)} events/s to the last alert stored, ${num(c.kafkaEps)} events/s to the last record out of the last Kafka stage`,
    `  ${padR('stage', 15)}${pad('offsets in', 12)}${pad('records/s', 11)}${pad('done at s', 11)}${pad('CPU s', 8)}${pad('peak RSS MB', 13)}`,
  ];
  for (const s of c.stages) {
    lines.push(`  ${padR(s.name, 15)}${pad(num(s.consumed), 12)}${pad(num(s.recordsPerSec), 11)}${pad(num(s.doneAfterMs === null ? null : s.doneAfterMs / 1000, 2), 11)}${pad(num(s.cpuSeconds, 1), 8)}${pad(num(rss[`${label}:${s.name}`], 0), 13)}`);
  }
  const others = Object.entries(c.cpu).filter(([k]) => !k.includes(':'));
  if (others.length) lines.push(`  CPU s elsewhere during the run: ${others.map(([k, v]) => `${k} ${num(v, 1)}`).join(', ')}`);
  lines.push(`  CPU per event: ${num(c.cpuUsPerEvent.stages)} µs in the chain's processes, ${num(c.cpuUsPerEvent.all)} µs with broker, PostgreSQL and producer (2 cores = ${num(2e6 / c.cpuUsPerEvent.all)} events/s if nothing else ran)`);
  return lines;
}

export function formatReport(r: BenchResult): string {
  const out: string[] = ['', 'socflow bench'];
  out.push(`  machine: ${r.machine.nproc} cores (${r.machine.cpuModel}), ${r.machine.memGiB} GiB, Node ${r.machine.node}, load at start ${r.machine.loadavg}`);
  const broker = r.machine.broker as { upS: number; cpuS: number } | undefined;
  if (broker) out.push(`  broker at start: up ${broker.upS} s, ${broker.cpuS} CPU s of work so far (a fresh broker JVM is not JIT-compiled yet: its first run is slower)`);
  const heapGrowth = r.stageEnv.SOCFLOW_HEAP_GROWING_PERCENT ?? process.env.SOCFLOW_HEAP_GROWING_PERCENT ?? DEFAULT_HEAP_GROWING_PERCENT;
  out.push(`  topics: ${r.partitions} partitions; stage heap growth ${heapGrowth} % (SOCFLOW_HEAP_GROWING_PERCENT); stage NODE_OPTIONS: ${r.nodeOptions}; stage env: ${Object.entries(r.stageEnv).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}`);
  if (r.model) {
    out.push('', `ONNX model ${r.model.model} (lib/models/scorer, one session.run per call)`);
    out.push(`  ${pad('batch', 7)}${pad('rows/s', 12)}${pad('ms/call', 10)}`);
    for (const b of r.model.batches) out.push(`  ${pad(b.batch, 7)}${pad(num(b.rowsPerSec), 12)}${pad(num(b.msPerCall, 3), 10)}`);
    if (r.model.stageRuns) out.push(`  in the pipeline (onnx-score: one run per partition batch): ${num(r.model.stageRuns)} runs, ${num(r.model.stageRowsPerRun)} rows/run, ${num(r.model.stageRunMs, 1)} ms/run`);
  }
  if (r.stageCosts) {
    out.push('', 'Stage cost without Kafka (this process, CPU µs per input record; batches of 1000, one partition)');
    out.push(`  ${padR('stage', 12)}${pad('records', 9)}${pad('outputs', 9)}${pad('decode', 9)}${pad('transform', 11)}${pad('encode', 9)}${pad('total', 9)}`);
    for (const c of r.stageCosts) out.push(`  ${padR(c.stage, 12)}${pad(num(c.records), 9)}${pad(num(c.outputs), 9)}${pad(num(c.decodeUs, 1), 9)}${pad(num(c.processUs, 1), 11)}${pad(num(c.encodeUs, 1), 9)}${pad(num(c.totalUs, 1), 9)}`);
  }
  if (r.passthrough) out.push('', ...chainTable('Passthrough chain (identity hops through runStage/runSink, same topics and groups)', r.passthrough, r.peakRssMb, 'passthrough'));
  if (r.pipeline) {
    out.push('', ...chainTable('Pipeline (normalize, correlate, onnx-score, alert-store, quota-manager, quota-store; one process each)', r.pipeline, r.peakRssMb, 'pipeline'));
    out.push(`  alerts stored ${num(r.pipeline.alerts)}; dead letters ${num(r.pipeline.dlq)}`);
  }
  if (r.latency) {
    const l = r.latency;
    out.push('', `Latency at ${num(l.offeredEps)} events/s offered for ${l.durationS} s after ${l.warmupS} s of warm-up at that load (achieved ${num(l.achievedProduceEps)} events/s): event produced → alert row in PostgreSQL`);
    out.push(`  cold start (the warm-up seconds, not in the percentiles): ${num(l.coldStart.samples)} alerts, p50 ${num(l.coldStart.p50, 1)} ms, p99 ${num(l.coldStart.p99, 1)} ms, max ${num(l.coldStart.max, 1)} ms`);
    out.push(`  ${num(l.samples)} alerts: p50 ${num(l.p50, 1)} ms, p95 ${num(l.p95, 1)} ms, p99 ${num(l.p99, 1)} ms, max ${num(l.max, 1)} ms, mean ${num(l.mean, 1)} ms${l.negative ? ` (${l.negative} negative, clock skew)` : ''}`);
    for (const [k, v] of Object.entries(l.byDetector)) out.push(`    ${padR(k, 6)} ${num(v.n)} alerts: p50 ${num(v.p50, 1)} ms, p99 ${num(v.p99, 1)} ms`);
    out.push(`  drained ${num(l.drainAfterLastProduceMs)} ms after the last produce; the benchmark's own send lateness (due → send) p99 ${num(l.sendLate.p99)} ms, max ${num(l.sendLate.max)} ms; its sends acknowledged after p50 ${num(l.sendAck.p50)}, p99 ${num(l.sendAck.p99)}, max ${num(l.sendAck.max)} ms`);
    const stages = Object.entries(l.cpu.seconds).filter(([k, v]) => k.includes(':') && v > 0); // the phase's own processes
    const stageCpu = stages.reduce((a, [, v]) => a + v, 0);
    const perStage = stages.map(([k, v]) => `${k.slice(k.indexOf(':') + 1)} ${num(v, 1)}`).join(', ');
    out.push(`  CPU while the measured events were produced: ${num(l.cpu.busyShare * 100)} % of all cores busy with the run (stages ${num(stageCpu, 1)} s: ${perStage}; broker ${num(l.cpu.seconds.broker, 1)} s, benchmark ${num(l.cpu.seconds.bench, 1)} s), ${num(l.cpu.usPerEvent)} µs per event${l.cpu.stolenShare === null ? '' : `; ${num(l.cpu.stolenShare * 100)} % of all cores stolen by the hypervisor`}`);
    out.push('  where it accumulates (record timestamp on the stage\'s output topic − event time):');
    for (const h of l.hops) out.push(`    ${padR(h.topic, 16)} ${pad(num(h.records), 8)} records: p50 ${num(h.p50, 1)} ms, p95 ${num(h.p95, 1)} ms, p99 ${num(h.p99, 1)} ms`);
  }
  const rssEntries = Object.entries(r.peakRssMb);
  if (rssEntries.length) out.push('', `Peak RSS (VmHWM) per process: ${rssEntries.map(([k, v]) => `${k} ${num(v)} MB`).join(', ')}`);
  const failed = Object.entries(r.failedBatches).filter(([, n]) => n > 0);
  if (Object.keys(r.failedBatches).length) {
    // An aborted batch rebuilds its partition's state from the log: a latency tail of seconds, so say it.
    out.push(`Batches aborted and re-read (stage logs): ${failed.length ? failed.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`);
  }
  const s = summaryLine(r);
  out.push('', 'Targets (2-core machine)');
  if (s.throughput_eps !== null) out.push(`  throughput ≥ ${num(TARGETS.throughputEps)} events/s: ${num(s.throughput_eps)} — ${mark(s.throughput_eps >= TARGETS.throughputEps)}`);
  if (s.ratio !== null) out.push(`  pipeline / passthrough ≥ ${TARGETS.ratio}: ${num(s.ratio, 2)} — ${mark(s.ratio >= TARGETS.ratio)} (by CPU per event: ${num(s.cpu_ratio, 2)})`);
  if (s.p99_ms !== null) out.push(`  p99 ≤ ${TARGETS.p99Ms} ms at ${num(r.latency!.offeredEps)} events/s: ${num(s.p99_ms, 1)} ms — ${mark(s.p99_ms <= TARGETS.p99Ms)}`);
  if (s.max_rss_mb !== null) out.push(`  ≤ ${TARGETS.rssMb} MB RSS per stage: max ${num(s.max_rss_mb)} MB — ${mark(s.max_rss_mb <= TARGETS.rssMb)}`);
  out.push('');
  return `${out.join('\n')}\n`;
}

/** The last stdout line: the headline figures first, details after. */
export function summaryLine(r: BenchResult) {
  const pipelineRss = Object.entries(r.peakRssMb).filter(([k]) => k.startsWith('pipeline:'));
  const throughput = r.pipeline?.eps ?? null;
  const passthrough = r.passthrough?.eps ?? null;
  return {
    throughput_eps: throughput,
    passthrough_eps: passthrough,
    ratio: throughput !== null && passthrough ? Math.round((throughput / passthrough) * 1000) / 1000 : null,
    p50_ms: r.latency?.p50 ?? null,
    p95_ms: r.latency?.p95 ?? null,
    p99_ms: r.latency?.p99 ?? null,
    max_rss_mb: pipelineRss.length ? Math.max(...pipelineRss.map(([, v]) => v)) : null,
    /** passthrough / pipeline CPU per event: the ratio with the machine's other load taken out. */
    cpu_ratio: r.pipeline && r.passthrough ? Math.round((r.passthrough.cpuUsPerEvent.all / r.pipeline.cpuUsPerEvent.all) * 1000) / 1000 : null,
    kafka_chain_eps: r.pipeline?.kafkaEps ?? null,
    passthrough_kafka_eps: r.passthrough?.kafkaEps ?? null,
    events: r.pipeline?.events ?? r.passthrough?.events ?? null,
    latency_offered_eps: r.latency?.offeredEps ?? null,
    latency_samples: r.latency?.samples ?? null,
    stage_records_per_sec: r.pipeline ? Object.fromEntries(r.pipeline.stages.map((s) => [s.name, s.recordsPerSec])) : null,
    peak_rss_mb: r.peakRssMb,
    failed_batches: r.failedBatches,
    cpu_us_per_event: r.pipeline ? r.pipeline.cpuUsPerEvent.all : null,
    passthrough_cpu_us_per_event: r.passthrough ? r.passthrough.cpuUsPerEvent.all : null,
    stage_cost_us: r.stageCosts ? Object.fromEntries(r.stageCosts.map((c) => [c.stage, c.totalUs])) : null,
    model_rows_per_sec: r.model ? Object.fromEntries(r.model.batches.map((b) => [String(b.batch), Math.round(b.rowsPerSec)])) : null,
    partitions: r.partitions,
    node_options: r.nodeOptions,
    stage_env: r.stageEnv,
    nproc: r.machine.nproc,
    broker_at_start: r.machine.broker ?? null,
    latency_cpu_busy: r.latency ? r.latency.cpu.busyShare : null,
    latency_cpu_stolen: r.latency ? r.latency.cpu.stolenShare : null,
    latency_cpu_us_per_event: r.latency ? r.latency.cpu.usPerEvent : null,
  };
}
