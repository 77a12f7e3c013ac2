import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-runtime.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    // One test file at a time: files share one Temporal server and one Postgres on a 2-core machine, and
    // several start workers, sshd or child processes with heartbeat timeouts of a few seconds; running them
    // side by side would make that timing flaky. Tests inside a file may still use describe.concurrent.
    fileParallelism: false,
  },
});
