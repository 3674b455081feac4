/**
 * Rebuild from storage (node-io.ts, "Reload after a storage failure"). After a batch failed, the core's index
 * may hold records the disk lacks, so the loop stops feeding the node ('wanted', once the `storage-failed`
 * input named failed steps), waits for the batch in flight, then recreates the node from what storage
 * really holds ('loading'), as a restart would (same epoch: nothing is wiped), so read repair and
 * anti-entropy can see and fix what the failed batch lost. Inputs wait in the queue meanwhile and go to the
 * recreated node.
 */
import type { NodeId } from '../core/types.js';
import { errorText, type Outbox } from './outbox.js';
import type { NodeFactory } from './runtime-types.js';
import type { Store } from './store.js';

export interface RebuildState {
  phase: 'none' | 'wanted' | 'loading';
  /** The id of the last client request fed to the node: those at or below it die with a rebuilt node. */
  lastSteppedRequestId: number;
}

export type Reloaded<Snap> =
  | { readonly ok: true; readonly created: ReturnType<NodeFactory<Snap>>; readonly corrupt: number }
  | { readonly ok: false; readonly error: string };

/** What a rebuild needs of the loop (runtime.ts). */
export interface RebuildHost<Snap> {
  readonly store: Store;
  readonly createNode: NodeFactory<Snap>;
  readonly out: Outbox;
  /** The room's members and the loop's tick, read once storage is loaded: the new node's seeds and start. */
  init(): { readonly seeds: readonly NodeId[]; readonly now: number };
  /** Called with the reloaded node, unless the loop has stopped meanwhile or the reload failed (then `crash`). */
  adopt(created: ReturnType<NodeFactory<Snap>>, corrupt: number): void;
  crash(error: Error): void;
  stopped(): boolean;
}

/**
 * Starts a rebuild ('loading'). Requests up to `lastSteppedRequestId` die with the old node: they may or may
 * not have taken effect (indeterminate). A failure to read back or recreate stops the node, visibly.
 */
export function start<Snap>(host: RebuildHost<Snap>, state: RebuildState): void {
  state.phase = 'loading';
  host.out.note('error', 'recreating the node from storage after a failed write');
  host.out.failPending({ ok: false, error: 'storage failed while this request was in progress: the node reloaded from storage; the write may or may not have taken effect', indeterminate: true }, state.lastSteppedRequestId);
  void reload(host).then((reloaded) => {
    if (host.stopped()) return;
    if (reloaded.ok) host.adopt(reloaded.created, reloaded.corrupt);
    else host.crash(new Error(reloaded.error));
  });
}

/** Reads storage back and creates the node from it; never rejects: a failure of either is a result. */
async function reload<Snap>(host: RebuildHost<Snap>): Promise<Reloaded<Snap>> {
  const { store, createNode } = host;
  let stored;
  try {
    stored = await store.loadAll();
  } catch (error) {
    // Storage cannot even be read: the node cannot serve safely any more.
    return { ok: false, error: `storage failed and could not be read back: ${errorText(error)}` };
  }
  try {
    return { ok: true, created: createNode({ stored: stored.state, ...host.init() }), corrupt: stored.corrupt };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}
