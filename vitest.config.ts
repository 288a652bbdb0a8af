import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // test/faults/** restarts Kafka and stops PostgreSQL, and the purple kill test is load-sensitive: only
    // `make test-faults` (vitest.faults.config.ts) runs them, alone.
    exclude: ['node_modules/**', 'dist/**', '.cache/**', '.stack/**', '.venv/**', 'test/faults/**', 'processors/purple/purple.kafka.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
