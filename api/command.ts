import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { requireSetting } from '../lib/config.js';
import { migrateWhenReady } from '../lib/db/migrate.js';
import { createPool } from '../lib/db/pool.js';
import { createTelemetryPublisher, type TelemetryPublisher } from '../lib/kafka/telemetryPublisher.js';
import { createLogger } from '../lib/log.js';
import { configuredVerifier, isRole, issueToken, parseDuration, ROLES } from './auth.js';
import { httpCheck, kafkaCheck, postgresCheck } from './health.js';
import { type Approval, type BlueResponse, createRecordPublisher, type RecordPublisher } from './publishers.js';
import { apiOptionsFromSettings, createApiServer } from './server.js';

export const DEFAULT_API_PORT = 9000;

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

/** The API wired to the configured services, listening. Everything opened is closed again if start-up fails. */
export async function startApi(opts: { host: string; port: number }): Promise<RunningApi> {
  const log = createLogger('socflow-api');
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err) => log.warn({ err: String(err) }, 'close failed'));
  };
  try {
    const { verify, origin } = await configuredVerifier();
    const pool = createPool(10);
    closers.push(() => pool.end());
    await migrateWhenReady(pool, (line) => log.info(line));
    const telemetry: TelemetryPublisher = await createTelemetryPublisher('socflow-api');
    closers.push(() => telemetry.close());
    const approvals: RecordPublisher<Approval> = await createRecordPublisher<Approval>('rbp.approvals', 'socflow-api-approvals');
    closers.push(() => approvals.close());
    const blueResponses: RecordPublisher<BlueResponse> = await createRecordPublisher<BlueResponse>('blue-responses', 'socflow-api-responses');
    closers.push(() => blueResponses.close());
    const kafka = kafkaCheck();
    closers.push(() => kafka.close());
    const registryUrl = requireSetting('SCHEMA_REGISTRY_URL', 'Confluent-compatible schema registry URL').replace(/\/$/, '');
    const clickhouseUrl = requireSetting('CLICKHOUSE_URL', 'ClickHouse HTTP URL').replace(/\/$/, '');
    const app = await createApiServer(
      {
        pool,
        telemetry,
        approvals,
        blueResponses,
        verifyToken: verify,
        health: [kafka, postgresCheck(pool), httpCheck('clickhouse', `${clickhouseUrl}/ping`), httpCheck('schema_registry', `${registryUrl}/subjects`)],
      },
      { ...apiOptionsFromSettings(), logger: log },
    );
    closers.push(() => app.close());
    const address = await app.listen({ host: opts.host, port: opts.port });
    log.info({ address, auth: origin }, 'socflow api listening');
    return { app, url: address, stop: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be 0..65535, got "${value}"`);
  return n;
}

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description('Serve the HTTP API (telemetry intake, alerts, proposals, health, metrics, OpenAPI at /openapi.json) until SIGTERM')
    .option('--host <address>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', String(DEFAULT_API_PORT))
    .action(async (opts: { host: string; port: string }) => {
      const running = await startApi({ host: opts.host, port: port(opts.port) });
      process.stderr.write(`socflow api: listening on ${running.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      const forced = setTimeout(() => process.exit(1), 20_000);
      await running.stop();
      clearTimeout(forced);
    });
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('Print an API bearer token signed with the api-jwt key (the development key, generated on first use, unless SOCFLOW_API_JWT_PRIVATE_KEY is set)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--sub <name>', 'subject: who the token speaks for (the actor in audit rows); default the OS user name')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 1h, 7d (at most 30d)', '1h')
    .action(async (opts: { role: string; sub?: string; ttl: string }) => {
      if (!isRole(opts.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`);
      const ttlSeconds = parseDuration(opts.ttl);
      const sub = opts.sub ?? safeUserName();
      const { token, origin } = await issueToken({ role: opts.role, sub, ttlSeconds });
      process.stderr.write(`socflow token: role ${opts.role}, sub ${sub}, expires in ${opts.ttl}, signed with ${origin}\n`);
      process.stdout.write(`${token}\n`);
    });
}

function safeUserName(): string {
  try {
    return userInfo().username || 'developer';
  } catch {
    return 'developer';
  }
}
