import { generateKeyPair, type CryptoKey } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../lib/db/migrate.js';
import type { Alert, TelemetryEvent } from '../lib/events.js';
import { readTopic } from '../lib/kafka/readTopic.js';
import { createTelemetryPublisher, type TelemetryPublisher } from '../lib/kafka/telemetryPublisher.js';
import { codecFor } from '../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../lib/serde/registry.js';
import { type TopicCatalog, topicSpec } from '../lib/topics/catalog.js';
import { createAlertStore } from '../processors/alert-store/store.js';
import { createQuotaStore } from '../processors/quota-store/sink.js';
import { freshDatabase, isolatedCatalog, services } from '../test/kit.js';
import { type Role, signToken, tokenVerifier } from './auth.js';
import { httpCheck, kafkaCheck, postgresCheck } from './health.js';
import { type Approval, type BlueResponse, createRecordPublisher, type RecordPublisher } from './publishers.js';
import { type ApiDeps, createApiServer } from './server.js';

type App = Awaited<ReturnType<typeof createApiServer>>;

const T0 = Date.UTC(2025, 0, 6, 10, 0, 0);
const INJECTION = ["' OR '1'='1", "x'; DROP TABLE alerts; --", '"; DELETE FROM alerts; --', "\\' OR 1=1 --", '%27%20OR%201%3D1', 'a\u0000b', "1) UNION SELECT * FROM alert_audit --"];

const alert = (i: number, extra: Partial<Alert> = {}): Alert => ({
  alert_id: `al-${String(i).padStart(3, '0')}`,
  agent_id: `agent-${i % 3}`,
  host: `host-${i % 2}`,
  severity: (['critical', 'high', 'medium', 'low', 'info'] as const)[i % 5],
  category: i % 2 ? 'auth' : 'network',
  title: `alert ${i}`,
  description: 'd',
  remediation: 'r',
  detector: 'rule:test',
  score: i % 2 ? 0.9 : null,
  model_version: null,
  techniques: ['T1110'],
  evidence_event_ids: [`ev-${i}`],
  first_evidence_time: T0 + i,
  event_time: T0 + i,
  detected_at: T0 + i,
  asset_criticality: 'high',
  metadata: { k: 'v' },
  ...extra,
});

const metricEvent = (id: string, agent: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  agent_id: agent,
  host: 'h1',
  source: 'agent',
  event_time: T0,
  type: 'METRIC',
  payload: { metrics: { cpu: 12.5 } },
  ...extra,
});

describe('socflow api (in-process, real Kafka / registry / PostgreSQL / ClickHouse)', () => {
  let catalog: TopicCatalog;
  let pool: pg.Pool;
  let telemetry: TelemetryPublisher;
  let approvals: RecordPublisher<Approval>;
  let blueResponses: RecordPublisher<BlueResponse>;
  let kafka: ReturnType<typeof kafkaCheck>;
  let deps: ApiDeps;
  let app: App;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  const registry = () => new SchemaRegistryClient();
  const token = (role: Role | string, sub = `${role}@soc`, ttlSeconds = 600, k?: CryptoKey) => signToken(k ?? key, { role: role as Role, sub, ttlSeconds });
  const auth = async (role: Role, sub?: string) => ({ authorization: `Bearer ${await token(role, sub)}` });

  beforeAll(async () => {
    const env = services();
    ({ catalog } = await isolatedCatalog('api'));
    pool = new pg.Pool({ connectionString: await freshDatabase('api'), max: 5 });
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    ({ privateKey: key } = await generateKeyPair('RS256', { extractable: true }));
    ({ privateKey: otherKey } = await generateKeyPair('RS256'));
    telemetry = await createTelemetryPublisher('api-test');
    approvals = await createRecordPublisher<Approval>('rbp.approvals', 'api-test-approvals');
    blueResponses = await createRecordPublisher<BlueResponse>('blue-responses', 'api-test-responses');
    kafka = kafkaCheck();
    deps = {
      pool,
      telemetry,
      approvals,
      blueResponses,
      verifyToken: tokenVerifier(await verifyKeyOf(key)),
      health: [kafka, postgresCheck(pool), httpCheck('clickhouse', `${env.CLICKHOUSE_URL}/ping`), httpCheck('schema_registry', `${env.SCHEMA_REGISTRY_URL}/subjects`)],
    };
    app = await createApiServer(deps, { rateLimitMax: 100_000 });
    await app.ready();
    // 12 alerts stored in one transaction: identical created_at, so pages must break ties by alert_id.
    await createAlertStore(pool).write(Array.from({ length: 12 }, (_, i) => ({ topic: 'rbp.alerts', partition: 0, offset: BigInt(i), key: null, timestamp: T0, value: alert(i), raw: null })) as never);
    await createAlertStore(pool).write([{ topic: 'rbp.alerts', partition: 0, offset: 99n, key: null, timestamp: T0, value: alert(99, { category: "c'; DROP TABLE alerts; --" }), raw: null }] as never);
  });

  afterAll(async () => {
    await app?.close();
    await Promise.allSettled([telemetry?.close(), approvals?.close(), blueResponses?.close(), kafka?.close()]);
    await pool?.end();
  });

  describe('health and operations', () => {
    it('GET /health: every part up, with latency, no token needed', async () => {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.status).toBe('ok');
      expect(Object.keys(body.parts).sort()).toEqual(['clickhouse', 'kafka', 'postgres', 'schema_registry']);
      for (const p of Object.values(body.parts) as { status: string; latency_ms: number }[]) {
        expect(p.status).toBe('up');
        expect(p.latency_ms).toBeGreaterThanOrEqual(0);
      }
    });

    it('GET /health: 503 naming the part that failed; a hanging part is cut off at the timeout', async () => {
      const hanging = { name: 'slow', check: () => new Promise<void>(() => {}) };
      const broken = await createApiServer({ ...deps, health: [postgresCheck(pool), httpCheck('clickhouse', 'http://127.0.0.1:1/ping'), hanging] }, { healthTimeoutMs: 300 });
      try {
        const started = Date.now();
        const res = await broken.inject({ method: 'GET', url: '/health' });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(res.statusCode).toBe(503);
        const body = res.json();
        expect(body.failed.sort()).toEqual(['clickhouse', 'slow']);
        expect(body.parts.postgres.status).toBe('up');
        expect(body.parts.slow).toMatchObject({ status: 'down', error: 'timeout after 300 ms' });
        expect(body.parts.clickhouse.status).toBe('down');
        expect(JSON.stringify(body)).not.toContain('127.0.0.1');
      } finally {
        await broken.close();
      }
    });

    it('sets security headers and answers unknown routes with JSON 404', async () => {
      const res = await app.inject({ method: 'GET', url: '/nope' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBeDefined();
      expect(res.headers['strict-transport-security']).toBeDefined();
    });

    it('a failing dependency is a JSON 500 without stack or driver detail', async () => {
      const deadPool = new pg.Pool({ connectionString: 'postgres://nobody:secret-pw@127.0.0.1:1/none', connectionTimeoutMillis: 300 });
      const broken = await createApiServer({ ...deps, pool: deadPool });
      try {
        const res = await broken.inject({ method: 'GET', url: '/alerts', headers: await auth('viewer') });
        expect(res.statusCode).toBe(500);
        expect(res.json()).toEqual({ error: 'internal', message: 'internal error' });
        expect(res.body).not.toMatch(/ECONNREFUSED|at .*\.js|secret-pw/);
      } finally {
        await broken.close();
        await deadPool.end();
      }
    });
  });

  describe('authentication and roles', () => {
    it('401 without a token, with a challenge', async () => {
      const res = await app.inject({ method: 'GET', url: '/alerts' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized', message: 'a bearer token is required' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="socflow-api"');
      // The scheme is case-insensitive (RFC 7235).
      const lower = await app.inject({ method: 'GET', url: '/alerts', headers: { authorization: `bearer ${await token('viewer')}` } });
      expect(lower.statusCode).toBe(200);
    });

    it('401 for an expired token, a token of another key, wrong issuer/audience, no exp, garbage, other schemes', async () => {
      const { SignJWT } = await import('jose');
      const now = Math.floor(Date.now() / 1000);
      const expired = await signToken(key, { role: 'admin', sub: 'a', ttlSeconds: 60, now: now - 3600 });
      const wrongKey = await token('admin', 'a', 600, otherKey);
      const wrongIss = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'RS256' }).setIssuer('evil').setAudience('socflow-api').setSubject('a').setExpirationTime('10m').sign(key);
      const wrongAud = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'RS256' }).setIssuer('socflow').setAudience('other').setSubject('a').setExpirationTime('10m').sign(key);
      const noExp = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'RS256' }).setIssuer('socflow').setAudience('socflow-api').setSubject('a').sign(key);
      const cases: [string, RegExp][] = [
        [`Bearer ${expired}`, /expired/],
        [`Bearer ${wrongKey}`, /signature/],
        [`Bearer ${wrongIss}`, /iss/],
        [`Bearer ${wrongAud}`, /aud/],
        [`Bearer ${noExp}`, /exp/],
        ['Bearer not.a.jwt', /malformed/],
        [`Basic ${Buffer.from('admin:admin').toString('base64')}`, /Bearer/],
        [`Bearer ${wrongKey.split('.').slice(0, 2).join('.')}.`, /./],
      ];
      for (const [header, message] of cases) {
        const res = await app.inject({ method: 'GET', url: '/alerts', headers: { authorization: header } });
        expect(res.statusCode, header).toBe(401);
        expect(res.json().error).toBe('unauthorized');
        expect(res.json().message).toMatch(message);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="socflow-api", error="invalid_token"/);
      }
    });

    it('an unsigned (alg none) token is refused', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'socflow', aud: 'socflow-api', sub: 'x', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      const res = await app.inject({ method: 'GET', url: '/alerts', headers: { authorization: `Bearer ${none}` } });
      expect(res.statusCode).toBe(401);
    });

    it('403 when the role is too low: viewer PATCH, operator approve, unknown role', async () => {
      const patch = await app.inject({ method: 'PATCH', url: '/alerts/al-000', headers: await auth('viewer'), payload: { status: 'acknowledged' } });
      expect(patch.statusCode).toBe(403);
      expect(patch.json()).toMatchObject({ error: 'forbidden' });
      const approve = await app.inject({ method: 'POST', url: '/proposals/p-1/approve', headers: await auth('operator'), payload: {} });
      expect(approve.statusCode).toBe(403);
      const viewerPost = await app.inject({ method: 'POST', url: '/telemetry', headers: await auth('viewer'), payload: metricEvent('e', 'a') });
      expect(viewerPost.statusCode).toBe(403);
      const { SignJWT } = await import('jose');
      const guestToken = await new SignJWT({ role: 'guest' }).setProtectedHeader({ alg: 'RS256' }).setIssuer('socflow').setAudience('socflow-api').setSubject('g').setExpirationTime('10m').sign(key);
      const guest = await app.inject({ method: 'GET', url: '/alerts', headers: { authorization: `Bearer ${guestToken}` } });
      expect(guest.statusCode).toBe(403);
      // The status did not change.
      expect((await pool.query("SELECT status FROM alerts WHERE alert_id = 'al-000'")).rows[0].status).toBe('open');
    });

    it('unauthorized requests are rejected before their body is read', async () => {
      const res = await app.inject({ method: 'POST', url: '/telemetry', payload: '{"broken json' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('POST /telemetry', () => {
    it('publishes one event and a batch (ISO and ms times, defaults filled) to rbp.metrics; 202 with the ids', async () => {
      const h = await auth('operator', 'ingest@soc');
      const one = await app.inject({ method: 'POST', url: '/telemetry', headers: h, payload: metricEvent('api-ev-1', 'agent-api') });
      expect(one.statusCode).toBe(202);
      expect(one.json()).toEqual({ accepted: 1, event_ids: ['api-ev-1'] });
      const batch = await app.inject({
        method: 'POST',
        url: '/telemetry',
        headers: h,
        payload: {
          events: [
            metricEvent('api-ev-2', 'agent-api', { event_time: '2025-01-06T10:00:01.250Z', metadata: { via: 'batch' } }),
            { agent_id: 'agent-api', host: 'h1', event_time: '2025-01-06T11:00:00+01:00', type: 'AUTH', payload: { user: 'root', source_ip: '10.0.0.9', method: 'ssh', outcome: 'FAILURE' } },
            {
              event_id: 'api-ev-4', agent_id: 'agent-api', host: 'h1', source: 'scanner:trivy', event_time: T0, type: 'FINDING',
              payload: { scanner: 'trivy', scanner_id: 's', rule_id: 'CVE-1', title: 't', severity: 'high', asset: 'img' },
            },
          ],
        },
      });
      expect(batch.statusCode).toBe(202);
      const ids: string[] = batch.json().event_ids;
      expect(ids).toHaveLength(3);
      expect(ids[0]).toBe('api-ev-2');
      expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);

      const spec = topicSpec(catalog, 'rbp.metrics');
      const codec = await codecFor<TelemetryEvent>(registry(), spec);
      const records = await readTopic(spec.name, { done: (n) => n >= 4 });
      const events = await Promise.all(records.map((r) => codec.decode(r.value)));
      const byId = new Map(events.map((e) => [e.event_id, e]));
      expect(byId.get('api-ev-1')).toMatchObject({ agent_id: 'agent-api', event_time: T0, type: 'METRIC', payload: { metrics: { cpu: 12.5 } }, metadata: {}, asset: null, ingest_time: null });
      expect(byId.get('api-ev-2')).toMatchObject({ event_time: T0 + 1250, metadata: { via: 'batch' } });
      expect(byId.get(ids[1])).toMatchObject({ type: 'AUTH', source: 'api', event_time: T0, payload: { outcome: 'FAILURE' } });
      expect(byId.get('api-ev-4')).toMatchObject({ type: 'FINDING', payload: { cve: [], cwe: [], description: null, fixed_version: null } });
      expect(records.every((r) => r.key === 'agent-api')).toBe(true);
    });

    it('a batch with a bad event is 400 naming index and field, and publishes nothing', async () => {
      const h = await auth('operator');
      const res = await app.inject({
        method: 'POST',
        url: '/telemetry',
        headers: h,
        payload: {
          events: [
            metricEvent('bad-batch-0', 'agent-never'),
            metricEvent('bad-batch-1', 'agent-never', { payload: { metrics: { cpu: 'high' } } }),
            metricEvent('bad-batch-2', 'agent-never', { event_time: 'yesterday' }),
            metricEvent('bad-batch-3', 'agent-never', { type: 'NOPE' }),
            { ...metricEvent('bad-batch-4', 'agent-never'), extra_field: 1 },
            'not an object',
          ],
        },
      });
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error).toBe('invalid_events');
      expect(body.details.events.map((p: { index: number }) => p.index)).toEqual([1, 2, 3, 4, 5]);
      expect(body.details.events[0].errors.join()).toMatch(/^payload\.metrics/);
      expect(body.details.events[1].errors.join()).toMatch(/^event_time:/);
      expect(body.details.events[2].errors.join()).toMatch(/^type:/);
      expect(body.details.events[3].errors).toEqual(['extra_field: unknown field']);

      const missing = await app.inject({ method: 'POST', url: '/telemetry', headers: h, payload: { agent_id: 'agent-never', event_time: T0, type: 'AUTH', payload: { user: 'u' } } });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().details.events[0].errors.join(' ')).toMatch(/host/);
      expect(missing.json().details.events[0].errors.join(' ')).toMatch(/payload\.source_ip/);

      const spec = topicSpec(catalog, 'rbp.metrics');
      const records = await readTopic(spec.name, { idleMs: 1500 });
      const codec = await codecFor<TelemetryEvent>(registry(), spec);
      const agents = new Set((await Promise.all(records.map((r) => codec.decode(r.value)))).map((e) => e.agent_id));
      expect(agents.has('agent-never')).toBe(false);
    });

    it('413 above the body limit, 400 above the batch bound, 400 for an empty batch, 415 for non-JSON', async () => {
      const h = await auth('operator');
      const big = JSON.stringify({ events: [metricEvent('big', 'a', { metadata: { blob: 'x'.repeat(1024 * 1024 + 10) } })] });
      const tooLarge = await app.inject({ method: 'POST', url: '/telemetry', headers: { ...h, 'content-type': 'application/json' }, payload: big });
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.json().error).toBe('payload_too_large');
      const tooMany = await app.inject({ method: 'POST', url: '/telemetry', headers: h, payload: { events: Array.from({ length: 1001 }, (_, i) => ({ i })) } });
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json().message).toMatch(/1000/);
      const empty = await app.inject({ method: 'POST', url: '/telemetry', headers: h, payload: { events: [] } });
      expect(empty.statusCode).toBe(400);
      const text = await app.inject({ method: 'POST', url: '/telemetry', headers: { ...h, 'content-type': 'text/plain' }, payload: 'hello' });
      expect(text.statusCode).toBe(415);
      const proto = await app.inject({ method: 'POST', url: '/telemetry', headers: { ...h, 'content-type': 'application/json' }, payload: '{"__proto__": {"polluted": 1}}' });
      expect(proto.statusCode).toBe(400);
    });
  });

  describe('alerts', () => {
    it('lists newest first with cursor pages that cover every alert exactly once', async () => {
      const h = await auth('viewer');
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { statusCode: number; json(): { alerts: { alert_id: string }[]; next_cursor: string | null } } = await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { limit: '5', ...(cursor ? { cursor } : {}) } });
        expect(res.statusCode).toBe(200);
        const body = res.json();
        seen.push(...body.alerts.map((a) => a.alert_id));
        cursor = body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      const { rows } = await pool.query('SELECT alert_id FROM alerts ORDER BY created_at DESC, alert_id DESC');
      expect(seen).toEqual(rows.map((r) => r.alert_id));
      expect(seen).toHaveLength(13);
      expect(pages).toBe(3);
    });

    it('filters by status, severity, category, agent, host and time range', async () => {
      const h = await auth('viewer');
      const get = async (query: Record<string, string>) => {
        const res = await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { limit: '200', ...query } });
        expect(res.statusCode, JSON.stringify(query)).toBe(200);
        return res.json().alerts as Record<string, unknown>[];
      };
      expect((await get({ severity: 'critical' })).map((a) => a.alert_id).sort()).toEqual(['al-000', 'al-005', 'al-010']);
      expect((await get({ category: 'auth', host: 'host-1' })).length).toBe(6);
      expect((await get({ agent: 'agent-2' })).every((a) => a.agent_id === 'agent-2')).toBe(true);
      expect((await get({ category: "c'; DROP TABLE alerts; --" })).map((a) => a.alert_id)).toEqual(['al-099']);
      expect((await get({ status: 'false_positive' })).length).toBe(0);
      const all = await get({});
      const one = all[0];
      expect(one).toMatchObject({ alert_id: 'al-099', status: 'open', evidence_event_ids: ['ev-99'], event_time: new Date(T0 + 99).toISOString() });
      expect(one.metadata).toMatchObject({ k: 'v', techniques: ['T1110'] });
      const created = String(one.created_at);
      expect((await get({ from: created })).length).toBeGreaterThanOrEqual(1);
      expect((await get({ to: '2000-01-01T00:00:00Z' })).length).toBe(0);
      expect((await get({ from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00+02:00' })).length).toBe(13);
    });

    it('SQL-injection and oversized strings in every filter: 400 or an empty page, never a 500, table intact', async () => {
      const h = await auth('viewer');
      const filters = ['status', 'severity', 'category', 'agent', 'host', 'from', 'to', 'limit', 'cursor'];
      const before = (await pool.query('SELECT count(*)::int AS n FROM alerts')).rows[0].n;
      for (const filter of filters) {
        for (const value of [...INJECTION, 'x'.repeat(201), 'y'.repeat(5000)]) {
          const res = await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { [filter]: value } });
          expect([200, 400], `${filter}=${value.slice(0, 30)}`).toContain(res.statusCode);
          if (res.statusCode === 200) expect(res.json().alerts, `${filter}=${value}`).toEqual([]);
          else expect(res.json().error).toBe('invalid_request');
        }
      }
      // A cursor that is valid base64url but carries injection text is refused or harmless too.
      const evil = Buffer.from("1:x') OR 1=1 --", 'utf8').toString('base64url');
      const res = await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { cursor: evil } });
      expect([200, 400]).toContain(res.statusCode);
      const garbage = await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { cursor: 'bm90LWEtY3Vyc29y' } });
      expect(garbage.statusCode).toBe(400);
      const unknown = await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { sort: 'alert_id; DROP TABLE alerts' } });
      expect(unknown.statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { limit: '201' } })).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: `/alerts/${encodeURIComponent(INJECTION[1])}`, headers: h })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `/alerts/${'z'.repeat(201)}`, headers: h })).statusCode).toBe(400);
      const long = await app.inject({ method: 'GET', url: `/alerts/${'z'.repeat(300)}`, headers: h });
      expect(long.statusCode).toBe(414);
      expect(long.json().error).toBe('uri_too_long');
      const badUrl = await app.inject({ method: 'GET', url: '/alerts/%zz', headers: h });
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json().error).toBe('invalid_request');
      expect((await app.inject({ method: 'GET', url: '/alerts/a%00b', headers: h })).statusCode).toBe(400);
      const nulCursor = Buffer.from('1:a\u0000b', 'utf8').toString('base64url');
      expect((await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { cursor: nulCursor } })).statusCode).toBe(400);
      const hugeCursor = Buffer.from('9999999999999999999:a', 'utf8').toString('base64url');
      expect((await app.inject({ method: 'GET', url: '/alerts', headers: h, query: { cursor: hugeCursor } })).statusCode).toBe(400);
      const op = await auth('operator');
      expect((await app.inject({ method: 'PATCH', url: '/alerts/al-011', headers: op, payload: { status: 'acknowledged', note: 'a\u0000b' } })).statusCode).toBe(400);
      expect((await app.inject({ method: 'PATCH', url: '/alerts/al-011', headers: op, payload: { status: 'acknowledged', note: 'n'.repeat(2001) } })).statusCode).toBe(400);
      expect((await pool.query('SELECT count(*)::int AS n FROM alerts')).rows[0].n).toBe(before);
      expect((await pool.query("SELECT to_regclass('public.alert_audit') IS NOT NULL AS ok")).rows[0].ok).toBe(true);
    });

    it('GET /alerts/{id}: the alert, or 404', async () => {
      const h = await auth('viewer');
      const res = await app.inject({ method: 'GET', url: '/alerts/al-003', headers: h });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ alert_id: 'al-003', severity: 'low', score: 0.9, model_version: null, status: 'open' });
      const missing = await app.inject({ method: 'GET', url: '/alerts/al-nope', headers: h });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: 'not_found', message: 'no such alert' });
    });

    it('PATCH: lifecycle with audit rows (actor = sub), 409 on invalid transitions, blue-responses records', async () => {
      const op = await auth('operator', 'analyst-7');
      const ack = await app.inject({ method: 'PATCH', url: '/alerts/al-001', headers: op, payload: { status: 'acknowledged', note: 'looking' } });
      expect(ack.statusCode).toBe(200);
      expect(ack.json()).toMatchObject({ alert: { alert_id: 'al-001', status: 'acknowledged' }, audit: { from: 'open', to: 'acknowledged', actor: 'analyst-7', note: 'looking' } });
      const again = await app.inject({ method: 'PATCH', url: '/alerts/al-001', headers: op, payload: { status: 'acknowledged' } });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: 'invalid_transition', details: { from: 'acknowledged', to: 'acknowledged', allowed: ['resolved', 'false_positive'] } });
      const resolve = await app.inject({ method: 'PATCH', url: '/alerts/al-001', headers: op, payload: { status: 'resolved' } });
      expect(resolve.statusCode).toBe(200);
      const reopen = await app.inject({ method: 'PATCH', url: '/alerts/al-001', headers: op, payload: { status: 'false_positive' } });
      expect(reopen.statusCode).toBe(409);
      const fp = await app.inject({ method: 'PATCH', url: '/alerts/al-002', headers: await auth('admin', 'lead'), payload: { status: 'false_positive' } });
      expect(fp.statusCode).toBe(200);
      expect((await app.inject({ method: 'PATCH', url: '/alerts/al-002', headers: op, payload: { status: 'open' } })).statusCode).toBe(400);
      expect((await app.inject({ method: 'PATCH', url: '/alerts/al-002', headers: op, payload: { status: 'resolved', extra: 1 } })).statusCode).toBe(400);
      expect((await app.inject({ method: 'PATCH', url: '/alerts/al-nope', headers: op, payload: { status: 'resolved' } })).statusCode).toBe(404);

      const { rows: audit } = await pool.query(
        "SELECT alert_id, from_status, to_status, actor, note FROM alert_audit WHERE actor <> 'alert-store' ORDER BY id",
      );
      expect(audit).toEqual([
        { alert_id: 'al-001', from_status: 'open', to_status: 'acknowledged', actor: 'analyst-7', note: 'looking' },
        { alert_id: 'al-001', from_status: 'acknowledged', to_status: 'resolved', actor: 'analyst-7', note: null },
        { alert_id: 'al-002', from_status: 'open', to_status: 'false_positive', actor: 'lead', note: null },
      ]);

      const spec = topicSpec(catalog, 'blue-responses');
      const codec = await codecFor<BlueResponse>(registry(), spec);
      const records = await readTopic(spec.name, { done: (n) => n >= 3 });
      const responses = await Promise.all(records.map((r) => codec.decode(r.value)));
      expect(responses.map((r) => [r.alert_id, r.agent_id, r.action, r.actor]).sort()).toEqual([
        ['al-001', 'agent-1', 'acknowledged', 'analyst-7'],
        ['al-001', 'agent-1', 'resolved', 'analyst-7'],
        ['al-002', 'agent-2', 'false_positive', 'lead'],
      ]);
      expect(records.map((r) => r.key).sort()).toEqual(['agent-1', 'agent-1', 'agent-2']);
      expect(responses.find((r) => r.action === 'acknowledged')?.response_id).toBe(ack.json().response_id);
      expect(new Set(responses.map((r) => r.response_id)).size).toBe(3);
    });

    it('PATCH rolls back when the response cannot be published (503, status unchanged, no audit row)', async () => {
      const failing: RecordPublisher<BlueResponse> = { topic: 'x', publish: async () => Promise.reject(new Error('broker down')), close: async () => {} };
      const broken = await createApiServer({ ...deps, blueResponses: failing });
      try {
        const res = await broken.inject({ method: 'PATCH', url: '/alerts/al-004', headers: await auth('operator'), payload: { status: 'acknowledged' } });
        expect(res.statusCode).toBe(503);
        expect((await pool.query("SELECT status FROM alerts WHERE alert_id = 'al-004'")).rows[0].status).toBe('open');
        expect((await pool.query("SELECT count(*)::int AS n FROM alert_audit WHERE alert_id = 'al-004' AND actor <> 'alert-store'")).rows[0].n).toBe(0);
      } finally {
        await broken.close();
      }
    });
  });

  describe('proposals', () => {
    beforeAll(async () => {
      await pool.query(
        `INSERT INTO proposals (proposal_id, agent_id, action, reason, self_suggest_enabled, policy_id, alert_ids, created_at, status, decided_by, decided_at)
         VALUES ('p-1', 'agent-1', 'suspend', 'burst', false, 'suspend-critical-burst', '{a1}', now(), 'pending', NULL, NULL),
                ('p-2', 'agent-2', 'suspend', 'burst', false, 'suspend-critical-burst', '{}', now(), 'pending', NULL, NULL),
                ('p-3', 'agent-3', 'throttle', 'x', true, 'throttle-x', '{}', now(), 'approved', 'someone', now())`,
      );
    });

    it('GET /proposals lists and filters by status (viewer)', async () => {
      const h = await auth('viewer');
      const all = await app.inject({ method: 'GET', url: '/proposals', headers: h });
      expect(all.statusCode).toBe(200);
      expect(all.json().proposals.map((p: { proposal_id: string }) => p.proposal_id).sort()).toEqual(['p-1', 'p-2', 'p-3']);
      const pending = await app.inject({ method: 'GET', url: '/proposals', headers: h, query: { status: 'pending', limit: '1' } });
      expect(pending.json().proposals).toHaveLength(1);
      const next = await app.inject({ method: 'GET', url: '/proposals', headers: h, query: { status: 'pending', limit: '1', cursor: pending.json().next_cursor } });
      expect([...pending.json().proposals, ...next.json().proposals].map((p: { proposal_id: string }) => p.proposal_id).sort()).toEqual(['p-1', 'p-2']);
      expect(next.json().next_cursor).toBeNull();
      expect((await app.inject({ method: 'GET', url: '/proposals', headers: h, query: { status: "pending' OR 1=1 --" } })).statusCode).toBe(400);
    });

    it('approve / reject publish to rbp.approvals (202); the quota-store applies them; 404 and 409 otherwise', async () => {
      const admin = await auth('admin', 'board-chair');
      const approve = await app.inject({ method: 'POST', url: '/proposals/p-1/approve', headers: admin, payload: { comment: 'confirmed' } });
      expect(approve.statusCode).toBe(202);
      expect(approve.json()).toMatchObject({ proposal_id: 'p-1', decision: 'APPROVED', approver: 'board-chair' });
      const reject = await app.inject({ method: 'POST', url: '/proposals/p-2/reject', headers: admin });
      expect(reject.statusCode).toBe(202);
      expect((await app.inject({ method: 'POST', url: '/proposals/p-3/reject', headers: admin, payload: {} })).statusCode).toBe(409);
      expect((await app.inject({ method: 'POST', url: '/proposals/p-nope/approve', headers: admin, payload: {} })).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: '/proposals/p-1/approve', headers: admin, payload: { comment: 'c'.repeat(2001) } })).statusCode).toBe(400);
      // The API itself never writes the decision.
      expect((await pool.query("SELECT status FROM proposals WHERE proposal_id = 'p-1'")).rows[0].status).toBe('pending');

      const spec = topicSpec(catalog, 'rbp.approvals');
      const codec = await codecFor<Approval>(registry(), spec);
      const records = await readTopic(spec.name, { done: (n) => n >= 2 });
      const decisions = await Promise.all(records.map((r) => codec.decode(r.value)));
      expect(decisions.sort((a, b) => a.proposal_id.localeCompare(b.proposal_id))).toEqual([
        { proposal_id: 'p-1', agent_id: 'agent-1', action: 'suspend', self_suggest_enabled: false, policy_id: 'suspend-critical-burst', decision: 'APPROVED', approver: 'board-chair', comment: 'confirmed', decided_at: expect.any(Number) },
        { proposal_id: 'p-2', agent_id: 'agent-2', action: 'suspend', self_suggest_enabled: false, policy_id: 'suspend-critical-burst', decision: 'REJECTED', approver: 'board-chair', comment: null, decided_at: expect.any(Number) },
      ]);
      expect(records.map((r) => r.key).sort()).toEqual(['agent-1', 'agent-2']);

      // The quota-store sink closes the loop from the topic.
      await createQuotaStore(pool).write(decisions.map((value, i) => ({ topic: spec.name, partition: 0, offset: BigInt(i), key: value.agent_id, timestamp: Date.now(), value, raw: null })));
      const { rows } = await pool.query("SELECT proposal_id, status, decided_by, comment FROM proposals WHERE proposal_id IN ('p-1', 'p-2') ORDER BY proposal_id");
      expect(rows).toEqual([
        { proposal_id: 'p-1', status: 'approved', decided_by: 'board-chair', comment: 'confirmed' },
        { proposal_id: 'p-2', status: 'rejected', decided_by: 'board-chair', comment: null },
      ]);
      expect((await app.inject({ method: 'POST', url: '/proposals/p-1/reject', headers: admin, payload: {} })).statusCode).toBe(409);
    });
  });

  describe('rate limiting', () => {
    it('429 with Retry-After past the configured limit, per token subject (else per address)', async () => {
      const limited = await createApiServer(deps, { rateLimitMax: 3, rateLimitWindowMs: 60_000 });
      try {
        const alice = await auth('viewer', 'alice');
        const codes: number[] = [];
        for (let i = 0; i < 4; i++) codes.push((await limited.inject({ method: 'GET', url: '/alerts', headers: alice, query: { limit: '1' } })).statusCode);
        expect(codes).toEqual([200, 200, 200, 429]);
        const over = await limited.inject({ method: 'GET', url: '/alerts', headers: alice });
        expect(over.statusCode).toBe(429);
        expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
        expect(over.json()).toMatchObject({ error: 'rate_limited', details: { retry_after_s: expect.any(Number) } });
        // Another subject from the same address has its own quota.
        expect((await limited.inject({ method: 'GET', url: '/alerts', headers: await auth('viewer', 'bob') })).statusCode).toBe(200);
        // Unauthenticated requests (bad tokens included) count against the address.
        const anon: number[] = [];
        for (let i = 0; i < 4; i++) anon.push((await limited.inject({ method: 'GET', url: '/alerts', headers: { authorization: 'Bearer x.y.z' } })).statusCode);
        expect(anon).toEqual([401, 401, 401, 429]);
      } finally {
        await limited.close();
      }
    });
  });

  describe('metrics and OpenAPI', () => {
    it('GET /metrics exposes request counts and latency by route template and status', async () => {
      await app.inject({ method: 'GET', url: '/alerts/al-005', headers: await auth('viewer') });
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/plain/);
      expect(res.body).toMatch(/socflow_api_requests_total\{(?=[^}]*method="GET")(?=[^}]*route="\/alerts\/:id")(?=[^}]*status="200")[^}]*\} [1-9]/);
      expect(res.body).toMatch(/socflow_api_request_duration_seconds_bucket\{le="0.1",(?=[^}]*method="GET")(?=[^}]*route="\/alerts")(?=[^}]*status="401")[^}]*\} \d+/);
      expect(res.body).toMatch(/route="unmatched",status="404"/);
      expect(res.body).not.toContain('al-005');
    });

    it('GET /openapi.json is a valid OpenAPI 3 document listing every route with its security', async () => {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(checkOpenApi(doc)).toEqual([]);
      const expected = [
        'GET /health', 'POST /telemetry', 'GET /alerts', 'GET /alerts/{id}', 'PATCH /alerts/{id}', 'GET /proposals',
        'POST /proposals/{id}/approve', 'POST /proposals/{id}/reject', 'GET /metrics', 'GET /openapi.json',
      ];
      const registered = app.apiRoutes.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
      expect(registered.sort()).toEqual([...expected].sort());
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      expect(documented.sort()).toEqual(registered.sort());
      for (const r of app.apiRoutes) {
        const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
        expect(op.security, `${r.method} ${r.url}`).toEqual(r.auth === 'public' ? [] : [{ bearerAuth: [] }]);
        if (r.auth !== 'public') {
          expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
          expect(op.description).toContain(`role ${r.auth}`);
        }
      }
      expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    });
  });
});

async function verifyKeyOf(privateKey: CryptoKey): Promise<CryptoKey> {
  const { exportJWK, importJWK } = await import('jose');
  const { kty, n, e } = await exportJWK(privateKey);
  return (await importJWK({ kty, n, e }, 'RS256')) as CryptoKey;
}

/** Structural check of an OpenAPI 3.0 document (what a validator would refuse), no extra dependency. Returns the problems. */
function checkOpenApi(doc: any): string[] {
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(doc)) return ['document is not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.\d+\.\d+$/.test(doc.openapi)) problems.push(`openapi: expected 3.x.y, got ${doc.openapi}`);
  if (!isObj(doc.info) || typeof doc.info.title !== 'string' || typeof doc.info.version !== 'string') problems.push('info: title and version are required');
  if (!isObj(doc.paths) || !Object.keys(doc.paths).length) problems.push('paths: required and non-empty');
  const schemes = isObj(doc.components?.securitySchemes) ? doc.components.securitySchemes : {};
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (!path.startsWith('/')) problems.push(`${path}: paths start with /`);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item as Record<string, any>)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method)) {
        problems.push(`${where}: unknown method`);
        continue;
      }
      if (!isObj(op.responses) || !Object.keys(op.responses).length) problems.push(`${where}: responses required`);
      for (const [code, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: response code ${code}`);
        if (!isObj(r) || typeof (r as any).description !== 'string') problems.push(`${where} ${code}: description required`);
      }
      const params: any[] = Array.isArray(op.parameters) ? op.parameters : [];
      for (const p of params) {
        if (!['query', 'header', 'path', 'cookie'].includes(p.in) || typeof p.name !== 'string') problems.push(`${where}: bad parameter ${JSON.stringify(p)}`);
        if (p.in === 'path' && p.required !== true) problems.push(`${where}: path parameter ${p.name} must be required`);
      }
      for (const name of templated) if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`${where}: path parameter ${name} is not declared`);
      if (op.requestBody !== undefined && !isObj(op.requestBody?.content)) problems.push(`${where}: requestBody.content required`);
      if (!Array.isArray(op.security)) problems.push(`${where}: security must be declared (empty for public routes)`);
      for (const req of Array.isArray(op.security) ? op.security : []) for (const name of Object.keys(req)) if (!schemes[name]) problems.push(`${where}: unknown security scheme ${name}`);
      if (op.operationId) {
        if (operationIds.has(op.operationId)) problems.push(`${where}: duplicate operationId`);
        operationIds.add(op.operationId);
      }
    }
  }
  return problems;
}
