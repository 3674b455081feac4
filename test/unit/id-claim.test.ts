// A duplicated tab must not run the same node id; a reloaded tab must keep its own. The tabs of one browser
// are modelled by a broadcast bus (BroadcastChannel) and a lock table (Web Locks); time is a timer the test
// fires by hand, so each case shows whether the answer depends on a timer at all.
import { describe, expect, it } from 'vitest';
import * as identity from '../../src/browser/identity.js';
import * as idClaim from '../../src/browser/id-claim.js';

function memoryStorage(initial: Record<string, string> = {}): identity.KeyValueStorage & { items: Map<string, string> } {
  const items = new Map(Object.entries(initial));
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => { items.set(key, value); } };
}

function env(search: string, session = memoryStorage()): identity.Environment {
  let next = 0;
  return { search, session, local: memoryStorage(), randomBytes: (bytes) => { for (let i = 0; i < bytes.length; i++) bytes[i] = next++ % 256; } };
}

function resolved(e: identity.Environment): identity.Identity {
  const result = identity.resolve(e);
  if (!result.ok) throw new Error(result.error);
  return result.identity;
}

/** A broadcast bus: every channel hears every other channel's posts, asynchronously, never its own. */
function bus() {
  const channels: { handlers: ((m: idClaim.IdMessage) => void)[] }[] = [];
  const posted: idClaim.IdMessage[] = [];
  const open = (): idClaim.IdChannel => {
    const me = { handlers: [] as ((m: idClaim.IdMessage) => void)[] };
    channels.push(me);
    return {
      post: (message) => { posted.push(message); for (const other of channels) if (other !== me) for (const h of other.handlers) queueMicrotask(() => h(message)); },
      onMessage: (handler) => void me.handlers.push(handler),
    };
  };
  return { open, posted };
}

/** One browser's lock table: a lock is held by one tab until that tab closes. */
function lockTable() {
  const holders = new Map<string, string>();
  const waiting: { name: string; tab: string; grant: () => void; signal: AbortSignal }[] = [];
  const grantWaiting = () => {
    for (const w of [...waiting]) {
      if (w.signal.aborted || holders.has(w.name)) continue;
      holders.set(w.name, w.tab);
      waiting.splice(waiting.indexOf(w), 1);
      w.grant();
    }
  };
  const tab = (id: string): idClaim.IdLocks => ({
    tryHold: async (name) => {
      const holder = holders.get(name);
      if (holder === undefined) holders.set(name, id);
      return (holder ?? id) === id;
    },
    holdWhenFree: (name, signal) => new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')));
      waiting.push({ name, tab: id, grant: resolve, signal });
      grantWaiting();
    }),
  });
  const close = (id: string) => {
    for (const [name, holder] of holders) if (holder === id) holders.delete(name);
    grantWaiting();
  };
  return { tab, close, holders };
}

/** A timer the test fires: `fire()` ends every wait started so far. */
function manualTimer() {
  const pending: (() => void)[] = [];
  const wait = (_ms: number) => new Promise<void>((resolve) => { pending.push(resolve); });
  return { wait, started: () => pending.length, fire: () => { for (const r of pending.splice(0)) r(); } };
}

/** Lets queued microtasks and promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('id-claim without Web Locks (an http page on a LAN): a probe and a bounded wait', () => {
  it('keeps the id when no other tab runs it', async () => {
    const channels = bus();
    const timer = manualTimer();
    const e = env('');
    const me = resolved(e);
    idClaim.guardId(channels.open(), undefined, idClaim.claimName(me.room, 'someone-else'));
    const result = idClaim.deduplicate(e, me, channels.open(), undefined, timer.wait);
    await settle();
    timer.fire();
    expect(await result).toEqual({ ok: true, identity: me });
  });

  it('lets the server name a duplicated tab (same sessionStorage id), with a fresh secret', async () => {
    const channels = bus();
    const session = memoryStorage({ [identity.storageKeys.nodeId]: 'n1' });
    const original = resolved(env('', session));
    idClaim.guardId(channels.open(), undefined, idClaim.claimName(original.room, 'n1'));
    const copy = env('', memoryStorage({ ...Object.fromEntries(session.items) }));
    const result = await idClaim.deduplicate(copy, resolved(copy), channels.open(), undefined, manualTimer().wait);
    if (!result.ok) throw new Error(result.error);
    expect(result.identity.nodeId).toBeUndefined();
    expect(result.identity.secret).not.toBe(original.secret);
    expect(resolved(copy).nodeId).toBeUndefined(); // a reload before the server answers asks again
  });

  it('refuses a ?node= that another tab already runs', async () => {
    const channels = bus();
    const e = env('?node=n1');
    idClaim.guardId(channels.open(), undefined, idClaim.claimName(resolved(e).room, 'n1'));
    expect(await idClaim.deduplicate(e, resolved(e), channels.open(), undefined, manualTimer().wait)).toEqual({
      ok: false, error: 'node n1 is already running in another tab of this browser; close it or pick another ?node=',
    });
  });

  it('does not count the same id in another room', async () => {
    const channels = bus();
    const timer = manualTimer();
    idClaim.guardId(channels.open(), undefined, idClaim.claimName('other-room', 'n1'));
    const e = env('?node=n1&room=mine');
    const result = idClaim.deduplicate(e, resolved(e), channels.open(), undefined, timer.wait);
    await settle();
    timer.fire();
    expect((await result).ok).toBe(true);
  });
});

describe('id-claim with Web Locks: the answer never waits for a timer', () => {
  it('takes a free lock at once: no probe is sent and no timer started', async () => {
    const channels = bus();
    const locks = lockTable();
    const timer = manualTimer();
    const e = env('?node=n1');
    const me = resolved(e);
    expect(await idClaim.deduplicate(e, me, channels.open(), locks.tab('tab-1'), timer.wait)).toEqual({ ok: true, identity: me });
    expect(channels.posted).toEqual([]);
    expect(timer.started()).toBe(0);
    expect(locks.holders.get(idClaim.claimName(me.room, 'n1'))).toBe('tab-1');
  });

  it('a duplicate of a live tab is renamed however late the holder answers', async () => {
    const locks = lockTable();
    const session = memoryStorage({ [identity.storageKeys.nodeId]: 'n1' });
    const original = resolved(env('', session));
    const claim = idClaim.claimName(original.room, 'n1');
    expect(await locks.tab('original').tryHold(claim)).toBe(true);
    // The original tab is busy: its answers are held back until the test lets them through.
    const held: idClaim.IdMessage[] = [];
    const theirs = bus();
    let deliver: (m: idClaim.IdMessage) => void = () => {};
    const copyChannel: idClaim.IdChannel = {
      post: (message) => { theirs.posted.push(message); held.push(message); },
      onMessage: (handler) => { deliver = handler; },
    };
    const timer = manualTimer();
    const copy = env('', memoryStorage({ ...Object.fromEntries(session.items) }));
    const result = idClaim.deduplicate(copy, resolved(copy), copyChannel, locks.tab('copy'), timer.wait);
    for (let turn = 0; turn < 50; turn++) await settle();
    const probe = held[0];
    if (probe?.type !== 'probe') throw new Error('the copy sent no probe');
    deliver({ type: 'taken', claim, token: probe.token }); // the original's answer, after 50 turns
    const answer = await result;
    if (!answer.ok) throw new Error(answer.error);
    expect(answer.identity.nodeId).toBeUndefined();
    expect(locks.holders.get(claim)).toBe('original');
  });

  it('a reload keeps its id: the lock the old document held is released, and no one answers', async () => {
    const channels = bus();
    const locks = lockTable();
    const e = env('?node=n1');
    const me = resolved(e);
    const claim = idClaim.claimName(me.room, 'n1');
    expect(await locks.tab('old-document').tryHold(claim)).toBe(true);
    const timer = manualTimer();
    const result = idClaim.deduplicate(e, me, channels.open(), locks.tab('new-document'), timer.wait);
    await settle();
    locks.close('old-document');
    expect(await result).toEqual({ ok: true, identity: me });
    expect(locks.holders.get(claim)).toBe('new-document');
  });

  it('a holder that neither answers nor lets go counts as live once the bound passes (the safe side)', async () => {
    const channels = bus();
    const locks = lockTable();
    const e = env('?node=n1');
    const claim = idClaim.claimName(resolved(e).room, 'n1');
    expect(await locks.tab('frozen').tryHold(claim)).toBe(true);
    const timer = manualTimer();
    const result = idClaim.deduplicate(e, resolved(e), channels.open(), locks.tab('starting'), timer.wait);
    await settle();
    timer.fire();
    expect((await result).ok).toBe(false);
    locks.close('frozen'); // the wait for the lock was given up: the starting tab does not take it now
    await settle();
    expect(locks.holders.has(claim)).toBe(false);
  });

  it('guardId holds the lock of a name the server gave, so a later duplicate sees it', async () => {
    const channels = bus();
    const locks = lockTable();
    const claim = idClaim.claimName('default', 'n7');
    idClaim.guardId(channels.open(), locks.tab('named'), claim);
    await settle();
    expect(locks.holders.get(claim)).toBe('named');
    const e = env('?node=n7');
    expect((await idClaim.deduplicate(e, resolved(e), channels.open(), locks.tab('copy'), manualTimer().wait)).ok).toBe(false);
  });
});
