// The projector stream: each peer message summarised to a compact event (never a value), frames bounded
// to one signaling frame, and what the feed publishes is exactly what the server's validator accepts.
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/messages.js';
import * as projector from '../../src/protocol/projector.js';
import { frameBytesMax, parseClientMessage } from '../../src/protocol/signaling.js';
import { normalTime } from '../../src/protocol/time-control.js';
import { frameOf, summarise } from '../../src/runtime/projector-feed.js';

const status: projector.NodeStatus = {
  zone: 'tab', state: 'alive', ready: true, tick: 12, partitions: 96, primary: Array.from({ length: 512 }, (_, i) => i),
  ringSize: 4096, hints: 2, keys: 7, repairs: 0, time: normalTime,
};
const version = {
  dot: { actor: 'n1@7', counter: 1 }, past: [], value: { kind: 'string' as const, bytes: new TextEncoder().encode('secret value') },
  valueHash: 'ab', digest: 'cd', timestamp: 0,
};

describe('projector feed', () => {
  it.each<[string, Message, boolean, string]>([
    ['replication', { type: 'store', opId: 4, key: 'apple', versions: [version], hintFor: null }, false, 'store'],
    ['a hinted store', { type: 'store', opId: 4, key: 'apple', versions: [version], hintFor: 'n3' }, false, 'hint'],
    ['read repair', { type: 'store', opId: 0, key: 'apple', versions: [version], hintFor: null }, false, 'read-repair'],
    ['a push after a Merkle descent', { type: 'store', opId: 0, key: 'apple', versions: [version], hintFor: null }, true, 'ae-push'],
    ['a handoff of a held hint', { type: 'store', opId: 9, key: 'held', versions: [version], hintFor: null }, false, 'handoff'],
    ['a descent level', { type: 'ae-buckets', sessionId: 1, partition: 3, level: 2, parents: [4, 9], hashes: [] }, false, 'ae-buckets'],
  ])('%s is drawn as %s', (_name, message, recentAntiEntropy, kind) => {
    const e = summarise('n2', message, 100, new Set(['held']), recentAntiEntropy);
    expect(e.kind).toBe(kind);
    expect(JSON.stringify(e)).not.toContain('secret value');
  });

  it('a descent names its level and the parents that differ', () => {
    const e = summarise('n2', { type: 'ae-buckets', sessionId: 1, partition: 3, level: 2, parents: [4, 9], hashes: [] }, 90, new Set(), true);
    expect(e).toMatchObject({ partition: 3, level: 2, indexes: [4, 9] });
  });

  it('a full buffer becomes a frame that fits one signaling frame and that the server accepts', () => {
    const events = Array.from({ length: 96 }, (_, i) => summarise('n2', { type: 'store', opId: i + 1, key: `key-${'x'.repeat(60)}-${i}`, versions: [version], hintFor: null }, 300, new Set(), false));
    const { frame, taken } = frameOf(status, events, 3);
    expect(taken).toBe(projector.eventsPerFrameMax);
    const text = JSON.stringify({ type: 'events', ...frame });
    expect(text.length).toBeLessThanOrEqual(frameBytesMax - 200);
    expect(frame.dropped).toBe(3 + projector.eventsPerFrameMax - frame.events.length);
    const parsed = parseClientMessage(text);
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
  });

  it('gossip is capped per frame', () => {
    const gossip = Array.from({ length: 20 }, () => summarise('n2', { type: 'gossip', members: [], config: { n: 3, r: 2, w: 2, partitions: 256 }, configVersion: 0, configBy: 'n1', wantReply: false }, 50, new Set(), false));
    const { frame } = frameOf(status, gossip, 0);
    expect(frame.events.length).toBe(4);
    expect(frame.dropped, 'sampled gossip is not a loss').toBe(0);
  });

  it('the server refuses a frame with a value-sized key or an unknown kind', () => {
    const base = { type: 'events', status, dropped: 0 };
    for (const bad of [[{ kind: 'store', to: 'n2', bytes: 1, key: 'k'.repeat(41) }], [{ kind: 'teleport', to: 'n2', bytes: 1 }]]) {
      expect(parseClientMessage(JSON.stringify({ ...base, events: bad })).ok).toBe(false);
    }
  });
});
