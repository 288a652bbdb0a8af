import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // test/faults/** restarts Kafka and stops PostgreSQL: only `make test-faults` runs it, alone.
    exclude: ['node_modules/**', 'dist/**', '.cache/**', '.stack/**', '.venv/**', 'test/faults/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
