/**
 * The headless peer's pure parts: its command line (src/node/args.ts) and the draining store that lets it
 * stop without tearing the commit in flight (src/runtime/draining-store.ts).
 */
import { describe, expect, it } from 'vitest';
import * as args from '../../src/node/args.js';
import * as drainingStore from '../../src/runtime/draining-store.js';
import type { Store } from '../../src/runtime/store.js';

describe('node/args', () => {
  const base = ['--server', 'http://10.0.0.5:8080', '--node', 'p1', '--data', '/var/lib/p1'];
  it('takes the required flags and fills the defaults (no ICE servers, room "default")', () => {
    expect(args.parse(base)).toEqual({ ok: true, args: {
      server: 'http://10.0.0.5:8080/', room: 'default', nodeId: 'p1', dataDir: '/var/lib/p1', capacity: 1,
      hostId: undefined, iceServers: [], statusSeconds: 10,
    } });
  });
  it('reads --flag=value and the optional flags', () => {
    const parsed = args.parse([...base, '--room=lab', '--capacity', '2', '--ice', 'stun:h:3478, turn:t:3478', '--host', 'box1', '--status-seconds', '0']);
    expect(parsed.ok && parsed.args).toMatchObject({ room: 'lab', capacity: 2, hostId: 'box1', statusSeconds: 0, iceServers: [{ urls: 'stun:h:3478' }, { urls: 'turn:t:3478' }] });
  });
  it.each([
    [['--node', 'p1', '--data', 'd'], /required/],
    [[...base, '--bogus', 'x'], /unknown argument "--bogus"/],
    [[...base, '--room'], /--room needs a value/],
    [['--server', 'ftp://h', '--node', 'p1', '--data', 'd'], /http:\/\/ or https:\/\//],
    [['--server', 'nonsense', '--node', 'p1', '--data', 'd'], /address like/],
    [['--server', 'http://h', '--node', 'p 1', '--data', 'd'], /--node must be/],
    [[...base, '--capacity', '0'], /--capacity/],
    [[...base, '--ice', 'http://x'], /--ice URLs/],
  ])('refuses %j', (argv, error) => {
    const parsed = args.parse(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
  it('makes a host id from a machine name', () => {
    expect(args.hostIdFor('lab-pc.local')).toBe('peer-lab-pc-local');
    expect(args.hostIdFor('')).toBe('peer-unknown');
  });
});

describe('runtime/draining-store', () => {
  function slowStore() {
    const log: string[] = [];
    let finish: () => void = () => undefined;
    const inner: Store = {
      apply: () => new Promise<void>((resolve) => { finish = () => { log.push('applied'); resolve(); }; }),
      load: async () => ({ versions: [], corrupt: 0 }),
      loadHints: async () => ({ versions: [], corrupt: 0 }),
      loadAll: async () => ({ state: { versions: [], hints: [] }, corrupt: 0 }),
      stats: () => ({ transactions: 0, recordsWritten: 0, reads: 0, cacheHits: 0, cacheMisses: 0, cacheBytes: 0, cacheEntries: 0, corrupt: 0, errors: 0 }),
      close: () => { log.push('closed'); },
    };
    return { log, inner, finish: () => finish() };
  }

  it('closes the inner store only after the commit in flight ended, and refuses later operations', async () => {
    const { log, inner, finish } = slowStore();
    const store = drainingStore.wrap(inner);
    const applied = store.apply([{ kind: 'epoch', epoch: 1 }]);
    store.close();
    await Promise.resolve();
    expect(log).toEqual([]);
    finish();
    await applied;
    await store.closed;
    expect(log).toEqual(['applied', 'closed']);
    await expect(store.load('k')).rejects.toThrow(/storage closed: the node is stopping/);
  });

  it('closes at once when nothing is in flight', async () => {
    const { log, inner } = slowStore();
    const store = drainingStore.wrap(inner);
    store.close();
    await store.closed;
    expect(log).toEqual(['closed']);
  });
});
