import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import pg from 'pg';
import type { StackComponent } from '../infra/stack/component.js';
import { stackContext } from '../infra/stack/context.js';
import { stackUp, stopComponent } from '../infra/stack/stack.js';
import { migrate } from '../lib/db/migrate.js';
import type { TelemetryEvent } from '../lib/events.js';
import { createKafka } from '../lib/kafka/client.js';
import { readTopic } from '../lib/kafka/readTopic.js';
import { fromRoot } from '../lib/paths.js';
import { codecFor } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { StageProcess } from '../lib/stream/stageProcess.js';
import { applyCatalog } from '../lib/topics/apply.js';
import { loadTopicCatalog, topicSpec, type TopicCatalog } from '../lib/topics/catalog.js';
import { processors } from '../processors/index.js';
import { waitForDrain } from './drain.js';
import { replayFile } from './replay.js';
import { alertCounts, type DemoSummary, formatSummary, tableCount } from './summary.js';

export interface DemoOptions {
  sample: string;
  keepRunning: boolean;
  say: (line: string) => void;
}

/** Topics each stage reads, and whether they are written inside Kafka transactions (for the drain check). */
const TRANSACTIONAL_TOPICS = new Set(['rbp.normalized', 'rbp.correlated', 'rbp.alerts', 'rbp.quota_updates', 'rbp.proposals']);

/**
 * The main job: stack, schema, topics, every stage as its own process, replay of the bundled telemetry,
 * wait until drained, summary. Each run gets its own topic prefix and database so counts are this run's.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const { say } = opts;
  const { env, runId, stopStarted } = await stackForRun(say);
  const prefix = `demo-${runId}.`;
  process.env.SOCFLOW_TOPIC_PREFIX = prefix;
  say(`==> namespace ${prefix} (topics) and database socflow_demo_${runId}`);
  const databaseUrl = await createRunDatabase(env.DATABASE_URL, `socflow_demo_${runId}`);
  process.env.DATABASE_URL = databaseUrl;
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const stages: StageProcess[] = [];
  try {
    const client = await db.connect();
    try {
      await migrate(client, (l) => say(`  ${l}`));
      await seedAssets(client, fromRoot('samples/demo/assets.json'));
    } finally {
      client.release();
    }
    const catalog = loadTopicCatalog(undefined, prefix);
    const kafka = createKafka('socflow-demo');
    const admin = kafka.admin();
    await admin.connect();
    try {
      say('==> topics and schemas');
      const stale = (await admin.listTopics()).filter((t) => t.startsWith('demo-') && !t.startsWith(prefix));
      if (stale.length) await admin.deleteTopics({ topics: stale }).catch(() => undefined);
      const applied = await applyCatalog(catalog, admin, new SchemaRegistryClient());
      say(`  ${applied.created.length} topics created, ${applied.schemasRegistered.length} schemas registered`);

      say(`==> starting ${processors.length} stages: ${processors.map((p) => p.name).join(', ')}`);
      for (const p of processors) stages.push(new StageProcess(p.name, { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl }, 'demo-0', fromRoot('.stack/demo-logs')).start());

      say('==> replaying sample telemetry');
      const eventsIn = await replay(kafka, catalog, opts.sample, say);
      say('==> waiting for the pipeline to drain');
      let lastLag = -1;
      await waitForDrain(admin, drainGroups(catalog, prefix), {
        quietMs: 5000,
        timeoutMs: 240_000,
        onProgress: (lag) => {
          const dead = stages.find((s) => !s.alive);
          if (dead) throw new Error(`stage ${dead.stage} exited; see ${dead.logFile}`);
          if (lag !== lastLag) say(`  records still in flight: ${lag}`);
          lastLag = lag;
        },
      });
      return await summarize(catalog, db, eventsIn);
    } finally {
      await admin.disconnect();
    }
  } finally {
    if (opts.keepRunning) {
      say(`stages keep running (logs in .stack/demo-logs); stop them and the stack with: make stack-down (topic prefix ${prefix})`);
    } else {
      for (const s of stages) await s.stop();
      await stopStarted();
    }
    await db.end();
  }
}

async function replay(kafka: kafkajs.Kafka, catalog: TopicCatalog, sample: string, say: (l: string) => void): Promise<number> {
  const spec = topicSpec(catalog, 'rbp.metrics');
  const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const total = readFileSync(sample, 'utf8').split('\n').filter((l) => l.trim()).length;
    const sent = await replayFile(sample, {
      producer,
      codec,
      topic: spec.name,
      baseTime: Date.now() - 60_000,
      // AI agents in the sample speak JSON: the pipeline's second input format.
      jsonSources: new Set(['ai-agent']),
      onProgress: (n) => say(`  replayed ${n}/${total}`),
    });
    // What a careless or hostile producer sends: each must land in the DLQ with its reason.
    const garbage = [
      Buffer.from([0x13, 0x37, 0xbe, 0xef, 0x00]),
      Buffer.from(JSON.stringify({ event_id: 'bad-1', agent_id: 'ws-17', host: 'ws-17', source: 'agent', event_time: 'soon', type: 'AUTH', payload: { user: 7 } })),
      Buffer.from(JSON.stringify({ event_id: 'bad-2', agent_id: 'ws-17', host: 'ws-17', source: 'agent', event_time: Date.now() + 10 * 365 * 86_400_000, type: 'METRIC', payload: { metrics: { cpu: 1 } } })),
    ];
    await producer.send({ topic: spec.name, messages: garbage.map((value) => ({ key: 'ws-17', value })) });
    return sent + garbage.length;
  } finally {
    await producer.disconnect();
  }
}

function drainGroups(catalog: TopicCatalog, prefix: string) {
  const groups = [];
  return processors.map((p) => ({
    groupId: `${prefix}socflow-${p.name}`,
    topics: p.inputs.map((t) => ({ name: topicSpec(catalog, t).name, transactional: TRANSACTIONAL_TOPICS.has(t) })),
  }));
}

async function summarize(catalog: TopicCatalog, db: pg.Pool, eventsIn: number): Promise<DemoSummary> {
  const registry = new SchemaRegistryClient();
  const normalized = (await readTopic(topicSpec(catalog, 'rbp.normalized').name, { idleMs: 1500 })).length;
  const dlqSpec = topicSpec(catalog, 'rbp.metrics.dlq');
  const dlqCodec = await codecFor<{ reason: string }>(registry, dlqSpec);
  const dead = await Promise.all((await readTopic(dlqSpec.name, { idleMs: 1500 })).map((r) => dlqCodec.decode(r.value)));
  const dlq_by_reason: Record<string, number> = {};
  for (const d of dead) dlq_by_reason[d.reason] = (dlq_by_reason[d.reason] ?? 0) + 1;
  const alerts = await alertCounts(db);
  return {
    events_in: eventsIn,
    normalized,
    dlq: dead.length,
    duplicates: eventsIn - normalized - dead.length,
    ...alerts,
    quota_updates: await tableCount(db, 'quota_updates'),
    proposals: await tableCount(db, 'proposals'),
    dlq_by_reason,
  };
}

/** Creates the run's database; earlier runs' databases matching `staleLike` (a LIKE pattern) are dropped. */
/**
 * The local stack for one run of the demo or an exercise (what is not running is started; its env is put in
 * process.env) and the run's id; `stopStarted` stops only what this run started.
 */
export async function stackForRun(say: (line: string) => void): Promise<{ env: Awaited<ReturnType<typeof stackUp>>; runId: string; stopStarted: () => Promise<void> }> {
  say('==> local stack');
  const ctx = stackContext((line) => say(line));
  const startedParts: StackComponent[] = [];
  const env = await stackUp(ctx, startedParts);
  Object.assign(process.env, env);
  return {
    env,
    runId: Date.now().toString(36),
    async stopStarted() {
      for (const part of startedParts.reverse()) await stopComponent(ctx, part);
    },
  };
}

export async function createRunDatabase(baseUrl: string, name: string, staleLike = 'socflow\\_demo\\_%'): Promise<string> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    // Earlier demo runs' databases are only kept while a run is in progress (or kept running on request).
    const old = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $2 AND datname <> $1', [name, staleLike]);
    for (const { datname } of old.rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function seedAssets(client: pg.PoolClient, file: string): Promise<void> {
  const assets = JSON.parse(readFileSync(file, 'utf8')) as { asset_id: string; criticality: string; owner: string | null }[];
  for (const a of assets) {
    await client.query(
      'INSERT INTO assets (asset_id, criticality, owner) VALUES ($1, $2, $3) ON CONFLICT (asset_id) DO UPDATE SET criticality = EXCLUDED.criticality, owner = EXCLUDED.owner, updated_at = now()',
      [a.asset_id, a.criticality, a.owner],
    );
  }
}

