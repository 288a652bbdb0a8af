import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // test/faults/** restarts Kafka and stops PostgreSQL: only `make test-faults` runs it, alone.
    // processors/purple/purple.kafka.test.ts is left out of CI while the purple join depends on the order in
    // which it reads its three topics (issue 9, processors/purple/README.md "Known issues"): it fails on a
    // fresh broker and passes on a warm one. Run it by hand: npx vitest run processors/purple/purple.kafka.test.ts
    exclude: ['node_modules/**', 'dist/**', '.cache/**', '.stack/**', '.venv/**', 'test/faults/**', 'processors/purple/purple.kafka.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
