import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from './paths.js';

/**
 * Settings come from the environment; `.stack/stack.env` (written by `socflow stack up`) fills in what
 * the environment leaves unset, so commands work after `make stack-up` without sourcing anything.
 */
function stackEnv(): Record<string, string> {
  const file = process.env.SOCFLOW_STACK_DIR ? `${process.env.SOCFLOW_STACK_DIR}/stack.env` : fromRoot('.stack/stack.env');
  if (!existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function setting(name: string): string | undefined {
  const value = process.env[name];
  return value !== undefined && value !== '' ? value : stackEnv()[name];
}

export function requireSetting(name: string, what: string): string {
  const value = setting(name);
  if (value === undefined) {
    throw new ConfigError(`${name} is not set (${what}); run \`make stack-up\` for the local stack or export ${name}`);
  }
  return value;
}

export function intSetting(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = setting(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

/** Prefix for every topic name and registry subject: lets tests and several users share one cluster. */
export const topicPrefix = (): string => setting('SOCFLOW_TOPIC_PREFIX') ?? '';
