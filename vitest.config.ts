import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'native-free-arena/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites each start their own servers on their own ports;
    // on a 2-core machine running files one at a time keeps timings sane.
    fileParallelism: false,
  },
});
