import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/checker/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'sim', include: ['test/sim/**/*.test.ts'], environment: 'node', testTimeout: 600_000 } },
    ],
  },
});
