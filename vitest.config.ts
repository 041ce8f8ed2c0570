import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e suites build network namespaces with fixed names: never run two files at once there.
    fileParallelism: true,
    pool: 'forks',
  },
});
