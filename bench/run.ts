import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import pg from 'pg';
import { createRunDatabase, seedAssets } from '../demo/run.js';
import type { StackComponent } from '../infra/stack/component.js';
import { stackContext } from '../infra/stack/context.js';
import { stackUp, stopComponent } from '../infra/stack/stack.js';
import { setting } from '../lib/config.js';
import { migrate } from '../lib/db/migrate.js';
import type { AssetContext, TelemetryEvent } from '../lib/events.js';
import { CachedDefaultPartitioner, createKafka } from '../lib/kafka/client.js';
import { fromRoot } from '../lib/paths.js';
import { codecFor, type Codec } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { StageProcess, stageProcessEnv } from '../lib/stream/stageProcess.js';
import { applyCatalog } from '../lib/topics/apply.js';
import { loadTopicCatalog, topicSpec, type TopicCatalog } from '../lib/topics/catalog.js';
import { ChainTracker, chainNodes, type NodeProgress, PIPELINE_STAGES } from './chain.js';
import { type BenchEvent, ClonePlan, cloneAssets, cloneEvents, clonesFor, encodeEvent, type EncodedEvent, loadSample } from './generate.js';
import { LatencyHistogram } from './histogram.js';
import { type HopLatency, hopLatencies } from './hops.js';
import { PROFILE_DIR_ENV } from './profiles.js';
import { benchModel, type ModelBenchResult } from './model.js';
import { assertAlive, type BenchProcess, cpuSecondsOf, failedBatches, HopProcess, processAgeSeconds, stackPid, stolenCpuSeconds, waitGroupsStable } from './processes.js';
import { profiled } from './cpuprof.js';
import { RssSampler } from './rss.js';
import { measureStageCosts, type StageCost } from './stageCost.js';

export interface BenchOptions {
  /** Events replayed through each chain for the throughput figures. */
  events: number;
  /** Events replayed (and drained) before measuring, so start-up and JIT warm-up are not measured. */
  warmup: number;
  /** Offered load (events/s) and duration (s) of the latency phase. */
  rate: number;
  durationS: number;
  /** Seconds at the offered load before the measured part, on their own entities (the cold start). */
  latencyWarmupS: number;
  modelSecondsEach: number;
  phases: { model: boolean; cost: boolean; passthrough: boolean; pipeline: boolean; latency: boolean };
  /** Events of the in-process stage cost measurement (bench/stageCost.ts). */
  costEvents: number;
  /** Partitions of every benchmark topic (default: the catalog's). */
  partitions?: number;
  /** NODE_OPTIONS for every stage process (e.g. --max-old-space-size=160). */
  nodeOptions?: string;
  /** Extra environment for every stage process (runtime settings such as SOCFLOW_KAFKA_MAX_BYTES_PER_PARTITION). */
  stageEnv: Record<string, string>;
  /** Write a V8 CPU profile of every stage process here (bench/cpuprof.ts). */
  cpuProfDir?: string;
  /** Messages per producer.send of the benchmark's own producer. */
  produceChunk: number;
  /** Latency phase: the producer sends what fell due once every this many ms. */
  lingerMs: number;
  keep: boolean;
  sample: string;
  say: (line: string) => void;
  progress: (line: string) => void;
}

export interface StageFigures {
  name: string;
  kind: 'stage' | 'sink';
  consumed: number;
  recordsPerSec: number | null;
  doneAfterMs: number | null;
  cpuSeconds: number | null;
  peakRssMb: number | null;
}

export interface ChainResult {
  events: number;
  produceMs: number;
  /** First produce → every Kafka → Kafka stage done (last record out of the last Kafka stage). */
  kafkaDoneMs: number;
  /** First produce → last alert stored (alert-store done / last alert row), and → everything drained. */
  storedDoneMs: number;
  allDoneMs: number;
  eps: number;
  kafkaEps: number;
  stages: StageFigures[];
  cpu: Record<string, number>;
  /** CPU µs per event: the chain's own processes, and everything (with the broker, PostgreSQL and the benchmark's producer). */
  cpuUsPerEvent: { stages: number; all: number };
}

export interface LatencyResult {
  offeredEps: number;
  durationS: number;
  warmupS: number;
  /** Alerts of the warm-up seconds (stage processes' JIT, caches and windows cold), not in the percentiles. */
  coldStart: { samples: number; p50: number; p99: number; max: number };
  events: number;
  achievedProduceEps: number;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  negative: number;
  byDetector: Record<string, { n: number; p50: number; p99: number }>;
  drainAfterLastProduceMs: number;
  /** CPU seconds of each process while the measured events were produced, and that as a share of all cores. */
  /** … and the share of all cores the hypervisor stole meanwhile (null where /proc/stat has no steal field). */
  cpu: { seconds: Record<string, number>; busyShare: number; stolenShare: number | null; usPerEvent: number };
  /** Measured events' due time → their send handed to kafkajs (the oldest of each send): the harness's own delay. */
  sendLate: { p99: number; max: number };
  /** The broker's answer to each of those sends (handed to kafkajs → acknowledged): a late send is late because the previous one waited this long. */
  sendAck: { p50: number; p99: number; max: number };
  /** Record timestamp − event time on each stage's output topic (where the latency accumulates). */
  hops: HopLatency[];
}

export interface BenchResult {
  machine: Record<string, unknown>;
  model?: ModelBenchResult & { stageRowsPerRun?: number; stageRunMs?: number; stageRuns?: number };
  stageCosts?: StageCost[];
  passthrough?: ChainResult;
  pipeline?: ChainResult & { alerts: number; dlq: number };
  latency?: LatencyResult;
  peakRssMb: Record<string, number>;
  /** Batches each stage process aborted (or a sink failed to write) and re-read, by `<chain>:<stage>`. */
  failedBatches: Record<string, number>;
  nodeOptions: string;
  stageEnv: Record<string, string>;
  partitions: number;
}

const LOG_DIR = fromRoot('.stack/bench-logs');

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const { say } = opts;
  const machine = machineInfo();
  say(`==> machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memGiB} GiB, load ${machine.loadavg}`);
  say('==> local stack');
  const ctx = stackContext((line) => say(line));
  const startedParts: StackComponent[] = [];
  const env = await stackUp(ctx, startedParts);
  Object.assign(process.env, env);
  machine.broker = brokerAtStart();
  const registryDir = setting('SOCFLOW_MODEL_REGISTRY') ?? fromRoot('models/registry');
  const sample = await loadSample(opts.sample);
  const runId = Date.now().toString(36);
  const result: BenchResult = { machine, peakRssMb: {}, failedBatches: {}, nodeOptions: stageProcessEnv(nodeEnv(opts)).NODE_OPTIONS ?? '', stageEnv: opts.stageEnv, partitions: 0 };
  const sampler = new RssSampler((c) => {
    const i = c.cmdline.indexOf('run');
    if (i >= 0 && c.cmdline[i + 1] && c.cmdline.some((a) => a.endsWith('socflow.js'))) return `pipeline:${c.cmdline[i + 1]}`;
    const hop = c.cmdline.findIndex((a) => a.endsWith('bench/hop.js'));
    return hop >= 0 ? `passthrough:${c.cmdline[hop + 1]}` : undefined;
  }).start(250);
  const kafka = createKafka('socflow-bench');
  const admin = kafka.admin();
  await admin.connect();
  const dbs: string[] = [];
  const topicsToDelete: string[] = [];
  try {
    const stale = (await admin.listTopics()).filter((t) => t.startsWith('bench-') && !t.startsWith(`bench-${runId}`));
    if (stale.length) await admin.deleteTopics({ topics: stale }).catch(() => undefined);

    if (opts.phases.model) {
      say(`==> model: ONNX rows/s at batch sizes 1, 64, 512, 4096 (${registryDir})`);
      result.model = await benchModel({ registryDir, name: setting('SOCFLOW_MODEL_NAME') ?? 'nslkdd-binary', sample, batchSizes: [1, 64, 512, 4096], secondsEach: opts.modelSecondsEach });
    }

    if (opts.phases.passthrough) {
      const prefix = `bench-${runId}-pt.`;
      say(`==> passthrough chain (identity stages through runStage, no-op sinks through runSink), topics ${prefix}*`);
      const catalog = await isolatedTopics(admin, prefix, opts.partitions, topicsToDelete);
      result.partitions = topicSpec(catalog, 'rbp.metrics').partitions;
      const procs = PIPELINE_STAGES.map((s) => new HopProcess(s, { SOCFLOW_TOPIC_PREFIX: prefix, ...nodeEnv(opts) }, LOG_DIR).start());
      try {
        result.passthrough = await measureChain('passthrough', { opts, admin, kafka, catalog, prefix, procs, sample, sampler });
      } finally {
        sampler.sample();
        for (const p of procs) await p.stop();
        countFailedBatches(result, 'passthrough', procs);
      }
    }

    if (opts.phases.pipeline || opts.phases.latency || opts.phases.cost) {
      const prefix = `bench-${runId}.`;
      const dbName = `socflow_bench_${runId}`;
      say(`==> pipeline: topics ${prefix}*, database ${dbName}`);
      const databaseUrl = await createRunDatabase(env.DATABASE_URL, dbName, 'socflow\\_bench\\_%');
      dbs.push(dbName);
      const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
      try {
        await prepareDatabase(db, opts, sample.length);
        const catalog = await isolatedTopics(admin, prefix, opts.partitions, topicsToDelete);
        result.partitions = topicSpec(catalog, 'rbp.metrics').partitions;
        if (opts.phases.cost) {
          say(`==> stage cost: normalize → correlate → onnx-score in this process on ${opts.costEvents} events (decode, transform, encode; no Kafka)`);
          const codec = await metricsCodec(catalog);
          const assetsFile = fromRoot('samples/demo/assets.json');
          const assets = new Map(cloneAssets(assetsFile, TAGS.cost, clonesFor(opts.costEvents, sample.length)).map((a) => [a.asset_id, { criticality: a.criticality as AssetContext['criticality'], owner: a.owner }]));
          const events = encodeAll(cloneEvents(sample, opts.costEvents, TAGS.cost), codec, Date.now() - 70_000);
          result.stageCosts = await profiled(opts.cpuProfDir, 'cost', () => measureStageCosts({ catalog, events, assets, registryDir, modelName: setting('SOCFLOW_MODEL_NAME') ?? 'nslkdd-binary', batchSize: 1000 }));
        }
        if (!opts.phases.pipeline && !opts.phases.latency) return result;
        const modelPort = await freePort();
        const procs = PIPELINE_STAGES.map((s) =>
          new StageProcess(
            s,
            { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, SOCFLOW_MODEL_POLL_MS: '0', ...(s === 'onnx-score' ? { SOCFLOW_MODEL_METRICS_PORT: String(modelPort) } : {}), ...nodeEnv(opts) },
            'bench-0',
            LOG_DIR,
          ).start(),
        );
        try {
          if (opts.phases.pipeline) {
            const chain = await measureChain('pipeline', { opts, admin, kafka, catalog, prefix, procs, sample, sampler, db });
            const alerts = Number((await db.query<{ n: string }>("SELECT count(*) n FROM alerts WHERE agent_id ~ '-tc[0-9]+$'")).rows[0].n);
            result.pipeline = { ...chain, alerts, dlq: await dlqCount(admin, catalog) };
          }
          if (opts.phases.latency) result.latency = await measureLatency({ opts, admin, kafka, catalog, prefix, procs, sample, sampler, db });
          if (result.model) Object.assign(result.model, await scrapeModelMetrics(modelPort));
        } finally {
          sampler.sample();
          for (const p of procs) await p.stop();
          countFailedBatches(result, 'pipeline', procs);
        }
      } finally {
        await db.end();
      }
    }
  } finally {
    sampler.stop();
    for (const [name, mb] of sampler.peakMb) result.peakRssMb[name] = Math.round(mb * 10) / 10;
    if (!opts.keep) {
      if (topicsToDelete.length) await admin.deleteTopics({ topics: topicsToDelete }).catch(() => undefined);
      for (const name of dbs) await dropDatabase(env.DATABASE_URL, name).catch(() => undefined);
    } else {
      say(`kept topics bench-${runId}* and database(s) ${dbs.join(', ')}`);
    }
    await admin.disconnect();
    for (const part of startedParts.reverse()) await stopComponent(ctx, part);
  }
  return result;
}

interface PhaseContext {
  opts: BenchOptions;
  admin: Admin;
  kafka: kafkajs.Kafka;
  catalog: TopicCatalog;
  prefix: string;
  procs: BenchProcess[];
  sample: BenchEvent[];
  sampler?: RssSampler;
  db?: pg.Pool;
}

function countFailedBatches(result: BenchResult, chain: string, procs: BenchProcess[]): void {
  for (const p of procs) result.failedBatches[`${chain}:${p.stage}`] = failedBatches(p);
}

function nodeEnv(opts: BenchOptions): Record<string, string> {
  const flags = [opts.nodeOptions, opts.cpuProfDir ? `--import=${fromRoot('dist/bench/cpuprof.js')}` : undefined].filter(Boolean).join(' ');
  return { ...opts.stageEnv, ...(flags ? { NODE_OPTIONS: flags } : {}), ...(opts.cpuProfDir ? { [PROFILE_DIR_ENV]: opts.cpuProfDir } : {}) };
}

async function isolatedTopics(admin: Admin, prefix: string, partitions: number | undefined, created: string[]): Promise<TopicCatalog> {
  const catalog = loadTopicCatalog(undefined, prefix);
  if (partitions) for (const spec of catalog.values()) spec.partitions = partitions;
  const report = await applyCatalog(catalog, admin, new SchemaRegistryClient());
  created.push(...report.created);
  return catalog;
}

/** Tags of the entity sets: warm-up, throughput, latency warm-up, latency, stage cost (see generate.ts). */
const TAGS = { warmup: 'w', throughput: 't', latencyWarmup: 'v', latency: 'l', cost: 'k' } as const;

async function prepareDatabase(db: pg.Pool, opts: BenchOptions, sampleSize: number): Promise<void> {
  const client = await db.connect();
  const dir = mkdtempSync(join(os.tmpdir(), 'socflow-bench-'));
  try {
    await migrate(client);
    const file = join(dir, 'assets.json');
    const assetsFile = fromRoot('samples/demo/assets.json');
    writeFileSync(
      file,
      JSON.stringify([
        ...cloneAssets(assetsFile, TAGS.warmup, clonesFor(opts.warmup, sampleSize)),
        ...cloneAssets(assetsFile, TAGS.throughput, clonesFor(opts.events, sampleSize)),
        ...cloneAssets(assetsFile, TAGS.latencyWarmup, clonesFor(opts.rate * opts.latencyWarmupS, sampleSize)),
        ...cloneAssets(assetsFile, TAGS.latency, clonesFor(opts.rate * opts.durationS, sampleSize)),
      ]),
    );
    await seedAssets(client, file);
  } finally {
    client.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function metricsCodec(catalog: TopicCatalog): Promise<Codec<TelemetryEvent>> {
  return codecFor<TelemetryEvent>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.metrics'));
}

function benchProducer(kafka: kafkajs.Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: CachedDefaultPartitioner });
}

/** Encodes a phase's events with event time = base + offset (all in the recent past, as live traffic). */
function encodeAll(events: BenchEvent[], codec: Codec<TelemetryEvent>, base: number): EncodedEvent[] {
  return events.map((e) => encodeEvent({ ...e.event, event_time: base + e.offsetMs }, codec));
}

/**
 * Warm-up, then the measured replay: every event produced as fast as one producer can (chunks of
 * `produceChunk`), the chain followed through its committed offsets until it has drained.
 */
async function measureChain(label: string, p: PhaseContext & { sampler: RssSampler }): Promise<ChainResult> {
  const { opts, admin, kafka, catalog, prefix, procs, sample } = p;
  const nodes = chainNodes(catalog, prefix);
  await waitGroupsStable(admin, nodes.map((n) => n.groupId), { timeoutMs: 120_000, check: () => assertAlive(procs) });
  const codec = await metricsCodec(catalog);
  const producer = benchProducer(kafka);
  await producer.connect();
  const topic = topicSpec(catalog, 'rbp.metrics').name;
  const span = Math.max(...sample.map((e) => e.offsetMs)) + 5000;
  try {
    if (opts.warmup > 0) {
      opts.say(`  [${label}] warm-up: ${opts.warmup} events`);
      const warm = encodeAll(cloneEvents(sample, opts.warmup, TAGS.warmup), codec, Date.now() - span - 10_000);
      await replayChain(label, 'warm-up', warm, { ...p, producer, topic, nodes });
    }
    const events = encodeAll(cloneEvents(sample, opts.events, TAGS.throughput), codec, Date.now() - span);
    opts.say(`  [${label}] measuring: ${events.length} events`);
    const cpuBefore = cpuSnapshot(p.sampler);
    const r = await replayChain(label, 'measured', events, { ...p, producer, topic, nodes });
    const cpuAfter = cpuSnapshot(p.sampler);
    const cpu = Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, Math.round((v - (cpuBefore[k] ?? 0)) * 100) / 100]));
    let storedDoneAt = r.tracker.doneAt('alert-store')!;
    if (p.db) {
      // The exact moment the last alert row was written (its transaction's start; it commits right after).
      const { rows } = await p.db.query<{ t: string | null }>("SELECT (extract(epoch FROM max(created_at)) * 1000)::float8 t FROM alerts WHERE agent_id ~ '-tc[0-9]+$'");
      if (rows[0].t !== null) storedDoneAt = Math.min(storedDoneAt, Math.ceil(Number(rows[0].t)));
    }
    const kafkaDoneAt = Math.max(...nodes.filter((n) => n.kind === 'stage').map((n) => r.tracker.doneAt(n.name)!));
    const allDoneAt = Math.max(...nodes.map((n) => r.tracker.doneAt(n.name)!));
    const stages: StageFigures[] = r.progress.map((s: NodeProgress) => ({
      name: s.name,
      kind: s.kind,
      consumed: s.consumed,
      recordsPerSec: s.recordsPerSec === null ? null : Math.round(s.recordsPerSec),
      doneAfterMs: s.doneAt === null ? null : s.doneAt - r.startedAt,
      cpuSeconds: cpu[`${label}:${s.name}`] ?? null,
      peakRssMb: p.sampler.peakMb.get(`${label}:${s.name}`) ?? null,
    }));
    const storedMs = storedDoneAt - r.startedAt;
    return {
      events: events.length,
      produceMs: r.producedAt - r.startedAt,
      kafkaDoneMs: kafkaDoneAt - r.startedAt,
      storedDoneMs: storedMs,
      allDoneMs: allDoneAt - r.startedAt,
      eps: Math.round(events.length / (storedMs / 1000)),
      kafkaEps: Math.round(events.length / ((kafkaDoneAt - r.startedAt) / 1000)),
      stages,
      cpu,
      cpuUsPerEvent: {
        stages: Math.round((sumWhere(cpu, (k) => k.startsWith(`${label}:`)) / events.length) * 1e6),
        all: Math.round((sumWhere(cpu, () => true) / events.length) * 1e6),
      },
    };
  } finally {
    await producer.disconnect();
  }
}

const sumWhere = (m: Record<string, number>, keep: (k: string) => boolean): number => Object.entries(m).reduce((a, [k, v]) => (keep(k) ? a + v : a), 0);

function cpuSnapshot(sampler: RssSampler): Record<string, number> {
  sampler.sample();
  const out: Record<string, number> = Object.fromEntries(sampler.cpuSeconds);
  const kafkaPid = brokerPid();
  const brokerCpu = kafkaPid ? cpuSecondsOf(kafkaPid) : null;
  if (brokerCpu !== null) out.broker = brokerCpu;
  out.postgres = postgresCpu();
  const own = process.cpuUsage();
  out.bench = (own.user + own.system) / 1e6;
  return out;
}

/** CPU seconds of every process named postgres (server and backends; backends that exited are not counted). */
function postgresCpu(): number {
  let total = 0;
  try {
    for (const line of execFileSync('ps', ['-C', 'postgres', '-o', 'cputimes='], { encoding: 'utf8' }).split('\n')) if (line.trim()) total += Number(line.trim());
  } catch {
    // none running
  }
  return total;
}

async function replayChain(
  label: string,
  what: string,
  events: EncodedEvent[],
  p: PhaseContext & { producer: Producer; topic: string; nodes: ReturnType<typeof chainNodes> },
): Promise<{ tracker: ChainTracker; startedAt: number; producedAt: number; progress: NodeProgress[] }> {
  const tracker = new ChainTracker(p.admin, p.nodes);
  await tracker.start();
  const startedAt = Date.now();
  let produced = 0;
  let producedAt = 0;
  const producing = (async () => {
    for (let i = 0; i < events.length; i += p.opts.produceChunk) {
      const chunk = events.slice(i, i + p.opts.produceChunk);
      await p.producer.send({ topic: p.topic, messages: chunk });
      produced += chunk.length;
    }
    producedAt = Date.now();
    tracker.markProducerDone();
  })();
  const show = (prog: NodeProgress[]) => {
    const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
    p.opts.progress(`  [${label} ${what}] ${secs} s  produced ${produced}/${events.length}  ${prog.map((s) => `${s.name} ${s.consumed}${s.doneAt ? '✓' : ''}`).join('  ')}`);
  };
  const timeoutMs = Math.max(300_000, events.length * 5);
  await Promise.all([
    producing,
    tracker.waitDone({
      everyMs: 100,
      timeoutMs,
      onPoll: (prog) => {
        assertAlive(p.procs);
        show(prog);
      },
    }),
  ]);
  p.opts.progress('');
  return { tracker, startedAt, producedAt, progress: tracker.snapshot() };
}

/**
 * Open-loop load at a fixed rate: event i is due at t0 + i/rate and carries that time as its event_time (so a
 * slow send delays the record but not the clock it is measured against: no coordinated omission). Latency of
 * an alert = alerts.created_at (set by PostgreSQL in alert-store's insert transaction) − alerts.event_time
 * (the due time of the event that raised it).
 */
async function measureLatency(p: PhaseContext & { db?: pg.Pool }): Promise<LatencyResult> {
  const { opts, admin, kafka, catalog, prefix, procs, sample } = p;
  const db = p.db!;
  const nodes = chainNodes(catalog, prefix);
  await waitGroupsStable(admin, nodes.map((n) => n.groupId), { timeoutMs: 120_000, check: () => assertAlive(procs) });
  const codec = await metricsCodec(catalog);
  const producer = benchProducer(kafka);
  await producer.connect();
  const topic = topicSpec(catalog, 'rbp.metrics').name;
  const total = Math.round(opts.rate * opts.durationS);
  const warmTotal = Math.round(opts.rate * opts.latencyWarmupS);
  // One open-loop schedule: the warm-up seconds (own entities) run straight into the measured ones, so the
  // measurement starts in the steady state the target is about; the cold start is reported on its own.
  const warmPlan = ClonePlan.of(sample, warmTotal, TAGS.latencyWarmup);
  const plan = ClonePlan.of(sample, total, TAGS.latency);
  const eventAt = (i: number) => (i < warmPlan.length ? warmPlan.event(i) : plan.event(i - warmPlan.length)).event;
  const count = warmPlan.length + plan.length;
  opts.say(`==> latency: ${opts.rate} events/s offered for ${opts.latencyWarmupS} s of warm-up + ${opts.durationS} s measured (${warmTotal} + ${total} events), event produced → alert row in PostgreSQL`);
  const tracker = new ChainTracker(admin, nodes);
  await tracker.start();
  try {
    const t0 = Date.now() + 200;
    const due = (i: number) => t0 + (i * 1000) / opts.rate;
    let next = 0;
    let lastShown = 0;
    let lastSend = -Infinity;
    const sendLate = new LatencyHistogram();
    const sendAck = new LatencyHistogram();
    let cpuFrom: { at: number; cpu: Record<string, number>; stolen: number | null } | undefined;
    while (next < count) {
      const now = Date.now();
      // Like a collector's linger: what fell due is sent together, at most once per lingerMs. Each event's
      // time is its due time, so the wait is part of the latency measured.
      const wakeAt = Math.max(due(next), lastSend + opts.lingerMs);
      if (wakeAt > now) {
        await sleep(Math.max(1, wakeAt - now));
        continue;
      }
      lastSend = now;
      const batch: EncodedEvent[] = [];
      if (next >= warmTotal) {
        cpuFrom ??= { at: now, cpu: cpuSnapshot(p.sampler!), stolen: stolenCpuSeconds() };
        sendLate.record(now - due(next));
      }
      // At most produceChunk per send: after a stall (a shared host's steal reached 8.8 s once) what fell due
      // exceeded the broker's request limit and failed the run; the rest goes in the next round, still late.
      while (next < count && due(next) <= now && batch.length < opts.produceChunk) {
        const event = eventAt(next); // a fresh clone: its time can be set in place
        event.event_time = Math.round(due(next));
        batch.push(encodeEvent(event, codec));
        next++;
      }
      await producer.send({ topic, messages: batch });
      if (next > warmTotal) sendAck.record(Date.now() - now);
      if (now - lastShown > 1000) {
        lastShown = now;
        assertAlive(procs);
        const behind = Math.max(0, now - due(next));
        opts.progress(`  [latency] ${((now - t0) / 1000).toFixed(1)} s  produced ${next}/${count}  producer behind schedule ${behind.toFixed(0)} ms`);
      }
    }
    const producedAt = Date.now();
    const cpuTo = cpuSnapshot(p.sampler!);
    const cpuSeconds = Object.fromEntries(Object.entries(cpuTo).map(([k, v]) => [k, Math.round((v - (cpuFrom?.cpu[k] ?? v)) * 100) / 100]));
    const cpuTotal = sumWhere(cpuSeconds, () => true);
    const stolenTo = stolenCpuSeconds();
    const coreSeconds = cpuFrom ? ((producedAt - cpuFrom.at) / 1000) * os.availableParallelism() : NaN;
    const measuredFrom = due(warmTotal);
    tracker.markProducerDone();
    await tracker.waitDone({ everyMs: 100, timeoutMs: 300_000, onPoll: (prog) => { assertAlive(procs); opts.progress(`  [latency] draining  ${prog.map((s) => `${s.name} ${s.consumed}${s.doneAt ? '✓' : ''}`).join('  ')}`); } });
    opts.progress('');
    const latencies = (tag: string) =>
      db.query<{ ms: number; detector: string }>(
        "SELECT (extract(epoch FROM created_at - event_time) * 1000)::float8 ms, split_part(detector, ':', 1) detector FROM alerts WHERE agent_id ~ $1",
        [`-${tag}c[0-9]+$`],
      );
    const { rows } = await latencies(TAGS.latency);
    const cold = new LatencyHistogram();
    for (const r of (await latencies(TAGS.latencyWarmup)).rows) cold.record(r.ms);
    const all = new LatencyHistogram();
    const by = new Map<string, LatencyHistogram>();
    for (const r of rows) {
      all.record(r.ms);
      if (!by.has(r.detector)) by.set(r.detector, new LatencyHistogram());
      by.get(r.detector)!.record(r.ms);
    }
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const actualSpan = (producedAt - measuredFrom) / 1000;
    return {
      offeredEps: opts.rate,
      durationS: opts.durationS,
      warmupS: opts.latencyWarmupS,
      coldStart: { samples: cold.count, p50: r1(cold.percentile(50)), p99: r1(cold.percentile(99)), max: cold.count ? r1(cold.max) : NaN },
      events: total,
      achievedProduceEps: Math.round(total / actualSpan),
      samples: all.count,
      p50: r1(all.percentile(50)),
      p95: r1(all.percentile(95)),
      p99: r1(all.percentile(99)),
      max: r1(all.max),
      mean: r1(all.mean),
      negative: all.negative,
      byDetector: Object.fromEntries([...by].map(([k, h]) => [k, { n: h.count, p50: r1(h.percentile(50)), p99: r1(h.percentile(99)) }])),
      drainAfterLastProduceMs: Math.max(...nodes.map((n) => tracker.doneAt(n.name)!)) - producedAt,
      sendLate: { p99: r1(sendLate.percentile(99)), max: r1(sendLate.max) },
      sendAck: { p50: r1(sendAck.percentile(50)), p99: r1(sendAck.percentile(99)), max: r1(sendAck.max) },
      cpu: {
        seconds: cpuSeconds,
        busyShare: Math.round((cpuTotal / coreSeconds) * 100) / 100,
        stolenShare: cpuFrom?.stolen != null && stolenTo !== null ? Math.round(((stolenTo - cpuFrom.stolen) / coreSeconds) * 100) / 100 : null,
        usPerEvent: Math.round((cpuTotal / total) * 1e6),
      },
      hops: await hopLatencies(catalog, /-lc[0-9]+$/),
    };
  } finally {
    await producer.disconnect();
  }
}

async function dlqCount(admin: Admin, catalog: TopicCatalog): Promise<number> {
  let n = 0;
  for (const logical of ['rbp.metrics.dlq', 'rbp.normalized.dlq', 'rbp.correlated.dlq', 'rbp.alerts.dlq']) {
    for (const o of await admin.fetchTopicOffsets(topicSpec(catalog, logical).name)) n += Number(o.high) - Number(o.low);
  }
  return n;
}

/** Rows per session.run and ms per run of the onnx-score process, from its model metrics. */
async function scrapeModelMetrics(port: number): Promise<{ stageRowsPerRun?: number; stageRunMs?: number; stageRuns?: number }> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const sum = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(name) && !l.startsWith('#'))
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const runs = sum('socflow_model_run_seconds_count');
    if (!runs) return {};
    return { stageRuns: runs, stageRowsPerRun: Math.round(sum('socflow_model_scored_total') / runs), stageRunMs: Math.round((sum('socflow_model_run_seconds_sum') / runs) * 1e4) / 10 };
  } catch {
    return {};
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The local stack's broker, when `socflow stack up` started it. */
const brokerPid = (): number | undefined => stackPid(process.env.SOCFLOW_STACK_DIR ?? fromRoot('.stack'), 'kafka');

/**
 * How long the local broker has run and how much work it has done: a JVM that has done little is not yet
 * JIT-compiled, and the first run after a broker start is markedly slower (docs/BENCHMARKS.md).
 */
function brokerAtStart(): { upS: number; cpuS: number } | undefined {
  const pid = brokerPid();
  const upS = pid ? processAgeSeconds(pid) : null;
  const cpuS = pid ? cpuSecondsOf(pid) : null;
  return upS !== null && cpuS !== null ? { upS: Math.round(upS), cpuS: Math.round(cpuS) } : undefined;
}

function machineInfo(): Record<string, unknown> {
  const run = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    nproc: Number(run('nproc', [])) || os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    freeG: run('free', ['-g']),
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    kernel: os.release(),
    busiest: run('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers']).split('\n').slice(0, 3).map((l) => l.trim()).join('; '),
  };
}
