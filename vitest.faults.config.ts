import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (`make test-faults`): SIGKILLs, a Kafka broker restart, a PostgreSQL outage
 * and garbage input during a replay of the demo mix. It restarts infrastructure, so it runs alone, one
 * file at a time, and is not part of `vitest.config.ts`.
 *
 * Unless the services come from the environment or SOCFLOW_STACK_DIR is set, it runs on a private local
 * stack (under .stack/faults, ports 26xxx, below the ephemeral range) so that restarting Kafka or stopping PostgreSQL never hits the
 * shared stack other test runs use. SOCFLOW_KEEP_STACK=1 keeps that stack up between runs.
 */
const servicesGiven = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'CLICKHOUSE_URL'].every((v) => process.env[v]);
if (!servicesGiven && !process.env.SOCFLOW_STACK_DIR) {
  process.env.SOCFLOW_STACK_DIR = fileURLToPath(new URL('./.stack/faults', import.meta.url));
  process.env.SOCFLOW_KAFKA_PORT ??= '26092';
  process.env.SOCFLOW_KAFKA_CONTROLLER_PORT ??= '26093';
  process.env.SOCFLOW_REGISTRY_PORT ??= '26081';
  process.env.SOCFLOW_POSTGRES_PORT ??= '26432';
  process.env.SOCFLOW_CLICKHOUSE_PORT ??= '26123';
}

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.cache/**', '.stack/**', '.venv/**'],
    globalSetup: ['test/faults/global-setup.ts'],
    pool: 'forks',
    // Faults restart shared infrastructure: never two files at once, one test at a time.
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
    reporters: ['default'],
  },
});
