import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      // Generous per-test timeouts: the property tests run long on a shared, loaded 2-core machine; a timeout is
      // a hang detector here, never a speed check (speed lives in npm run bench).
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/checker/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } },
      { test: { name: 'sim', include: ['test/sim/**/*.test.ts'], environment: 'node', testTimeout: 600_000 } },
    ],
  },
});
