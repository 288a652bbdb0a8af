import { randomBytes } from 'node:crypto';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import type { Alert, TelemetryEvent } from '../lib/events.js';
import { createKafka } from '../lib/kafka/client.js';
import { createTelemetryPublisher } from '../lib/kafka/telemetryPublisher.js';
import { type Codec, codecFor } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { loadTopicCatalog, topicSpec } from '../lib/topics/catalog.js';
import { ALERTS, BLUE_RESPONSES, type BlueResponse, clockTick, PURPLE_GAPS, type PurpleGap, RED_SCENARIOS, type RedScenario } from '../processors/purple/model.js';
import type { ScenarioRun } from './red.js';

/** Events per telemetry transaction. */
const CHUNK = 500;

/**
 * Publishes an exercise: every scenario's start record on red-scenarios (keyed by the target agent_id), then
 * the merged telemetry on rbp.metrics through the telemetry publisher (schema-checked, one transaction per
 * chunk), with a progress line per scenario and per chunk.
 */
export async function publishExercise(runs: ScenarioRun[], events: TelemetryEvent[], say: (line: string) => void): Promise<void> {
  const red = await redProducer();
  const telemetry = await createTelemetryPublisher('socflow-exercise');
  try {
    for (const [i, run] of runs.entries()) {
      const r = run.record;
      await red.send([r]);
      say(`  [${i + 1}/${runs.length}] ${r.scenario_id} → ${r.agent_id}: ${run.events.length} events, ${new Date(r.start_time).toISOString()} + ${Math.round((r.end_time - r.start_time) / 1000)} s, expect ${r.expected_category ?? 'any'} within ${Math.round(r.deadline_ms / 1000)} s${r.evasive ? ' (evasive)' : ''}`);
    }
    for (let i = 0; i < events.length; i += CHUNK) {
      await telemetry.publish(events.slice(i, i + CHUNK));
      say(`  telemetry ${Math.min(events.length, i + CHUNK)}/${events.length} events published to rbp.metrics`);
    }
  } finally {
    await telemetry.close();
    await red.close();
  }
}

export interface RedProducer {
  send(records: RedScenario[]): Promise<void>;
  /** A clock tick (processors/purple/model.ts) per agent at `time`. */
  tick(exerciseId: string, agents: string[], time: number): Promise<void>;
  close(): Promise<void>;
}

export async function redProducer(): Promise<RedProducer> {
  const codec = await codecFor<RedScenario>(new SchemaRegistryClient(), topicSpec(loadTopicCatalog(), RED_SCENARIOS));
  const name = topicSpec(loadTopicCatalog(), RED_SCENARIOS).name;
  const producer = plainProducer('socflow-exercise-red');
  await producer.connect();
  const send = async (records: RedScenario[]) => {
    await producer.send({ topic: name, messages: records.map((r) => ({ key: r.agent_id, value: codec.encode(r) })) });
  };
  return {
    send,
    tick: (exerciseId, agents, time) => send(agents.map((a) => clockTick(exerciseId, a, time))),
    close: () => producer.disconnect(),
  };
}

/** `socflow exercise respond`: one BlueResponse on blue-responses, keyed by the alert's agent_id. */
export async function publishResponse(response: BlueResponse): Promise<void> {
  const spec = topicSpec(loadTopicCatalog(), BLUE_RESPONSES);
  const codec = await codecFor<BlueResponse>(new SchemaRegistryClient(), spec);
  const producer = plainProducer('socflow-exercise-blue');
  await producer.connect();
  try {
    await producer.send({ topic: spec.name, messages: [{ key: response.agent_id, value: codec.encode(response) }] });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Plain (acks=all) producer: a record repeated by a retry is harmless here — purple drops a repeated start
 * record (same exercise and scenario id), a repeated tick, and keeps the earliest of repeated responses.
 */
function plainProducer(clientId: string): Producer {
  return createKafka(clientId).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
}

/**
 * Follows a topic from the beginning (read-committed, a throw-away group) and hands every decoded value to
 * `onValue`; `stop()` disconnects.
 */
export async function followTopic<T>(logical: string, onValue: (value: T) => void): Promise<{ stop(): Promise<void> }> {
  const spec = topicSpec(loadTopicCatalog(), logical);
  const codec: Codec<T> = await codecFor<T>(new SchemaRegistryClient(), spec);
  const consumer: Consumer = createKafka('socflow-exercise-reader').consumer({ groupId: `socflow-exercise-reader-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      try {
        onValue(await codec.decode(message.value));
      } catch {
        // not ours to judge: undecodable records are skipped by a reader
      }
    },
  });
  return { stop: () => consumer.disconnect() };
}

/** Reads a topic until no record came for `idleMs` (or `done`), decoding each value. */
export async function readAll<T>(logical: string, opts: { idleMs?: number; timeoutMs?: number; done?: (values: T[]) => boolean } = {}): Promise<T[]> {
  const values: T[] = [];
  let last = Date.now();
  const started = Date.now();
  const follower = await followTopic<T>(logical, (v) => {
    values.push(v);
    last = Date.now();
  });
  try {
    while (Date.now() - started < (opts.timeoutMs ?? 60_000)) {
      await new Promise((r) => setTimeout(r, 200));
      if (opts.done?.(values)) break;
      if (!opts.done && Date.now() - last > (opts.idleMs ?? 3000)) break;
    }
  } finally {
    await follower.stop();
  }
  return values;
}

export const readGaps = (exerciseId: string, opts: { idleMs?: number; timeoutMs?: number; expected?: number } = {}): Promise<PurpleGap[]> =>
  readAll<PurpleGap>(PURPLE_GAPS, { ...opts, done: opts.expected === undefined ? undefined : (v) => v.filter((g) => g.exercise_id === exerciseId).length >= opts.expected! }).then((all) =>
    all.filter((g) => g.exercise_id === exerciseId),
  );

export const readAlertsOf = (agents: Set<string>, opts: { idleMs?: number; timeoutMs?: number } = {}): Promise<Alert[]> =>
  readAll<Alert>(ALERTS, opts).then((all) => all.filter((a) => agents.has(a.agent_id)));

export const readScenarios = (exerciseId: string, opts: { idleMs?: number; timeoutMs?: number } = {}): Promise<RedScenario[]> =>
  readAll<RedScenario>(RED_SCENARIOS, opts).then((all) => all.filter((s) => s.exercise_id === exerciseId && s.scenario_id !== '_clock'));

export const readResponses = (alertIds: Set<string>, opts: { idleMs?: number; timeoutMs?: number } = {}): Promise<BlueResponse[]> =>
  readAll<BlueResponse>(BLUE_RESPONSES, opts).then((all) => all.filter((r) => alertIds.has(r.alert_id)));
