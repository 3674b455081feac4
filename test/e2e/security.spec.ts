// Who may do what, in real Chromium against the real server: a class-link tab cannot change the room's
// fault rules (a clear rejection, and nothing changes) while a teacher-link tab can; a modified class-link
// tab that skips the page check and runs its core unstamped cannot change N/R/W nor stop a member; a web page of another
// origin cannot open the signaling WebSocket; a second tab cannot take a live node's id.
import { expect, test, type BrowserContext } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { appUrl, closeAll, convergeTimeoutMs, failure, getValues, openTab, put, startApp, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

const teacherOnly = 'teacher only: open the teacher link printed by npm start';

test('a class-link tab cannot partition; a teacher-link tab can', async ({ browser }) => {
  const teacher = await openTab(await browser.newContext(), server.url, 'n1', 'sec-faults', 'teacher');
  const student = await openTab(await browser.newContext(), server.url, 'n2', 'sec-faults', 'class');
  tabs.push(teacher, student);
  await waitForRing(tabs, ['n1', 'n2']);
  // The teacher link's token left the address bar (it stays in the tab's sessionStorage).
  expect(teacher.page.url()).not.toContain('teacher=');
  expect(await teacher.page.evaluate(() => window.kv.role())).toBe('teacher');
  expect(await student.page.evaluate(() => window.kv.role())).toBe('student');

  for (const call of ['window.kv.partition([["n1"], ["n2"]])', 'window.kv.isolate("n1")', 'window.kv.setLoss(1)', 'window.kv.heal()', 'window.kv.configure({ n: 1 })']) {
    expect(await failure(student, call)).toBe(teacherOnly);
  }
  for (const tab of tabs) expect(await tab.page.evaluate(() => window.kv.faults())).toEqual({ groups: [], isolated: [], cuts: [], lossRate: 0 });
  await put(student, 'k', 'still-connected');
  await expect.poll(() => getValues(teacher, 'k')).toEqual(['still-connected']);

  await teacher.page.evaluate(() => window.kv.partition([['n1'], ['n2']]));
  for (const tab of tabs) {
    await expect.poll(() => tab.page.evaluate(() => window.kv.faults().groups)).toEqual([['n1'], ['n2']]);
  }
  await teacher.page.evaluate(() => window.kv.heal());
});

/**
 * Makes every tab of `context` a modified one, as a student could make it with the developer tools: the
 * bundle it loads skips the page API's teacher check, and its core runs without stamps (it adopts its own
 * configure and remove at once and gossips them, as every core did before issue 11).
 */
async function modify(context: BrowserContext): Promise<void> {
  await context.route('**/assets/index-*.js', async (route) => {
    const response = await route.fetch();
    const original = await response.text();
    const body = original.replace(/case`student`:return [\w$]+;/, 'case`student`:return;').replace('stamps:!0', 'stamps:!1');
    expect(body.length).toBeLessThan(original.length); // the page check is gone (a stale pattern would test nothing)
    await route.fulfill({ response, body });
  });
}

const config = (tab: Tab) => tab.page.evaluate(() => { const c = window.kv.config(); return { n: c.n, r: c.r, w: c.w }; });
const members = (tab: Tab) => tab.page.evaluate(() => window.kv.members().map((m) => `${m.id}:${m.status}`).sort().join(','));

test('a modified class-link tab cannot change N/R/W or stop a member through gossip; the teacher link can', async ({ browser }) => {
  test.setTimeout(120_000);
  const teacher = await openTab(await browser.newContext(), server.url, 'n1', 'sec-config', 'teacher');
  const student = await openTab(await browser.newContext(), server.url, 'n2', 'sec-config', 'class');
  const modifiedContext = await browser.newContext();
  await modify(modifiedContext);
  const modified = await openTab(modifiedContext, server.url, 'n3', 'sec-config', 'class');
  tabs.push(teacher, student, modified);
  await waitForRing(tabs, ['n1', 'n2', 'n3']);
  const before = await config(teacher);

  // Its own core adopts the change and gossips it; the request ends when the others echo it or time out.
  await modified.page.evaluate(() => window.kv.configure({ n: 1, r: 1, w: 1 }).catch(() => undefined));
  for (const tab of [teacher, student]) expect(await config(tab)).toEqual(before);

  // Its core marks n2 removed and gossips it: n2 refutes (a new life) and keeps serving.
  await modified.page.evaluate(() => window.kv.remove('n2').catch(() => undefined));
  await put(student, 'after-forged-removal', 'v');
  for (const tab of [teacher, student]) {
    await expect.poll(() => members(tab), { timeout: convergeTimeoutMs }).toBe('n1:alive,n2:alive,n3:alive');
  }
  expect(await getValues(teacher, 'after-forged-removal')).toEqual(['v']);

  await teacher.page.evaluate(() => window.kv.configure({ n: 2, r: 1, w: 1 }));
  for (const tab of [teacher, student]) await expect.poll(() => config(tab)).toEqual({ n: 2, r: 1, w: 1 });
  await teacher.page.evaluate(() => window.kv.remove('n3'));
  for (const tab of [teacher, student]) await expect.poll(() => members(tab), { timeout: convergeTimeoutMs }).toBe('n1:alive,n2:alive');
});

test('a web page of another origin cannot open the signaling WebSocket; the app\'s own origin can', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A page served as http://evil.example (intercepted: nothing leaves the machine) that tries the socket.
  await page.route('http://evil.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<html><body>evil</body></html>' }));
  const tryOpen = (url: string) => new Promise<string>((resolve) => {
    const ws = new WebSocket(url);
    ws.onopen = () => { ws.close(); resolve('open'); };
    ws.onclose = (event) => resolve(`closed ${event.code}`);
  });
  await page.goto('http://evil.example/');
  expect(await page.evaluate(tryOpen, server.signalUrl)).toBe('closed 1006');
  await page.goto(`${server.url}/favicon.svg`);
  expect(await page.evaluate(tryOpen, server.signalUrl)).toBe('open');
  await context.close();
});

test('a second tab cannot take a live node\'s id; once the holder closes, the id is free again', async ({ browser }) => {
  const owner = await openTab(await browser.newContext(), server.url, 'n1', 'sec-ids');
  tabs.push(owner);
  const thiefContext = await browser.newContext(); // another browser: the BroadcastChannel check cannot see it
  const thief = await thiefContext.newPage();
  await thief.goto(appUrl(server.url, 'n1', 'sec-ids', 'class'));
  await thief.waitForFunction(() => typeof window.kv?.ready === 'function');
  const refused = await thief.evaluate(() => window.kv.ready().then(() => 'ready', (e: Error) => e.message));
  expect(refused).toMatch(/^the signaling server refused this node: socket closed: 4409 node id n1 is in use by another tab/);
  await thiefContext.close();

  // The owner kept its id and its connection.
  expect(await owner.page.evaluate(() => (window.kv.snapshot() as { network: { signaling: string } }).network.signaling)).toBe('open');
  await put(owner, 'mine', 'v');
  expect(await getValues(owner, 'mine')).toEqual(['v']);

  await owner.context.close();
  tabs = [];
  const back = await openTab(await browser.newContext(), server.url, 'n1', 'sec-ids');
  tabs.push(back);
  expect(await back.page.evaluate(() => window.kv.nodeId)).toBe('n1');
});
