import pg from 'pg';
import { createRunDatabase, seedAssets, stackForRun } from '../demo/run.js';
import { migrate } from '../lib/db/migrate.js';
import { createKafka } from '../lib/kafka/client.js';
import { fromRoot } from '../lib/paths.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { StageProcess } from '../lib/stream/stageProcess.js';
import { applyCatalog } from '../lib/topics/apply.js';
import { loadTopicCatalog } from '../lib/topics/catalog.js';
import { processors } from '../processors/index.js';
import type { ExerciseReport } from './report.js';
import { awaitResults, collectReport, runScenarios, writeHtmlReport } from './run.js';

export interface EndToEndOptions {
  path: string;
  exerciseId?: string;
  reportPath?: string;
  keepRunning: boolean;
  say: (line: string) => void;
}

/** Topic namespace of an end-to-end exercise run: `exercise-<run id>.`, its exercise id `ex-<run id>`. */
export const exerciseNamespace = (exerciseId: string): string | null => {
  const m = /^ex-([a-z0-9]+)$/.exec(exerciseId);
  return m ? `exercise-${m[1]}.` : null;
};

/** How many earlier exercise namespaces are kept (their topics back `socflow exercise report`). */
const KEEP_NAMESPACES = 5;

/**
 * `socflow exercise run <path> --report` (make exercise): the local stack (what is not running is started),
 * a fresh topic namespace, the PostgreSQL schema, every stage as its own process, the scenarios, one result per
 * scenario, the HTML report. Returns the report and where it was written.
 */
export async function runEndToEnd(opts: EndToEndOptions): Promise<{ report: ExerciseReport; path: string }> {
  const { say } = opts;
  const { env, runId, stopStarted } = await stackForRun(say);
  const exerciseId = opts.exerciseId ?? `ex-${runId}`;
  const prefix = exerciseNamespace(exerciseId) ?? `exercise-${runId}.`;
  process.env.SOCFLOW_TOPIC_PREFIX = prefix;
  const stages: StageProcess[] = [];
  try {
    const database = `socflow_exercise_${runId}`;
    say(`==> PostgreSQL database ${database}: schema and the asset inventory of exercises/assets.json`);
    const databaseUrl = await createRunDatabase(env.DATABASE_URL, database, 'socflow\\_exercise\\_%');
    const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const client = await db.connect();
      try {
        await migrate(client, (l) => say(`  ${l}`));
        await seedAssets(client, fromRoot('exercises/assets.json'));
      } finally {
        client.release();
      }
    } finally {
      await db.end();
    }
    say(`==> topics and schemas (namespace ${prefix})`);
    const admin = createKafka('socflow-exercise-admin').admin();
    await admin.connect();
    try {
      const older = [...new Set((await admin.listTopics()).filter((t) => t.startsWith('exercise-') && !t.startsWith(prefix)).map((t) => t.slice(0, t.indexOf('.') + 1)))].sort();
      const drop = older.slice(0, Math.max(0, older.length - KEEP_NAMESPACES + 1));
      if (drop.length) await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => drop.some((p) => t.startsWith(p))) }).catch(() => undefined);
      const applied = await applyCatalog(loadTopicCatalog(undefined, prefix), admin, new SchemaRegistryClient());
      say(`  ${applied.created.length} topics created, ${applied.schemasRegistered.length} schemas registered`);
    } finally {
      await admin.disconnect();
    }
    say(`==> starting ${processors.length} stages: ${processors.map((p) => p.name).join(', ')}`);
    for (const p of processors) stages.push(new StageProcess(p.name, { SOCFLOW_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl }, 'exercise-0', fromRoot('.stack/exercise-logs')).start());
    const { runs } = await runScenarios({ path: opts.path, exerciseId, say });
    say('==> waiting for one result per scenario on purple-gaps');
    const gaps = await awaitResults(exerciseId, runs, {
      say,
      onWait: () => {
        const dead = stages.find((s) => !s.alive);
        if (dead) throw new Error(`stage ${dead.stage} exited; see ${dead.logFile}`);
      },
    });
    say('==> report');
    const report = await collectReport(exerciseId, { gaps });
    const path = writeHtmlReport(report, opts.reportPath);
    return { report, path };
  } finally {
    if (opts.keepRunning) {
      say(`stages keep running (logs in .stack/exercise-logs, topic prefix ${prefix}); stop them and the stack with: make stack-down`);
    } else {
      for (const s of stages) await s.stop();
      await stopStarted();
    }
  }
}
