import { execFileSync } from 'node:child_process';
import { fromRoot } from '../../lib/paths.js';
import { StackError } from './processes.js';

/** Where the local stack keeps its state, caches and the ports it listens on (all overridable by env). */
export interface StackContext {
  stackDir: string;
  cacheDir: string;
  ports: { kafka: number; kafkaController: number; registry: number; postgres: number; clickhouse: number };
  kafkaVersion: string;
  progress: (line: string) => void;
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new StackError(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return value;
}

export function stackContext(progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): StackContext {
  return {
    stackDir: process.env.SOCFLOW_STACK_DIR ?? fromRoot('.stack'),
    cacheDir: process.env.SOCFLOW_CACHE_DIR ?? fromRoot('.cache'),
    ports: {
      kafka: port('SOCFLOW_KAFKA_PORT', 19092),
      kafkaController: port('SOCFLOW_KAFKA_CONTROLLER_PORT', 19093),
      registry: port('SOCFLOW_REGISTRY_PORT', 18081),
      postgres: port('SOCFLOW_POSTGRES_PORT', 15432),
      clickhouse: port('SOCFLOW_CLICKHOUSE_PORT', 18123),
    },
    kafkaVersion: process.env.SOCFLOW_KAFKA_VERSION ?? '3.9.1',
    progress,
  };
}

/** Fails with one clear sentence when a tool the local stack needs is not installed. */
export function requireTool(tool: string, why: string): void {
  try {
    execFileSync(tool, ['-version'], { stdio: 'ignore', timeout: 30_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StackError(`${tool} is not installed (needed for ${why})`);
    }
  }
}

/** Runs a download/install step, turning a failure into one message with the tool's own last lines. */
export function runStep(what: string, tool: string, args: string[], cwd?: string): void {
  try {
    execFileSync(tool, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new StackError(`${what} failed: ${output || e.message}`);
  }
}
