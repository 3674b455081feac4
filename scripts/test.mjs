#!/usr/bin/env node
// `npm test`: every check there is, in order, each one run even if an earlier one failed:
// type-check, lint, unit + simulation tests (Vitest), end-to-end tests (Playwright in real Chromium).
// Prints one summary line `N passed, M failed` summing all runners (tsc and eslint count as one check each),
// and exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);

let passed = 0;
let failed = 0;
const lines = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${[command, ...args].join(' ')}`);
  const child = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (child.error) console.error(`${label} could not start: ${child.error.message}`);
  return child.status ?? 1;
}

function readJson(path) {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    console.error(`could not read ${path}: ${error.message}`);
    return undefined;
  }
}

function countCheck(label, status) {
  if (status === 0) passed += 1;
  else failed += 1;
  lines.push(`${label}: ${status === 0 ? 'ok' : 'FAILED'}`);
}

countCheck('typecheck (tsc --noEmit)', run('typecheck', bin('tsc'), ['--noEmit', '-p', '.']));
countCheck('lint (eslint)', run('lint', bin('eslint'), ['.']));

const vitestJson = join(results, 'vitest.json');
rmSync(vitestJson, { force: true });
const vitestStatus = run('unit + simulation (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const vitest = readJson(vitestJson);
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
  lines.push(`vitest: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed`);
}
if (vitestStatus !== 0 && (!vitest || vitest.numFailedTests === 0)) {
  failed += 1; // a crash, a failed suite import or an unhandled error: count it, never hide it
  lines.push(`vitest: exited ${vitestStatus} without a test failure (a suite failed to load or an error went unhandled)`);
}

const e2eDir = join(root, 'test', 'e2e');
const hasE2e = existsSync(e2eDir) && readdirSync(e2eDir).some((f) => f.endsWith('.spec.ts'));
if (hasE2e) {
  const e2eJson = join(results, 'e2e.json');
  rmSync(e2eJson, { force: true });
  const e2eStatus = run('end-to-end (playwright)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_FILE: e2eJson });
  const e2e = readJson(e2eJson);
  const stats = e2e?.stats;
  if (stats) {
    passed += stats.expected;
    failed += stats.unexpected + stats.flaky;
    lines.push(`playwright: ${stats.expected} passed, ${stats.unexpected} failed, ${stats.flaky} flaky, ${stats.skipped} skipped`);
  }
  if (e2eStatus !== 0 && (!stats || stats.unexpected + stats.flaky === 0)) {
    failed += 1;
    lines.push(`playwright: exited ${e2eStatus} without a test failure (setup failed or no browser)`);
  }
} else {
  lines.push('playwright: no end-to-end specs yet');
}

console.log(`\n=== summary\n${lines.join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
