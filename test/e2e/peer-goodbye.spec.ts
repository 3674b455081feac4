/**
 * An always-on headless peer (src/node/main.ts, a child process stopped by PID) stopped with SIGTERM says
 * goodbye first, as a closing tab does on pagehide: the tabs mark it dead at once. Without the goodbye they
 * would first see it alive (its closed channel only makes it unreachable), then suspect after
 * suspectTimeoutTicks, and dead only after deadTimeoutTicks; so the first status other than 'alive' a tab
 * shows for it says which happened. No step is timed: the polls only wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { aliveMembers, closeAll, convergeTimeoutMs, openTab, startApp, type Tab } from './helpers.js';

const room = 'peer-goodbye';
const repoDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

let server: RunningServer;
let workDir: string;
let child: ChildProcess | undefined;
let exited: Promise<number | null> = Promise.resolve(null);
let log = '';
const tabs: Tab[] = [];

test.beforeAll(async () => {
  server = await startApp();
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'peer-goodbye-'));
});

test.afterAll(async () => {
  await closeAll(tabs);
  if (child?.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await exited;
  await server?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

const statusOf = (tab: Tab, id: string) => tab.page.evaluate((x) => window.kv.members().find((m) => m.id === x)?.status ?? 'absent', id);

test('a headless peer stopped with SIGTERM says goodbye: the tabs mark it dead at once, not suspect first', async ({ browser }, testInfo) => {
  test.setTimeout(300_000);
  child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts',
    '--server', server.url, '--room', room, '--node', 'p1', '--data', path.join(workDir, 'p1'), '--status-seconds', '0'], { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = child;
  exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  proc.stdout?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  proc.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  try {
    await expect.poll(() => /^loaded 0 keys .* from /m.test(log), { timeout: convergeTimeoutMs, message: `p1 starts\n${log}` }).toBe(true);
    for (const id of ['t1', 't2']) tabs.push(await openTab(await browser.newContext(), server.url, id, room));
    for (const tab of tabs) await expect.poll(() => aliveMembers(tab), { timeout: convergeTimeoutMs }).toEqual(['p1', 't1', 't2']);

    process.kill(proc.pid as number, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toMatch(/SIGTERM: stopping \(goodbye to the peers/);
    for (const tab of tabs) {
      let seen = 'alive';
      await expect.poll(async () => (seen = await statusOf(tab, 'p1')), { timeout: convergeTimeoutMs, message: `${tab.id} notices p1 is gone` }).not.toBe('alive');
      expect(seen, `${tab.id}'s first status for p1 after its SIGTERM`).toBe('dead');
    }
  } finally {
    await testInfo.attach('p1 log', { body: log });
  }
});
