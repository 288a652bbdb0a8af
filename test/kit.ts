import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createKafka } from '../lib/kafka/client.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { applyCatalog } from '../lib/topics/apply.js';
import { loadTopicCatalog, type TopicCatalog } from '../lib/topics/catalog.js';
import { SERVICE_VARS, type ServiceEnv } from './services.js';

/** The real services the global setup found or started, also placed in process.env for the code under test. */
export function services(): ServiceEnv {
  const env = inject('services');
  for (const v of SERVICE_VARS) process.env[v] = env[v];
  return env;
}

export const uniqueName = (stem: string): string => `${stem}-${randomBytes(4).toString('hex')}`;

/** A private namespace on the shared cluster: every topic and subject of the catalog under a fresh prefix. */
export async function isolatedCatalog(stem = 'test'): Promise<{ prefix: string; catalog: TopicCatalog }> {
  services();
  const prefix = `${uniqueName(stem)}.`;
  process.env.SOCFLOW_TOPIC_PREFIX = prefix;
  const catalog = loadTopicCatalog(undefined, prefix);
  const admin = createKafka('socflow-test-admin').admin();
  await admin.connect();
  try {
    await applyCatalog(catalog, admin, new SchemaRegistryClient());
  } finally {
    await admin.disconnect();
  }
  return { prefix, catalog };
}

/** A fresh PostgreSQL database on the shared server, owned by the application role. */
export async function freshDatabase(stem = 'test'): Promise<string> {
  const base = new URL(services().DATABASE_URL);
  const name = uniqueName(stem).replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${name}`;
  return base.toString();
}
