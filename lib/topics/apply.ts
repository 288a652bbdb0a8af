import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';
import { loadTopicSchema } from '../schemas/load.js';
import type { SchemaRegistryClient } from '../serde/registry.js';
import type { TopicCatalog, TopicSpec } from './catalog.js';

const { ConfigResourceTypes } = kafkajs;

export interface ApplyOptions {
  /** Add partitions where the cluster has fewer than the catalog (Kafka can grow, never shrink, a topic). */
  growPartitions?: boolean;
  /** Set catalog configs that differ on the cluster. */
  updateConfigs?: boolean;
}

export interface ApplyReport {
  created: string[];
  grown: string[];
  configsUpdated: string[];
  /** Differences left alone: say what differs and which flag would change it. */
  drift: string[];
  schemasRegistered: string[];
  unchanged: string[];
}

export const changedAnything = (r: ApplyReport): boolean =>
  r.created.length + r.grown.length + r.configsUpdated.length + r.schemasRegistered.length > 0;

/** Brings the cluster and registry in line with the catalog; never deletes or shrinks anything. */
export async function applyCatalog(catalog: TopicCatalog, admin: Admin, registry: SchemaRegistryClient, opts: ApplyOptions = {}): Promise<ApplyReport> {
  const report: ApplyReport = { created: [], grown: [], configsUpdated: [], drift: [], schemasRegistered: [], unchanged: [] };
  const specs = [...catalog.values()];
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length) {
    await admin.createTopics({
      // kafkajs's own leader wait gives up on UNKNOWN_TOPIC_OR_PARTITION while metadata propagates; wait here instead.
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    report.created.push(...missing.map((s) => s.name));
    await waitForLeaders(admin, missing.map((s) => s.name));
  }
  const present = specs.filter((s) => existing.has(s.name));
  if (present.length) await reconcile(present, admin, opts, report);
  for (const spec of specs) {
    if (await registerValueSchema(spec, registry)) report.schemasRegistered.push(spec.valueSubject);
  }
  const touched = new Set([...report.created, ...report.grown, ...report.configsUpdated]);
  report.unchanged = present.map((s) => s.name).filter((n) => !touched.has(n) && !report.drift.some((d) => d.startsWith(`${n}:`)));
  return report;
}

/** Polls metadata until every partition of the topics has a leader; bounded, so a sick cluster fails clearly. */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      last = 'partitions without a leader';
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`topics created but not ready after ${timeoutMs / 1000} s: ${last}`);
}

async function reconcile(specs: TopicSpec[], admin: Admin, opts: ApplyOptions, report: ApplyReport): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  const partitionCounts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: Object.keys(s.configs) })),
  });
  const actualConfigs = new Map(described.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
  for (const spec of specs) {
    const have = partitionCounts.get(spec.name) ?? 0;
    if (have < spec.partitions) {
      if (opts.growPartitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
        report.grown.push(spec.name);
      } else {
        report.drift.push(`${spec.name}: ${have} partitions, catalog wants ${spec.partitions} (use --grow-partitions; note that keys then map to other partitions)`);
      }
    } else if (have > spec.partitions) {
      report.drift.push(`${spec.name}: ${have} partitions, catalog says ${spec.partitions} (Kafka cannot shrink a topic; left as is)`);
    }
    const actual = actualConfigs.get(spec.name) ?? new Map<string, string>();
    const differing = Object.entries(spec.configs).filter(([k, v]) => actual.get(k) !== v);
    if (differing.length === 0) continue;
    const what = differing.map(([k, v]) => `${k}=${actual.get(k)} (catalog ${v})`).join(', ');
    if (opts.updateConfigs) {
      // AlterConfigs replaces the topic's whole override set, so send every catalog config, not just the changed ones.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.name, configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })) }],
      });
      report.configsUpdated.push(`${spec.name}: ${what}`);
    } else {
      report.drift.push(`${spec.name}: ${what} (use --update-configs)`);
    }
  }
}

/** Registers the topic's value schema if this exact schema is not yet under its subject; BACKWARD compatibility. */
async function registerValueSchema(spec: TopicSpec, registry: SchemaRegistryClient): Promise<boolean> {
  const schema = loadTopicSchema(spec.valueSchema);
  const known = await registry.idOf(spec.valueSubject, schema);
  if ((await registry.compatibility(spec.valueSubject)) !== 'BACKWARD') await registry.setCompatibility(spec.valueSubject, 'BACKWARD');
  if (known !== undefined) return false;
  await registry.register(spec.valueSubject, schema);
  return true;
}
