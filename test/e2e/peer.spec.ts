/**
 * Always-on headless peers (src/node) with real tabs: two peers (child processes: `node --import tsx
 * src/node/main.ts`, stopped by PID) and three tabs in separate browser contexts form one ring; 200 keys
 * are written from the tabs; every tab closes; one peer is killed with SIGKILL and the other stopped with
 * SIGTERM (it must exit 0), and both restart on their data directories; a new tab in a fresh context then
 * reads all 200 keys back with r = 3.
 *
 * Why r = 3 works with two peers and N = 3: the closed tabs stay members (dead, not left), and a read goes
 * to N healthy stand-ins (replicas, or fallbacks for unhealthy ones). With the old tabs suspect or dead, the
 * three healthy members are p1, p2 and the new tab, and every one of them answers (an empty answer counts
 * toward R); the new tab counts as the third member. The value can only come from a peer's disk: the tabs'
 * IndexedDB went with their contexts. Placement puts a peer in every key's list and a write is acknowledged
 * only once a peer holds it, so about half the keys live on p1 alone: the SIGKILLed peer must have kept
 * every acknowledged write for all 200 to come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { aliveMembers, closeAll, convergeTimeoutMs, openTab, startApp, type Tab } from './helpers.js';

const room = 'peers';
const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
const repoDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

interface PeerProcess {
  readonly id: string;
  readonly dataDir: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

let server: RunningServer;
let workDir: string;
const peers: PeerProcess[] = [];
/** Every peer process's output, kept for the report when the test fails. */
const logs: PeerProcess[] = [];

function start(peer: Pick<PeerProcess, 'id' | 'dataDir'>): PeerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts',
    '--server', server.url, '--room', room, '--node', peer.id, '--data', peer.dataDir, '--status-seconds', '2'], { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: PeerProcess = { ...peer, child, log: '', exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (chunk: Buffer) => { running.log += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { running.log += chunk.toString(); });
  logs.push(running);
  return running;
}

async function waitForLine(peer: PeerProcess, pattern: RegExp): Promise<void> {
  await expect.poll(() => pattern.test(peer.log), { timeout: convergeTimeoutMs, message: `${peer.id} prints ${pattern}\n${peer.log}` }).toBe(true);
}

test.beforeAll(async () => {
  server = await startApp();
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'peer-e2e-'));
});

test.afterEach(async ({ browserName: _browser }, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('peer logs', { body: logs.map((p) => `==== ${p.id} (pid ${p.child.pid})\n${p.log}`).join('\n') });
  }
});

test.afterAll(async () => {
  for (const peer of peers) if (peer.child.exitCode === null && peer.child.pid !== undefined) process.kill(peer.child.pid, 'SIGKILL');
  await Promise.all(peers.map((p) => p.exited));
  await server?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

test('two always-on peers keep 200 keys written by tabs that all closed, through a SIGKILL and a SIGTERM', async ({ browser }) => {
  // Minutes, not seconds, on a loaded 2-core machine (five nodes, three Chromium contexts); no step is timed.
  test.setTimeout(420_000);
  for (const id of ['p1', 'p2']) peers.push(start({ id, dataDir: path.join(workDir, id) }));
  const [p1, p2] = peers as [PeerProcess, PeerProcess];
  for (const peer of peers) await waitForLine(peer, /^loaded 0 keys .* from /m);

  const tabs: Tab[] = [];
  for (const id of ['t1', 't2', 't3']) tabs.push(await openTab(await browser.newContext(), server.url, id, room));
  const everyone = ['p1', 'p2', 't1', 't2', 't3'];
  for (const tab of tabs) await expect.poll(() => aliveMembers(tab), { timeout: convergeTimeoutMs }).toEqual(everyone);
  // The tabs see both peers as always-on members, in kv.members() and in the Members view.
  const zones = await tabs[0]!.page.evaluate(() => window.kv.members().map((m) => `${m.id}:${m.zone}`).sort());
  expect(zones).toEqual(['p1:peer', 'p2:peer', 't1:tab', 't2:tab', 't3:tab']);
  await tabs[0]!.page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Members', exact: true }).click();
  await expect(tabs[0]!.page.getByTestId('members').getByTestId('always-on')).toHaveCount(2);
  for (const peer of peers) await waitForLine(peer, /members 5 alive of 5 \(2 always-on\)/);

  // 200 keys from the three tabs, a few at a time; every put must be acknowledged.
  for (let i = 0; i < keys.length; i += 10) {
    await Promise.all(keys.slice(i, i + 10).map((key, j) => {
      const tab = tabs[(i + j) % tabs.length] as Tab;
      return tab.page.evaluate(async ([k, v]) => { await window.kv.put(k, v); }, [key, `value of ${key}`] as const);
    }));
  }
  await closeAll(tabs);

  // p1 dies without warning; p2 is stopped cleanly and must exit 0 having closed its store.
  process.kill(p1.child.pid as number, 'SIGKILL');
  expect(await p1.exited).toBe(null);
  process.kill(p2.child.pid as number, 'SIGTERM');
  expect(await p2.exited).toBe(0);
  expect(p2.log).toMatch(/SIGTERM: stopping/);
  expect(p2.log).toMatch(/stopped: .* closed/);

  peers.splice(0, 2, start(p1), start(p2));
  const [q1, q2] = peers as [PeerProcess, PeerProcess];
  // Both reload what they held from disk; between them, every key (each is on at least one peer).
  for (const peer of [q1, q2]) await waitForLine(peer, /^loaded [1-9]\d* keys/m);
  const loaded = [q1, q2].map((p) => Number(/^loaded (\d+) keys/m.exec(p.log)?.[1]));
  expect((loaded[0] ?? 0) + (loaded[1] ?? 0)).toBeGreaterThanOrEqual(keys.length);

  const reader = await openTab(await browser.newContext(), server.url, 't4', room);
  // Until the closed tabs are suspected, a read would still be sent to them: wait for the healthy three.
  await expect.poll(() => aliveMembers(reader), { timeout: convergeTimeoutMs }).toEqual(['p1', 'p2', 't4']);
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += 20) {
    const got = await reader.page.evaluate(async (batch) => Promise.all(batch.map(async (k) => {
      const { values } = await window.kv.get(k, { r: 3 });
      return { k, values: values.map(String) };
    })), keys.slice(i, i + 20));
    for (const { k, values } of got) if (values.length !== 1 || values[0] !== `value of ${k}`) missing.push(`${k}: ${JSON.stringify(values)}`);
  }
  expect(missing).toEqual([]);
  await closeAll([reader]);
});
