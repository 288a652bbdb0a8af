import type { Batch } from 'kafkajs';
import { Registry } from 'prom-client';
import type { AssetContext, TelemetryEvent } from '../lib/events.js';
import { ModelHolder } from '../lib/models/holder.js';
import { fromRoot } from '../lib/paths.js';
import { codecFor, type Codec } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { avroDecoder } from '../lib/stream/decoders.js';
import { decodeBatch } from '../lib/stream/records.js';
import type { Decoder, Stage } from '../lib/stream/stage.js';
import { topicSpec, type TopicCatalog } from '../lib/topics/catalog.js';
import { loadRules } from '../processors/correlate/rules.js';
import { correlateDecoder } from '../processors/correlate/start.js';
import { createCorrelateStage } from '../processors/correlate/transform.js';
import { normalizeDecoder } from '../processors/normalize/decode.js';
import { createNormalizeStage, DEFAULT_NORMALIZE_CONFIG } from '../processors/normalize/transform.js';
import { REQUIRED_CATEGORIES } from '../processors/onnx-score/policy.js';
import { loadRemediation, ruleCategories } from '../processors/onnx-score/remediation.js';
import { createOnnxScoreStage } from '../processors/onnx-score/stage.js';
import { type EncodedEvent } from './generate.js';

/** CPU µs per input record of one stage's own work, split into decode, transform and encode. */
export interface StageCost {
  stage: string;
  records: number;
  outputs: number;
  decodeUs: number;
  processUs: number;
  encodeUs: number;
  totalUs: number;
}

interface Bytes {
  key: string;
  value: Buffer;
  timestamp: number;
}

/**
 * The Kafka-free cost of normalize → correlate → onnx-score on the benchmark's own bytes: each stage decodes
 * its input with its real decoder, runs its transform on batches of `batchSize` (one partition's state, as
 * the runtime does per partition) and Avro-encodes its outputs, as runStage does between fetch and produce.
 * The first `warmFraction` of the input warms the JIT and is not counted. Single process, CPU time
 * (process.cpuUsage), so it is far less sensitive to other load on the machine than the end-to-end figures.
 */
export async function measureStageCosts(opts: { catalog: TopicCatalog; events: EncodedEvent[]; assets: Map<string, AssetContext>; registryDir: string; modelName: string; batchSize: number }): Promise<StageCost[]> {
  const registry = new SchemaRegistryClient();
  const codec = async <T>(logical: string): Promise<Codec<T>> => codecFor<T>(registry, topicSpec(opts.catalog, logical));
  const prefix = topicSpec(opts.catalog, 'rbp.metrics').name.slice(0, -'rbp.metrics'.length);
  const previous = process.env.SOCFLOW_TOPIC_PREFIX;
  process.env.SOCFLOW_TOPIC_PREFIX = prefix; // avroDecoder reads the catalog under the current prefix
  const model = await ModelHolder.open({ registryDir: opts.registryDir, name: opts.modelName, pollMs: 0 });
  try {
    const rulesFile = fromRoot('processors/correlate/rules.yaml');
    const normalize = createNormalizeStage(async (ids) => new Map(ids.filter((id) => opts.assets.has(id)).map((id) => [id, opts.assets.get(id)!])), DEFAULT_NORMALIZE_CONFIG);
    const correlate = createCorrelateStage(loadRules(rulesFile));
    const score = createOnnxScoreStage({
      model,
      remediation: loadRemediation(undefined, [...new Set([...REQUIRED_CATEGORIES, ...ruleCategories(rulesFile)])]),
      alertBucketMs: 60_000,
      allowedLatenessMs: 60_000,
      drift: { windowRows: 10_000, windowMs: 60_000 },
      registry: new Registry(),
    });
    const input: Bytes[] = opts.events.map((e) => ({ key: e.key, value: e.value, timestamp: Number(e.timestamp) }));
    const results: StageCost[] = [];
    const encoders = new Map<string, Codec<unknown>>();
    for (const stage of [normalize, correlate, score]) for (const t of stage.outputs) encoders.set(t, await codec(t));
    const n = await runOne(normalize, 'rbp.metrics', normalizeDecoder(await codec<TelemetryEvent>('rbp.metrics'), 1_048_576), encoders, input, opts.batchSize);
    results.push(n.cost);
    const c = await runOne(correlate, 'rbp.normalized', await correlateDecoder(registry), encoders, n.out, opts.batchSize);
    results.push(c.cost);
    const s = await runOne(score, 'rbp.correlated', await avroDecoder('rbp.correlated', registry), encoders, c.out, opts.batchSize);
    results.push(s.cost);
    return results;
  } finally {
    await model.close();
    if (previous === undefined) delete process.env.SOCFLOW_TOPIC_PREFIX;
    else process.env.SOCFLOW_TOPIC_PREFIX = previous;
  }
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function runOne<In, State>(stage: Stage<In, State>, topic: string, decode: Decoder<In>, encoders: Map<string, Codec<unknown>>, input: Bytes[], batchSize: number): Promise<{ cost: StageCost; out: Bytes[] }> {
  const warm = Math.floor(input.length * 0.2);
  const state = stage.createState(topic, 0);
  const out: Bytes[] = [];
  let decodeUs = 0;
  let processUs = 0;
  let encodeUs = 0;
  let counted = 0;
  let outputs = 0;
  for (let i = 0; i < input.length; i += batchSize) {
    const slice = input.slice(i, i + batchSize);
    const measured = i >= warm;
    let t = cpuUs();
    const { records } = await decodeBatch(fakeBatch(topic, i, slice), decode);
    let t2 = cpuUs();
    if (measured) decodeUs += t2 - t;
    const result = await stage.process(records, state, { replaying: false, now: Date.now });
    t = cpuUs();
    if (measured) processUs += t - t2;
    // Every output is encoded (as runStage does); only the main output feeds the next stage.
    for (const o of result.outputs) {
      const value = encoders.get(o.topic)!.encode(o.value);
      if (o.topic === stage.outputs[0]) out.push({ key: o.key, value, timestamp: eventTime(o.value) });
    }
    t2 = cpuUs();
    if (measured) {
      encodeUs += t2 - t;
      counted += slice.length;
      outputs += result.outputs.length;
    }
  }
  const per = (us: number) => Math.round((us / Math.max(1, counted)) * 10) / 10;
  return { cost: { stage: stage.name, records: counted, outputs, decodeUs: per(decodeUs), processUs: per(processUs), encodeUs: per(encodeUs), totalUs: per(decodeUs + processUs + encodeUs) }, out };
}

/** What decodeBatch reads of a kafkajs batch, as the consumer hands it over (Buffers, string offsets and times). */
function fakeBatch(topic: string, firstOffset: number, slice: Bytes[]): Batch {
  const messages = slice.map((m, j) => ({ key: Buffer.from(m.key), value: m.value, offset: String(firstOffset + j), timestamp: String(m.timestamp), headers: {}, attributes: 0, size: m.value.length }));
  return { topic, partition: 0, messages } as unknown as Batch;
}

const eventTime = (v: any): number => v?.event_time ?? v?.event?.event_time ?? Date.now();
