/**
 * clickhouse-front: serve a chdb data directory over ClickHouse's HTTP interface.
 *
 *   node dist/infra/clickhouse/front/main.js --path <dir> --port <n>
 *     [--host 127.0.0.1] [--max-body-bytes <n>] [--query-timeout-ms <n>] [--engine-defaults]
 *
 * Prints `clickhouse-front listening on http://127.0.0.1:<port>` on stdout once it accepts
 * queries; logs go to stderr. SIGTERM/SIGINT close the engine cleanly (exit 0). Exits 1 with a
 * one-line reason when the port is taken or the data directory is locked, 2 on bad arguments.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../../../lib/log.js';
import { startClickhouseFront, type ClickhouseFront } from './server.js';

const USAGE =
  'usage: clickhouse-front --path <data dir> --port <port> [--host 127.0.0.1] [--max-body-bytes <n>] [--query-timeout-ms <n>] [--engine-defaults]';

function positiveInt(name: string, raw: string | undefined, allowZero = false): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`--${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${JSON.stringify(raw)}`);
  return n;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let opts: {
    path: string;
    port: number;
    host?: string;
    maxBodyBytes?: number;
    queryTimeoutMs?: number;
    engineDefaults: boolean;
  };
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        path: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'query-timeout-ms': { type: 'string' },
        'engine-defaults': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (!values.path) throw new Error('--path is required');
    const port = positiveInt('port', values.port, true);
    if (port === undefined || port > 65535) throw new Error('--port is required (0-65535)');
    opts = {
      path: values.path,
      port,
      host: values.host,
      maxBodyBytes: positiveInt('max-body-bytes', values['max-body-bytes']),
      queryTimeoutMs: positiveInt('query-timeout-ms', values['query-timeout-ms']),
      engineDefaults: values['engine-defaults'] ?? false,
    };
  } catch (err) {
    process.stderr.write(`clickhouse-front: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const logger = createLogger('clickhouse-front');
  let front: ClickhouseFront;
  try {
    front = await startClickhouseFront({
      dataPath: opts.path,
      port: opts.port,
      host: opts.host,
      maxBodyBytes: opts.maxBodyBytes,
      queryTimeoutMs: opts.queryTimeoutMs,
      engineDefaults: opts.engineDefaults,
      logger,
    });
  } catch (err) {
    process.stderr.write(`clickhouse-front: cannot start: ${(err as Error).message}\n`);
    logger.flush();
    return 1;
  }

  process.stdout.write(`clickhouse-front listening on ${front.url}\n`);

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`clickhouse-front: second ${signal}, exiting without waiting\n`);
        resolveExit(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'clickhouse front stopping');
      front.close().then(
        () => resolveExit(0),
        (err: unknown) => {
          process.stderr.write(`clickhouse-front: error while closing: ${(err as Error).message}\n`);
          resolveExit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().then(
    (code) => {
      process.exitCode = code;
      // the engine's threads should be gone after close(); do not wait on stragglers
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err: unknown) => {
      process.stderr.write(`clickhouse-front: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
