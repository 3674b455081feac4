// window.kv's membership and configuration additions (issue 10) against a scripted node: unknown settings
// are refused before the node sees them, the node's refusals become Errors, removed members are not listed.
import { describe, expect, it } from 'vitest';
import * as pageApi from '../../src/runtime/page-api.js';
import * as faults from '../../src/protocol/faults.js';
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import * as peerView from '../../src/runtime/peer-view.js';
import { member, partsOf, runtimeViewOf } from './peer-view-parts.js';

function setup(answer: (request: ClientRequest) => ClientResult) {
  const requests: ClientRequest[] = [];
  const kv = pageApi.create({
    nodeId: 'n1',
    request: async (request) => { requests.push(request); return answer(request); },
    ready: async () => undefined,
    view: () => peerView.build(partsOf(runtimeViewOf('n1', {
      members: [
        member('n1', 'alive'), member('n2', 'removed'), member('n3', 'dead'),
      ],
      config: { n: 3, r: 2, w: 2, partitions: 256, removeAfterSeconds: 30 },
    }))),
    faults: { current: () => faults.noFaults, publish: () => false, onRules: () => undefined },
    authority: () => 'teacher',
    onChange: () => () => undefined,
  });
  return { kv, requests };
}

const ok = (op: 'configure' | 'remove' | 'join') => (): ClientResult => ({ ok: true, op });

describe('window.kv: membership and configuration', () => {
  it.each([
    [{ noSuchSetting: 1 }, 'unknown setting noSuchSetting: the settings are n, r, w, partitions, removeAfterSeconds'],
    [{ w: 1, quorum: 64, bogus: true }, 'unknown settings quorum, bogus: the settings are n, r, w, partitions, removeAfterSeconds'],
  ])('configure(%j) rejects naming the allowed settings, and the node never sees it', async (settings, error) => {
    const { kv, requests } = setup(ok('configure'));
    await expect(kv.configure(settings as never)).rejects.toThrow(error);
    expect(requests).toEqual([]);
  });

  it('configure passes the known settings, removeAfterSeconds included', async () => {
    const { kv, requests } = setup(ok('configure'));
    await kv.configure({ w: 1, removeAfterSeconds: 10 });
    expect(requests).toEqual([{ op: 'configure', w: 1, removeAfterSeconds: 10 }]);
  });

  it('a configure that lost a race rejects with the node\'s message', async () => {
    const error = 'configuration changed concurrently by n2: now {"n":3,"r":1,"w":2,"partitions":256,"removeAfterSeconds":120}; retry';
    const { kv } = setup(() => ({ ok: false, indeterminate: false, error }));
    await expect(kv.configure({ w: 1 })).rejects.toThrow(error);
  });

  it('config() includes removeAfterSeconds; members() leaves removed members out', () => {
    const { kv } = setup(ok('configure'));
    expect(kv.config()).toEqual({ n: 3, r: 2, w: 2, partitions: 256, removeAfterSeconds: 30 });
    expect(kv.members().map((m) => `${m.id}:${m.status}`)).toEqual(['n1:alive', 'n3:dead']);
  });

  it('remove(id) and join() send their requests; a refusal rejects with its reason', async () => {
    const { kv, requests } = setup((r) => (r.op === 'remove' && r.id === 'n1' ? { ok: false, indeterminate: false, error: 'n1 cannot remove itself: use kv.leave()' } : ok(r.op as 'remove' | 'join')()));
    await kv.remove('n3');
    await kv.join();
    await expect(kv.remove('n1')).rejects.toThrow('n1 cannot remove itself: use kv.leave()');
    await expect(kv.remove('' as string)).rejects.toThrow('remove takes a node id');
    expect(requests).toEqual([{ op: 'remove', id: 'n3' }, { op: 'join' }, { op: 'remove', id: 'n1' }]);
  });
});
