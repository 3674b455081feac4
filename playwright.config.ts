/**
 * End-to-end tests: real Chromium (flags only from test/chromium.ts) against the built app. The global setup
 * builds dist/ once; there is no `webServer`: each spec starts its own server with
 * startServer({ port: 0, staticDir: 'dist' }) and stops it, since specs restart it mid-run.
 */
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './test/chromium.js';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  // Two spec files at a time: most of a spec's time is waiting (ticks, gossip rounds, timeouts), not CPU,
  // so two workers on the 2 shared cores took the suite from 18.4 to 13.9 minutes under the same load
  // (2026-12-02). Each spec starts its own server on port 0 and its own browser contexts.
  workers: 2,
  fullyParallel: false,
  // Honest results: a flake is a bug to find, never retried to green.
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  globalSetup: './test/e2e/global-setup.ts',
  outputDir: 'test-results/e2e-artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
