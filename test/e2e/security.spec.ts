// Who may do what, in real Chromium against the real server: a class-link tab cannot change the room's
// fault rules (a clear rejection, and nothing changes) while a teacher-link tab can; a web page of another
// origin cannot open the signaling WebSocket; a second tab cannot take a live node's id.
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { appUrl, closeAll, failure, getValues, openTab, put, startApp, waitForRing, type Tab } from './helpers.js';

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
