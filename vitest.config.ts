import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Most tests drive real servers (pg_dump, psql, COPY, an ephemeral initdb): generous limits.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file works in its own databases, so files run in parallel; tests in a file run in order.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 4,
    minWorkers: 1,
    sequence: { concurrent: false },
    projects: [
      // Pure code (parsers, plans, redaction, rates): no database server, runs in seconds.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: ['test/unit/**', '**/node_modules/**'] } },
    ],
  },
})
