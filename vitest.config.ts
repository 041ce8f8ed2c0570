import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The hostile-line sweep (src/filter/translate/adversarial.test.ts) runs too: ~10 s at its
    // default 1 KiB lines; it asserts linear-engine guards, never wall time.
    exclude: ['node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e suites build network namespaces with fixed names: never run two files at once there.
    fileParallelism: true,
    pool: 'forks',
  },
});
