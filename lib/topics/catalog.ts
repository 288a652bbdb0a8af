import { existsSync } from 'node:fs';
import { topicPrefix } from '../config.js';
import { readYaml } from '../data/yaml.js';
import { fromRoot } from '../paths.js';

export interface TopicSpec {
  /** Catalog name, e.g. rbp.metrics. */
  logicalName: string;
  /** Name on the cluster: SOCFLOW_TOPIC_PREFIX + logical name. */
  name: string;
  description: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  valueSchema: string;
  valueSubject: string;
  producers: string[];
  consumers: string[];
}

export type TopicCatalog = Map<string, TopicSpec>;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,200}$/;
const TOPIC_KEYS = ['name', 'description', 'partitions', 'replication_factor', 'retention_ms', 'cleanup_policy', 'value_schema', 'producers', 'consumers', 'configs'] as const;

export function loadTopicCatalog(file = fromRoot('topics/catalog.yaml'), prefix = topicPrefix()): TopicCatalog {
  const doc = readYaml(file).object(['defaults', 'topics']);
  const defaults = doc.at('defaults').object(['partitions', 'replication_factor', 'retention_ms', 'cleanup_policy', 'key']);
  const catalog: TopicCatalog = new Map();
  for (const t of doc.at('topics').list()) {
    t.object(TOPIC_KEYS);
    const logicalName = t.at('name').string({ pattern: TOPIC_NAME });
    if (catalog.has(logicalName)) t.at('name').fail(`topic ${logicalName} is listed twice`);
    const pick = (key: 'partitions' | 'replication_factor' | 'retention_ms') =>
      (t.at(key).present() ? t.at(key) : defaults.at(key)).number({ integer: true, min: key === 'retention_ms' ? -1 : 1 });
    const cleanup = (t.at('cleanup_policy').present() ? t.at('cleanup_policy') : defaults.at('cleanup_policy')).string({ oneOf: ['delete', 'compact', 'compact,delete'] });
    const valueSchema = t.at('value_schema').string({ pattern: /^[a-z0-9-]+\.avsc$/ });
    if (!existsSync(fromRoot('schemas/avro', valueSchema))) t.at('value_schema').fail(`schemas/avro/${valueSchema} does not exist`);
    const extra = t.at('configs').optional((r) => r.entries().map(([k, v]) => [k, String(v.value)] as const), []);
    const name = `${prefix}${logicalName}`;
    catalog.set(logicalName, {
      logicalName,
      name,
      description: t.at('description').string(),
      partitions: pick('partitions'),
      replicationFactor: pick('replication_factor'),
      configs: { 'retention.ms': String(pick('retention_ms')), 'cleanup.policy': cleanup, ...Object.fromEntries(extra) },
      valueSchema,
      valueSubject: `${name}-value`,
      producers: t.at('producers').strings(),
      consumers: t.at('consumers').strings(),
    });
  }
  return catalog;
}

/** The cluster name of a catalog topic; throws on a name the catalog does not have. */
export function topicName(catalog: TopicCatalog, logicalName: string): string {
  return topicSpec(catalog, logicalName).name;
}

export function topicSpec(catalog: TopicCatalog, logicalName: string): TopicSpec {
  const spec = catalog.get(logicalName);
  if (!spec) throw new Error(`topic ${logicalName} is not in topics/catalog.yaml`);
  return spec;
}
