import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../lib/paths.js';
import { optionalProcessors, processors } from '../processors/index.js';

/** Variables only the local stack, tests or developer tooling read; a compose deployment does not set them. */
const LOCAL_ONLY = new Set([
  'SOCFLOW_STACK_DIR', 'SOCFLOW_CACHE_DIR', 'SOCFLOW_KAFKA_VERSION', 'SOCFLOW_KAFKA_PORT', 'SOCFLOW_KAFKA_CONTROLLER_PORT',
  'SOCFLOW_REGISTRY_PORT', 'SOCFLOW_POSTGRES_PORT', 'SOCFLOW_CLICKHOUSE_PORT', 'SOCFLOW_KEEP_STACK', 'SOCFLOW_TEST_NO_DOCKER',
  'KAFKAJS_NO_PARTITIONER_WARNING', 'SOCFLOW_INSTANCE_ID',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every configuration variable the code reads, found in the source as the reading calls spell it. */
function variablesReadByCode(): Set<string> {
  const names = new Set<string>();
  const pattern = /(?:requireSetting|intSetting|setting)\('([A-Z][A-Z0-9_]+)'|process\.env\.([A-Z][A-Z0-9_]+)|process\.env\[['"]([A-Z][A-Z0-9_]+)['"]\]/g;
  for (const file of ['lib', 'processors', 'connectors', 'cli', 'infra'].flatMap((d) => sourceFiles(fromRoot(d)))) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) names.add(m[1] ?? m[2] ?? m[3]);
  }
  return names;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(fromRoot('docker-compose.yml'), 'utf8'), { merge: true });
  const services = compose.services as Record<string, { command?: string[]; environment?: Record<string, string>; image?: string }>;

  it('has the official images for every part of the stack', () => {
    expect(services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(services['schema-registry'].image).toMatch(/^confluentinc\/cp-schema-registry:/);
    expect(services.postgres.image).toMatch(/^postgres:/);
    expect(services.clickhouse.image).toMatch(/^clickhouse\/clickhouse-server:/);
    expect(services.prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(services.grafana.image).toMatch(/^grafana\/grafana:/);
  });

  it('runs every processor as its own scalable service', () => {
    for (const p of [...processors, ...optionalProcessors]) {
      expect(services[p.name], `service for ${p.name}`).toBeDefined();
      expect(services[p.name].command?.slice(0, 2)).toEqual(['run', p.name]);
    }
  });

  it('sets every variable the code reads', () => {
    const env = services.normalize.environment ?? {};
    const missing = [...variablesReadByCode()].filter((v) => !LOCAL_ONLY.has(v) && !(v in env));
    expect(missing).toEqual([]);
    for (const v of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'CLICKHOUSE_URL']) expect(env[v]).toBeTruthy();
  });
});
