import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../lib/events.js';
import { readTopic } from '../lib/kafka/readTopic.js';
import { fromRoot } from '../lib/paths.js';
import { codecFor } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { topicSpec, type TopicCatalog } from '../lib/topics/catalog.js';
import { freshDatabase, isolatedCatalog } from '../test/kit.js';
import { signToken } from './auth.js';

const run = promisify(execFile);
const root = fromRoot();
const cli = fromRoot('bin/socflow.js');

/** The real thing: `node bin/socflow.js api` built by tsc, against the real stack, called over HTTP. */
describe('socflow api (real process)', () => {
  let catalog: TopicCatalog;
  let env: NodeJS.ProcessEnv;
  let keysDir: string;
  let api: ChildProcess | undefined;
  let url: string;
  let stderr = '';

  beforeAll(async () => {
    ({ catalog } = await isolatedCatalog('apiproc'));
    const database = await freshDatabase('apiproc');
    // Other sources may not compile at this moment; tsc still emits, and what matters is our output.
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, timeout: 170_000 }).catch(() => undefined);
    expect(existsSync(fromRoot('dist/api/command.js'))).toBe(true);
    keysDir = mkdtempSync(join(tmpdir(), 'socflow-api-keys-'));
    env = { ...process.env, DATABASE_URL: database, SOCFLOW_KEYS_DIR: keysDir, SOCFLOW_API_RATE_LIMIT: '1000', LOG_LEVEL: 'warn' };
    for (const k of ['SOCFLOW_API_JWT_PUBLIC_KEY', 'SOCFLOW_API_JWT_PRIVATE_KEY', 'SOCFLOW_API_JWKS_URL', 'SOCFLOW_ENV']) delete env[k];
    api = spawn(process.execPath, [cli, 'api', '--port', '0'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`api did not start:\n${stderr}`)), 60_000);
      api!.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /socflow api: listening on (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      api!.once('exit', (code) => reject(new Error(`api exited with ${code}:\n${stderr}`)));
    });
  });

  afterAll(async () => {
    if (api && api.exitCode === null) api.kill('SIGKILL');
    rmSync(keysDir, { recursive: true, force: true });
  });

  const token = async (role: string, sub: string) => {
    const { stdout } = await run(process.execPath, [cli, 'token', '--role', role, '--sub', sub, '--ttl', '10m'], { cwd: root, env });
    return stdout.trim();
  };

  it('binds loopback by default, serves health, auth, telemetry, alerts, OpenAPI and metrics over HTTP', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(Object.keys((await health.json()).parts).sort()).toEqual(['clickhouse', 'kafka', 'postgres', 'schema_registry']);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');

    expect((await fetch(`${url}/alerts`)).status).toBe(401);
    const { privateKey: foreign } = await generateKeyPair('RS256');
    const forged = await signToken(foreign, { role: 'admin', sub: 'mallory', ttlSeconds: 60 });
    expect((await fetch(`${url}/alerts`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);

    const operator = await token('operator', 'proc-operator');
    const viewer = await token('viewer', 'proc-viewer');
    // The API applied the migrations to the fresh database itself.
    const alerts = await fetch(`${url}/alerts?limit=10&severity=critical`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(alerts.status).toBe(200);
    expect(await alerts.json()).toEqual({ alerts: [], next_cursor: null });
    expect((await fetch(`${url}/alerts/x`, { method: 'PATCH', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' }, body: '{"status":"resolved"}' })).status).toBe(403);

    const event = { event_id: 'proc-ev-1', agent_id: 'proc-agent', host: 'h', event_time: '2025-01-06T10:00:00Z', type: 'METRIC', payload: { metrics: { cpu: 1 } } };
    const posted = await fetch(`${url}/telemetry`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toEqual({ accepted: 1, event_ids: ['proc-ev-1'] });
    const spec = topicSpec(catalog, 'rbp.metrics');
    const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
    const records = await readTopic(spec.name, { done: (n) => n >= 1 });
    expect(await codec.decode(records[0].value)).toMatchObject({ event_id: 'proc-ev-1', source: 'api', event_time: Date.UTC(2025, 0, 6, 10) });

    const big = await fetch(`${url}/telemetry`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...event, metadata: { x: 'y'.repeat(2 * 1024 * 1024) } }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toBe('payload_too_large');

    const doc = await (await fetch(`${url}/openapi.json`)).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/proposals/{id}/approve');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/socflow_api_requests_total\{[^}]*route="\/telemetry"[^}]*status="202"/);
  });

  it('socflow token refuses an unknown role and a bad ttl', async () => {
    await expect(run(process.execPath, [cli, 'token', '--role', 'root'], { cwd: root, env })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--role must be one of viewer, operator, admin/) });
    await expect(run(process.execPath, [cli, 'token', '--role', 'admin', '--ttl', 'forever'], { cwd: root, env })).rejects.toMatchObject({ code: 1 });
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => api!.once('exit', (code) => resolve(code)));
    api!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
