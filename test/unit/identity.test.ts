import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as identity from '../../src/browser/identity.js';

function memoryStorage(initial: Record<string, string> = {}): identity.KeyValueStorage & { items: Map<string, string> } {
  const items = new Map(Object.entries(initial));
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => { items.set(key, value); } };
}

/** A deterministic byte source: 0, 1, 2, ... so generated ids are predictable. */
function countingBytes(): (bytes: Uint8Array) => void {
  let next = 0;
  return (bytes) => { for (let i = 0; i < bytes.length; i++) bytes[i] = next++ % 256; };
}

function env(search: string, session = memoryStorage(), local = memoryStorage()) {
  return { search, session, local, randomBytes: countingBytes() };
}

function resolved(e: identity.Environment): identity.Identity {
  const result = identity.resolve(e);
  if (!result.ok) throw new Error(result.error);
  return result.identity;
}

describe('identity.resolve', () => {
  it('leaves the node id to the server when none is given or stored; keeps the name it got (survives reload)', () => {
    const session = memoryStorage();
    const local = memoryStorage();
    const first = resolved(env('', session, local));
    expect(first.nodeId).toBeUndefined();
    expect(first.secret).toMatch(/^[0-9a-f]{32}$/);
    identity.rememberNode(session, 'n3', first.secret);
    const reloaded = resolved({ ...env('', session, local), randomBytes: () => { throw new Error('must not generate again'); } });
    expect(reloaded).toMatchObject({ nodeId: 'n3', secret: first.secret });
  });

  it('keeps one secret per node id, next to it in sessionStorage', () => {
    const session = memoryStorage();
    const local = memoryStorage();
    const a = resolved({ ...env('?node=a', session, local), randomBytes: (x) => x.fill(1) });
    const b = resolved({ ...env('?node=b', session, local), randomBytes: (x) => x.fill(2) });
    expect(a.secret).not.toBe(b.secret);
    expect(resolved({ ...env('?node=a', session, local), randomBytes: () => { throw new Error('must not generate again'); } }).secret).toBe(a.secret);
    expect(session.items.get(`${identity.storageKeys.secretPrefix}a`)).toBe(a.secret);
  });

  it('takes the teacher token from #teacher=, keeps it for the session, and refuses a damaged one', () => {
    const session = memoryStorage();
    expect(resolved({ ...env('?node=a', session), hash: '#teacher=t0k-en_1' }).teacherToken).toBe('t0k-en_1');
    expect(resolved(env('?node=a', session)).teacherToken).toBe('t0k-en_1'); // the address bar no longer has it
    expect(resolved(env('?node=a')).teacherToken).toBeUndefined();
    const damaged = identity.resolve({ ...env(''), hash: '#teacher=a%20b' });
    expect(damaged).toEqual({ ok: false, error: 'the teacher link is damaged: #teacher= must match [A-Za-z0-9_-]{1,128}' });
  });

  it('lets ?node= override the stored id and stores it', () => {
    const session = memoryStorage({ [identity.storageKeys.nodeId]: 'old' });
    expect(resolved(env('?node=n-1_A', session)).nodeId).toBe('n-1_A');
    expect(resolved(env('', session)).nodeId).toBe('n-1_A');
  });

  it('shares the host id through localStorage and gives tabs different secrets', () => {
    const local = memoryStorage();
    const a = resolved({ ...env('', memoryStorage(), local), randomBytes: (b) => b.fill(1) });
    const b = resolved({ ...env('', memoryStorage(), local), randomBytes: (b) => b.fill(2) });
    expect(a.hostId).toBe(b.hostId);
    expect(a.secret).not.toBe(b.secret);
  });

  it('drops a stored id that is not valid (the server names the node)', () => {
    const session = memoryStorage({ [identity.storageKeys.nodeId]: 'bad id!' });
    expect(resolved(env('', session)).nodeId).toBeUndefined();
  });

  it.each([
    ['', { capacity: 1, room: 'default', iceServers: [] }],
    ['?capacity=2.5&room=demo', { capacity: 2.5, room: 'demo', iceServers: [] }],
    ['?ice=turn:u:p%2540ss@10.0.0.2:3478,turns:v:q@relay.example:5349?transport=tcp', { capacity: 1, room: 'default', iceServers: [
      { urls: 'turn:10.0.0.2:3478', username: 'u', credential: 'p@ss' },
      { urls: 'turns:relay.example:5349?transport=tcp', username: 'v', credential: 'q' },
    ] }],
  ])('reads %j as %j (no ICE server unless asked)', (search, expected) => {
    const got = resolved(env(search));
    expect({ capacity: got.capacity, room: got.room, iceServers: got.iceServers }).toEqual(expected);
  });

  it('remembers ?capacity= per tab (sessionStorage): the reloaded tab keeps it, another tab of the browser does not', () => {
    const local = memoryStorage();
    const session = memoryStorage();
    resolved(env('?capacity=3', session, local));
    expect(resolved(env('', session, local)).capacity).toBe(3);
    expect(resolved(env('', memoryStorage(), local)).capacity).toBe(1);
  });

  it('a capacity chosen in one tab (setCapacity) stays in that tab', () => {
    const local = memoryStorage();
    const session = memoryStorage();
    expect(identity.setCapacity(session, 4)).toEqual({ ok: true });
    expect(resolved(env('', session, local)).capacity).toBe(4);
    expect(resolved(env('', memoryStorage(), local)).capacity).toBe(1);
  });

  it.each([
    ['?node=has space', '?node= must match'],
    [`?node=${'x'.repeat(65)}`, '?node= must match'],
    ['?node=', '?node= must match'],
    ['?capacity=0', '?capacity= must be a number in (0, 100]'],
    ['?capacity=-1', '?capacity= must be a number'],
    ['?capacity=abc', '?capacity= must be a number'],
    ['?capacity=101', '?capacity= must be a number'],
    ['?room=a/b', '?room= must match'],
    ['?ice=http://x', 'only TURN servers with credentials are accepted'],
    ['?ice=stun:evil.example:3478', 'only TURN servers with credentials are accepted'],
    ['?ice=turn:10.0.0.2', 'only TURN servers with credentials are accepted'],
  ])('refuses %s with a clear error', (search, message) => {
    const result = identity.resolve(env(search));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});

describe('identity.newId', () => {
  it('always yields a valid id of the asked length, whatever the random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (pool, length) => {
      let i = 0;
      // Cycles through the pool, nudged each round so an all-rejected pool (bytes >= 248) cannot loop forever.
      const source = (bytes: Uint8Array) => { for (let j = 0; j < bytes.length; j++) bytes[j] = ((pool[i % pool.length] ?? 0) + Math.floor(i++ / pool.length)) % 256; };
      const id = identity.newId(source, length);
      return id.length === length && identity.isValidId(id);
    }), { seed: 4242 });
  });
});

describe('identity.setCapacity', () => {
  it('stores a valid weight and refuses others', () => {
    const local = memoryStorage();
    expect(identity.setCapacity(local, 4)).toEqual({ ok: true });
    expect(local.items.get(identity.storageKeys.capacity)).toBe('4');
    expect(identity.setCapacity(local, 0).ok).toBe(false);
    expect(identity.setCapacity(local, Number.NaN).ok).toBe(false);
  });
});
