import { execFileSync } from 'node:child_process';

/** The variables that point socflow at its four services. */
export const SERVICE_VARS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'CLICKHOUSE_URL'] as const;
export type ServiceEnv = Record<(typeof SERVICE_VARS)[number], string>;

export function servicesFromEnvironment(): ServiceEnv | undefined {
  return SERVICE_VARS.every((v) => process.env[v]) ? (Object.fromEntries(SERVICE_VARS.map((v) => [v, process.env[v]!])) as ServiceEnv) : undefined;
}

export function dockerAnswers(): boolean {
  if (process.env.SOCFLOW_TEST_NO_DOCKER === '1') return false;
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}
