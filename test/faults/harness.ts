import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Producer } from 'kafkajs';
import pg from 'pg';
import { inject } from 'vitest';
import { readSampleEvents, replayFile } from '../../demo/replay.js';
import { migrate } from '../../lib/db/migrate.js';
import type { Alert, TelemetryEvent } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { readTopic, type TopicRecord } from '../../lib/kafka/readTopic.js';
import { fromRoot } from '../../lib/paths.js';
import { type Codec, codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import { StageProcess } from '../../lib/stream/stageProcess.js';
import { type TopicCatalog, topicSpec } from '../../lib/topics/catalog.js';
import { createNormalizeStage, DEFAULT_NORMALIZE_CONFIG } from '../../processors/normalize/transform.js';
import { type PipelineOutcome, referenceRun, sampleAssets } from '../e2e/reference.js';
import { freshDatabase, isolatedCatalog } from '../kit.js';
import type { FaultRow } from './table.js';
import { formatTable } from './table.js';
import { seededRandom } from '../seededRandom.js';

export const SAMPLE = fromRoot('samples/demo/telemetry.jsonl');
export const PIPELINE = ['normalize', 'correlate', 'onnx-score', 'alert-store', 'quota-manager', 'quota-store'] as const;
export type StageName = (typeof PIPELINE)[number];

/** Each stage's consumer group reads these topics (logical names); a stalled partition shows up as lag here. */
export const STAGE_INPUTS: Record<StageName, string[]> = {
  normalize: ['rbp.metrics'],
  correlate: ['rbp.normalized'],
  'onnx-score': ['rbp.correlated'],
  'alert-store': ['rbp.alerts'],
  'quota-manager': ['rbp.alerts', 'rbp.approvals'],
  'quota-store': ['rbp.quota_updates', 'rbp.proposals', 'rbp.approvals'],
};

export const faultsContext = () => inject('faults');

/** A per-fault stream derived from the suite seed, so one fault's choices do not shift another's. */
export function randomFor(fault: string): { random: () => number; seed: number } {
  const seed = (faultsContext().seed ^ parseInt(createHash('sha256').update(fault).digest('hex').slice(0, 8), 16)) >>> 0;
  return { random: seededRandom(seed), seed };
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A record the test puts on rbp.metrics that normalize must dead-letter with this reason. */
export interface BadRecord {
  label: string;
  reason: string;
  key: string;
  value: Buffer;
}

export const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);

interface ExpectedDeadLetter {
  label: string;
  reason: string;
  sha256: string;
  size: number;
}

/**
 * One replay of the demo mix through all six stage processes on a fresh topic prefix and database, as the
 * e2e test does, with hooks to inject faults and the checks every fault ends with.
 */
export class FaultRun {
  readonly kills = new Map<string, number>();
  readonly injected: ExpectedDeadLetter[] = [];
  private producer?: Producer;
  private readonly startedAt = Date.now();
  private readonly codecs = new Map<string, Promise<Codec<any>>>();

  private constructor(
    readonly fault: string,
    readonly prefix: string,
    readonly events: TelemetryEvent[],
    readonly baseTime: number,
    readonly expected: PipelineOutcome,
    readonly sampleRejects: string[],
    readonly catalog: TopicCatalog,
    readonly db: pg.Pool,
    readonly stages: StageProcess[],
  ) {}

  static async start(fault: string): Promise<FaultRun> {
    assertBuildFresh();
    const baseTime = Date.now() - 120_000;
    const events: TelemetryEvent[] = [];
    for await (const e of readSampleEvents(SAMPLE, baseTime)) events.push(e);
    const expected = await referenceRun(events);
    const sampleRejects = await sampleDeadLetterReasons(events);
    const name = `faults-${fault.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 40);
    const { prefix, catalog } = await isolatedCatalog(name);
    const databaseUrl = await freshDatabase(name);
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5000 });
    // Idle clients see PostgreSQL go away during the outage fault; without a listener that error kills the test worker.
    db.on('error', () => undefined);
    const client = await db.connect();
    try {
      await migrate(client);
      for (const [id, a] of sampleAssets()) await client.query('INSERT INTO assets (asset_id, criticality, owner) VALUES ($1, $2, $3)', [id, a.criticality, a.owner]);
    } finally {
      client.release();
    }
    const env = { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, SOCFLOW_MODEL_POLL_MS: '0' };
    const stages = PIPELINE.map((stage) => new StageProcess(stage, env).start());
    await waitUntilRunning(stages, 90_000);
    const repeated = expected.alerts.filter((a, i) => expected.alerts.findIndex((b) => b.alert_id === a.alert_id) !== i);
    if (repeated.length) {
      // Not a fault: the transforms themselves emit these ids twice (the e2e test's uniqueness check fails on it too).
      log(`${fault}: WARNING the reference run emits ${repeated.length} alert id(s) more than once, independent of any fault: ${repeated.map((a) => `${a.alert_id} (${a.detector}, ${a.agent_id})`).join(', ')}; rbp.alerts is compared as a multiset, PostgreSQL by distinct id`);
    }
    log(`${fault}: prefix ${prefix}, expecting ${expected.alerts.length} alerts, ${expected.quotaUpdates.length} quota updates, ${expected.proposals.length} proposals, ${sampleRejects.length} sample dead letters`);
    return new FaultRun(fault, prefix, events, baseTime, expected, sampleRejects, catalog, db, stages);
  }

  topic(logical: string): string {
    return topicSpec(this.catalog, logical).name;
  }

  codec<T>(logical: string): Promise<Codec<T>> {
    if (!this.codecs.has(logical)) this.codecs.set(logical, codecFor<T>(new SchemaRegistryClient(), topicSpec(this.catalog, logical)));
    return this.codecs.get(logical)!;
  }

  stage(name: StageName): StageProcess {
    return this.stages.find((s) => s.stage === name)!;
  }

  /** SIGKILL (no shutdown hook runs), then a new copy with the same instance id, as a supervisor would. */
  async killAndRestart(name: StageName, pauseMs = 0): Promise<void> {
    const proc = this.stage(name);
    await proc.kill();
    this.kills.set(name, (this.kills.get(name) ?? 0) + 1);
    if (pauseMs) await sleep(pauseMs);
    proc.start();
  }

  private async getProducer(): Promise<Producer> {
    if (!this.producer) {
      this.producer = createKafka(`faults-${this.fault}`).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
      await this.producer.connect();
    }
    return this.producer;
  }

  /** Replays the sample to rbp.metrics (JSON for AI agents, Avro otherwise); `onBatch` may inject faults. */
  async replay(onBatch?: (sent: number) => Promise<void>, opts: { batchSize?: number; pauseMs?: number } = {}): Promise<number> {
    const producer = await this.getProducer();
    const codec = await this.codec<TelemetryEvent>('rbp.metrics');
    const sent = await replayFile(SAMPLE, {
      producer,
      codec,
      topic: this.topic('rbp.metrics'),
      baseTime: this.baseTime,
      batchSize: opts.batchSize ?? 200,
      jsonSources: new Set(['ai-agent']),
      onProgress: async (n) => {
        await onBatch?.(n);
        if (opts.pauseMs) await sleep(opts.pauseMs);
      },
    });
    log(`${this.fault}: replayed ${sent} events in ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s since set-up`);
    return sent;
  }

  /** Puts bad records on rbp.metrics and remembers what the DLQ must hold for each. */
  async sendBad(records: BadRecord[]): Promise<void> {
    const producer = await this.getProducer();
    for (const r of records) {
      await producer.send({ topic: this.topic('rbp.metrics'), messages: [{ key: r.key, value: r.value }] });
      this.injected.push({ label: r.label, reason: r.reason, sha256: sha256(r.value), size: r.value.length });
    }
  }

  /** Fails fast, with the log's tail, when a stage process died without being killed by the test. */
  assertProcessesUp(): void {
    for (const s of this.stages) {
      const kills = this.kills.get(s.stage) ?? 0;
      if (s.exitCount > kills || !s.alive) {
        throw new Error(`stage ${s.stage} exited on its own (${s.exitCount} exits, ${kills} kills by the test); last lines of ${s.logFile}:\n${tail(s.logFile)}`);
      }
    }
  }

  /** Waits until PostgreSQL holds at least the expected rows (more must fail the checks, not hang here). */
  async waitForRows(timeoutMs: number): Promise<void> {
    const want = { a: new Set(this.expected.alerts.map((a) => a.alert_id)).size, q: this.expected.quotaUpdates.length, p: this.expected.proposals.length };
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      this.assertProcessesUp();
      try {
        const { rows } = await this.db.query<{ a: string; q: string; p: string }>('SELECT (SELECT count(*) FROM alerts) a, (SELECT count(*) FROM quota_updates) q, (SELECT count(*) FROM proposals) p');
        last = `alerts ${rows[0].a}/${want.a}, quota updates ${rows[0].q}/${want.q}, proposals ${rows[0].p}/${want.p}`;
        if (Number(rows[0].a) >= want.a && Number(rows[0].q) >= want.q && Number(rows[0].p) >= want.p) {
          log(`${this.fault}: PostgreSQL complete after ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s (${last})`);
          return;
        }
      } catch (err) {
        last = `PostgreSQL not answering: ${(err as Error).message}`;
      }
      await sleep(500);
    }
    log(`${this.fault}: gave up waiting for PostgreSQL after ${timeoutMs / 1000} s: ${last}`);
  }

  /**
   * No partition stalled: for every stage's group, the committed offset of each input partition is past
   * the last record a read-committed consumer sees there (transaction markers may follow it, so the
   * high watermark is not the bar). Waits up to `timeoutMs` for the groups to get there.
   */
  async stalledPartitions(timeoutMs: number): Promise<string[]> {
    const inputs = [...new Set(Object.values(STAGE_INPUTS).flat())];
    const lastData = new Map<string, bigint>();
    await Promise.all(
      inputs.map(async (logical) => {
        for (const r of await readTopic(this.topic(logical), { idleMs: 2000 })) {
          const key = `${logical}:${r.partition}`;
          const next = BigInt(r.offset) + 1n;
          if (next > (lastData.get(key) ?? 0n)) lastData.set(key, next);
        }
      }),
    );
    const admin = createKafka('faults-admin').admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const stalled: string[] = [];
        for (const stage of PIPELINE) {
          const groupId = `${this.prefix}socflow-${stage}`;
          const topics = STAGE_INPUTS[stage].map((l) => this.topic(l));
          const offsets = await admin.fetchOffsets({ groupId, topics });
          for (const logical of STAGE_INPUTS[stage]) {
            const committed = offsets.find((t) => t.topic === this.topic(logical))?.partitions ?? [];
            for (const [key, needed] of lastData) {
              if (!key.startsWith(`${logical}:`)) continue;
              const partition = Number(key.slice(logical.length + 1));
              const at = BigInt(committed.find((p) => p.partition === partition)?.offset ?? '-1');
              if (at < needed) stalled.push(`${stage} on ${logical}[${partition}]: committed ${at}, last record at ${needed - 1n}`);
            }
          }
        }
        if (!stalled.length || Date.now() > deadline) return stalled;
        this.assertProcessesUp();
        await sleep(1000);
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async readDecoded<T>(logical: string): Promise<T[]> {
    const codec = await this.codec<T>(logical);
    const records: TopicRecord[] = await readTopic(this.topic(logical), { idleMs: 2500 });
    return Promise.all(records.map((r) => codec.decode(r.value)));
  }

  /**
   * Everything a fault must leave intact: each expected alert exactly once in PostgreSQL and on
   * rbp.alerts, each quota update and proposal exactly once, exactly the bad records (with reasons and
   * original bytes) in rbp.metrics.dlq and nothing in the other DLQs, no stalled partition, and every
   * process running with exactly as many exits as the test's kills. Returns the table rows.
   */
  async verify(): Promise<{ rows: FaultRow[]; problems: string[] }> {
    await this.waitForRows(180_000);
    const stalled = await this.stalledPartitions(60_000);
    // Every group is past its input now, so nothing more can arrive: read what the pipeline produced.
    const dlqs = [...this.catalog.keys()].filter((l) => l.endsWith('.dlq'));
    const [topicAlerts, topicUpdates, topicProposals, ...dlqRecords] = await Promise.all([
      this.readDecoded<Alert>('rbp.alerts'),
      this.readDecoded<{ update_id: string }>('rbp.quota_updates'),
      this.readDecoded<{ proposal_id: string }>('rbp.proposals'),
      ...dlqs.map((l) => this.readDecoded<{ reason: string; value: Buffer | null; error: string; stage: string }>(l)),
    ]);
    const ids = async (sql: string) => (await this.db.query<{ id: string }>(sql)).rows.map((r) => r.id);
    const storedAlerts = await ids('SELECT alert_id AS id FROM alerts');
    const storedUpdates = await ids('SELECT update_id AS id FROM quota_updates');
    const storedProposals = await ids('SELECT proposal_id AS id FROM proposals');
    const auditCreated = Number((await this.db.query<{ n: string }>("SELECT count(*) n FROM alert_audit WHERE note = 'created'")).rows[0].n);

    const problems: string[] = [];
    const seconds = (Date.now() - this.startedAt) / 1000;
    const row = (output: string, expected: string[], actual: string[]): FaultRow => {
      const r = { fault: this.fault, output, ...compare(expected, actual), seconds };
      if (r.lost || r.duplicated || r.unexpected) problems.push(`${output}: ${r.lost} lost, ${r.duplicated} duplicated, ${r.unexpected} unexpected`);
      return r;
    };
    // The topic must carry exactly what the transforms emit (the reference, as a multiset); PostgreSQL holds each id once.
    const alertIds = this.expected.alerts.map((a) => a.alert_id);
    const distinctAlertIds = [...new Set(alertIds)];
    const updateIds = this.expected.quotaUpdates.map((u) => u.update_id);
    const proposalIds = this.expected.proposals.map((p) => p.proposal_id);
    const rows = [
      row('alerts in PostgreSQL', distinctAlertIds, storedAlerts),
      row('alerts on rbp.alerts', alertIds, topicAlerts.map((a) => a.alert_id)),
      row('quota updates in PostgreSQL', updateIds, storedUpdates),
      row('quota updates on topic', updateIds, topicUpdates.map((u) => u.update_id)),
      row('proposals in PostgreSQL', proposalIds, storedProposals),
      row('proposals on topic', proposalIds, topicProposals.map((p) => p.proposal_id)),
    ];
    if (auditCreated !== distinctAlertIds.length) problems.push(`alert_audit has ${auditCreated} 'created' rows for ${distinctAlertIds.length} alerts`);
    // Same ids is not enough: a fault must not change what an alert says (e.g. enrichment lost while PostgreSQL was down).
    const gist = (a: Alert) => JSON.stringify([a.agent_id, a.category, a.severity, a.detector, a.asset_criticality, a.evidence_event_ids]);
    const expectedGist = new Map(this.expected.alerts.map((a) => [a.alert_id, gist(a)]));
    const changed = topicAlerts.filter((a) => expectedGist.has(a.alert_id) && expectedGist.get(a.alert_id) !== gist(a));
    if (changed.length) problems.push(`${changed.length} alerts differ from the reference, e.g. ${gist(changed[0])} vs ${expectedGist.get(changed[0].alert_id)}`);

    // rbp.metrics.dlq: the injected records by their bytes (sha256), each with its reason; the sample's own rejects by reason.
    const metricsDlq = dlqRecords[dlqs.indexOf('rbp.metrics.dlq')];
    const bySha = new Map(this.injected.map((b) => [b.sha256, b]));
    const dlqExpected = [...this.injected.map((b) => `${b.reason}:${b.sha256}`), ...this.sampleRejects.map((r) => `${r}:sample`)];
    const dlqActual = metricsDlq.map((d) => {
      const hash = d.value ? sha256(d.value) : 'null';
      const injected = bySha.get(hash);
      if (injected && injected.reason !== d.reason) problems.push(`DLQ: ${injected.label} has reason ${d.reason} (${d.error}), expected ${injected.reason}`);
      if (injected && d.value!.length !== injected.size) problems.push(`DLQ: ${injected.label} holds ${d.value!.length} bytes, sent ${injected.size}`);
      return injected ? `${injected.reason}:${hash}` : `${d.reason}:sample`;
    });
    rows.push(row('dead letters in rbp.metrics.dlq', dlqExpected, dlqActual));
    const otherDead = dlqs.filter((l) => l !== 'rbp.metrics.dlq').flatMap((l) => dlqRecords[dlqs.indexOf(l)].map((d) => `${l}: ${d.stage} ${d.reason} ${d.error}`.slice(0, 300)));
    if (otherDead.length) problems.push(`unexpected dead letters:\n  ${otherDead.slice(0, 10).join('\n  ')}`);
    if (stalled.length) problems.push(`stalled partitions:\n  ${stalled.join('\n  ')}`);
    for (const s of this.stages) {
      const kills = this.kills.get(s.stage) ?? 0;
      if (s.exitCount !== kills || !s.alive) problems.push(`stage ${s.stage}: ${s.exitCount} exits for ${kills} kills, ${s.alive ? 'running' : 'NOT running'} (log ${s.logFile})`);
    }
    this.report(rows);
    return { rows, problems };
  }

  private report(rows: FaultRow[]): void {
    const { resultsDir } = faultsContext();
    writeFileSync(join(resultsDir, `${this.fault.replace(/[^a-z0-9]+/gi, '_')}.json`), JSON.stringify(rows));
    log(`${this.fault}: done in ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s\n${formatTable(rows)}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.stages.map((s) => s.stop()));
    await this.producer?.disconnect().catch(() => undefined);
    await this.db.end().catch(() => undefined);
  }
}

/** Expected vs actual ids: missing ones are lost, extra copies duplicated, ids never expected unexpected. */
export function compare(expected: string[], actual: string[]): { expected: number; lost: number; duplicated: number; unexpected: number } {
  const want = new Map<string, number>();
  for (const id of expected) want.set(id, (want.get(id) ?? 0) + 1);
  const got = new Map<string, number>();
  for (const id of actual) got.set(id, (got.get(id) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  for (const [id, n] of want) {
    const m = got.get(id) ?? 0;
    if (m < n) lost += n - m;
    if (m > n) duplicated += m - n;
  }
  for (const [id, m] of got) if (!want.has(id)) unexpected += m;
  return { expected: expected.length, lost, duplicated, unexpected };
}

/** The reasons normalize gives the sample's own bad events (the reference run drops dead letters). */
async function sampleDeadLetterReasons(events: TelemetryEvent[]): Promise<string[]> {
  const inventory = sampleAssets();
  const stage = createNormalizeStage(async (ids) => new Map(ids.filter((id) => inventory.has(id)).map((id) => [id, inventory.get(id)!])), DEFAULT_NORMALIZE_CONFIG);
  const driver = new MemoryDriver(stage, { batchSize: 500 });
  for (const e of events) driver.send('rbp.metrics', e.agent_id, { format: 'json' as const, event: e }, e.event_time);
  return (await driver.run()).deadLetters.map((d) => d.reason);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The reference runs the TypeScript sources, the stage processes run dist/: a source changed after the
 * last build makes the two disagree, which would read as lost and unexpected alerts. Fail with that instead.
 */
export function assertBuildFresh(): void {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !/(\.test|\.d|^testkit|^testutil)\.ts$/.test(entry.name)) {
        const built = fromRoot('dist', relative(fromRoot(), path).replace(/\.ts$/, '.js'));
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) stale.push(relative(fromRoot(), path));
      }
    }
  };
  for (const dir of ['lib', 'processors']) walk(fromRoot(dir));
  if (stale.length) throw new Error(`dist/ is older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ` and ${stale.length - 5} more` : ''}: the stage processes would run other code than the reference; run npx tsc -p tsconfig.build.json first`);
}

/**
 * Waits until every stage has finished starting (`socflow run` prints "running as instance" once its
 * consumer runs), so a fault hits a running pipeline. A stage that cannot start (e.g. PostgreSQL down
 * during its migrations) exits: the supervisor's job, not this suite's.
 */
async function waitUntilRunning(stages: StageProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  for (;;) {
    const waiting = stages.filter((s) => !(existsSync(s.logFile) && readFileSync(s.logFile, 'utf8').includes(`socflow run ${s.stage}: running as instance`)));
    if (!waiting.length) {
      log(`all stages running after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    const dead = waiting.filter((s) => !s.alive);
    if (dead.length || Date.now() > deadline) {
      throw new Error(`stages not running: ${waiting.map((s) => `${s.stage} (${s.alive ? 'still starting' : 'exited'}; log ${s.logFile}):\n${tail(s.logFile, 10)}`).join('\n')}`);
    }
    await sleep(250);
  }
}
