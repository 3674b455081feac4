/**
 * The UiBackend over the real tab: the peer's one view from its publisher (already throttled to 10/s),
 * reads through the runtime's client requests (so each version comes with the replicas that returned it,
 * which window.kv's get leaves out), everything else through window.kv. Only plain snapshot data is read;
 * the core's state is never touched.
 */
import type { ClientRequest, ClientResult, ReadVersion } from '../core/node-io.js';
import type { Value } from '../core/types.js';
import * as hash from '../core/hash.js';
import type { Kv } from '../runtime/page-api.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend, UiHolder, UiKeyLocation, UiReadResult, UiVersion } from './backend.js';

export interface RuntimeBackendDeps {
  readonly kv: Kv;
  /**
   * A client request through the node (failures are results, never rejections): reads (each version with
   * the replicas that returned it, which kv.get leaves out), inspections and locate.
   */
  request(request: ClientRequest): Promise<ClientResult>;
  snapshot(): PeerView;
  subscribe(listener: (snapshot: PeerView) => void): () => void;
}

function text(value: Value): string | undefined {
  switch (value.kind) {
    case 'string': return hash.fromUtf8(value.bytes);
    case 'bytes': return `0x${hash.hex(value.bytes)}`;
    case 'tombstone': return undefined;
    default: {
      const never: never = value.kind;
      throw new Error(`unknown value kind ${String(never)}`);
    }
  }
}

const uiVersion = (v: ReadVersion): UiVersion => ({
  text: text(v.value), kind: v.value.kind, clock: Object.fromEntries(v.clock.map((e) => [e.actor, e.counter])),
  replicas: v.replicas, dot: { actor: v.dot.actor, counter: v.dot.counter },
});

export function createRuntimeBackend(deps: RuntimeBackendDeps): UiBackend {
  const { kv } = deps;
  const read = async (key: string): Promise<UiReadResult> => {
    const result = await deps.request({ op: 'get', key });
    if (!result.ok) throw new Error(result.error);
    if (result.op !== 'get') throw new Error(`unexpected reply to a get: ${result.op}`);
    return {
      context: result.context,
      warnings: result.warnings,
      versions: result.versions.map(uiVersion),
    };
  };
  /** A read-only look through the core at what every reachable replica and hinted holder holds (read.ts). */
  const inspect = async (key: string): Promise<readonly UiHolder[]> => {
    const result = await deps.request({ op: 'get', key, inspect: true });
    if (!result.ok) throw new Error(result.error);
    if (result.op !== 'get') throw new Error(`unexpected reply to an inspection: ${result.op}`);
    return (result.holders ?? []).map((h) => ({ node: h.node, replica: h.replica, versions: h.versions.map(uiVersion) }));
  };
  return {
    subscribe: (listener) => deps.subscribe(listener),
    snapshot: () => deps.snapshot(),
    put: (key, value, context) => kv.put(key, value, context !== undefined ? { context } : {}),
    delete: (key, context) => kv.delete(key, context !== undefined ? { context } : {}),
    get: read,
    async locate(key): Promise<UiKeyLocation> {
      const node = deps.snapshot().node;
      if (!node || node.owners.length === 0) throw new Error('this node has not joined a ring yet');
      // The core says where the key lives (its ring, its view of who is healthy): the UI derives none of it.
      const where = await deps.request({ op: 'locate', key });
      if (!where.ok) throw new Error(where.error);
      if (where.op !== 'locate') throw new Error(`unexpected reply to a locate: ${where.op}`);
      const { partition, replicas, fallbacks } = where;
      try {
        const table = await inspect(key);
        const holders = table.filter((h) => h.versions.length > 0).map((h) => h.node);
        return { partition, replicas, fallbacks, holders, table, holdersNote: 'every reachable replica and hinted holder, asked just now (read-only)' };
      } catch (error) {
        // Other tabs' hints are not visible from here (their activity view lists them): only this tab's own.
        const hinted = node.hints.entries.some((h) => h.key === key) ? [node.id] : [];
        return { partition, replicas, fallbacks, holders: hinted, holdersNote: `other tabs: unknown (the read failed: ${(error as Error).message})` };
      }
    },
    configure: (settings) => kv.configure(settings),
    partition: (groups) => kv.partition(groups),
    isolate: (id) => kv.isolate(id),
    cut: (from, to, oneWay) => kv.cut(from, to, oneWay),
    setLoss: (rate) => kv.setLoss(rate),
    heal: () => kv.heal(),
    leave: () => kv.leave(),
    // Through kv, which also remembers the weight for this tab's next start.
    setCapacity: (capacity) => kv.setCapacity(capacity),
    wipe: () => kv.wipe(),
    join: () => kv.join(),
    remove: (id) => kv.remove(id),
    async removalPreview(id) {
      const preview = await deps.request({ op: 'removal-preview', id });
      if (!preview.ok) throw new Error(preview.error);
      if (preview.op !== 'removal-preview') throw new Error(`unexpected reply to a removal preview: ${preview.op}`);
      return { partitions: preview.partitions, owned: preview.owned, moves: preview.moves };
    },
  };
}
