/**
 * A tab's claim on its node id: two live tabs of one browser must never run the same node (one IndexedDB
 * database, one name in the ring).
 *
 * A duplicated tab (the browser's "Duplicate tab") copies sessionStorage, and with it the node id. So before a
 * tab uses its id, it claims it:
 *
 * - With Web Locks (`navigator.locks`: localhost and https), every running tab holds a lock named after its
 *   room and node id for as long as it lives, and the browser releases it when the tab goes. A starting tab
 *   whose lock is free takes it, and no timing is involved. A lock that is held belongs either to a live tab
 *   (a duplicate) or to the document this tab replaces (a reload, whose lock the browser is about to
 *   release). The starting tab then asks over a BroadcastChannel and waits for whichever comes first: the
 *   live holder's answer "taken" (however busy that tab is, it answers in the end) or the lock. Only a holder
 *   that does neither within `heldLockWaitMs` is taken for live, the safe side: this tab then takes a new name.
 * - Without Web Locks (plain http on a LAN is not a secure context), the tab can only ask and wait
 *   `probeWaitMs` for an answer: a tab too busy to answer in time goes unseen.
 *
 * Claims are per room: a tab may run n1 in room A beside another tab's n1 in room B (their databases differ).
 */
import type { NodeId } from '../core/types.js';
import { newId, secretFor, storageKeys, type Environment, type Identity, type Resolved } from './identity.js';

export interface IdChannel {
  post(message: IdMessage): void;
  onMessage(handler: (message: IdMessage) => void): void;
}

/** `claim` names the room and the node id: `room/id` (neither may hold a "/"). */
export type IdMessage =
  | { readonly type: 'probe'; readonly claim: string; readonly token: string }
  | { readonly type: 'taken'; readonly claim: string; readonly token: string };

/** Locks that live as long as the tab: `navigator.locks` in a browser. */
export interface IdLocks {
  /** Takes `name` for the rest of this tab's life when no other tab holds it; resolves whether this tab holds it. */
  tryHold(name: string): Promise<boolean>;
  /** Takes `name` for the rest of this tab's life once it is free, and resolves then; never, once `signal` aborts. */
  holdWhenFree(name: string, signal: AbortSignal): Promise<void>;
}

/** Without Web Locks: how long a starting tab waits for another tab to say its id is taken. */
export const probeWaitMs = 250;
/** With Web Locks: how long a held lock's owner has to answer or let go before the id counts as taken. */
export const heldLockWaitMs = 10_000;

/** The name a tab claims: its room and node id. */
export function claimName(room: string, nodeId: NodeId): string {
  return `${room}/${nodeId}`;
}

/** Answers probes for this tab's claim from now on, and holds its lock (call once the tab runs under it). */
export function guardId(channel: IdChannel, locks: IdLocks | undefined, claim: string): void {
  channel.onMessage((message) => {
    if (message.type === 'probe' && message.claim === claim) channel.post({ type: 'taken', claim, token: message.token });
  });
  // Already held when the claim was checked; a name the server gave is free (it names the first free nN).
  void locks?.tryHold(claim);
}

/**
 * Resolves to true when another live tab of this browser already runs `claim`; with `locks`, a false answer
 * means this tab now holds the claim's lock. `wait` is a timer (setTimeout in the app), so tests control it.
 */
export async function isTaken(channel: IdChannel, locks: IdLocks | undefined, claim: string, token: string, wait: (ms: number) => Promise<void>): Promise<boolean> {
  if (locks !== undefined && await locks.tryHold(claim)) return false;
  const answered = new Promise<true>((resolve) => {
    channel.onMessage((message) => {
      if (message.type === 'taken' && message.claim === claim && message.token === token) resolve(true);
    });
  });
  channel.post({ type: 'probe', claim, token });
  if (locks === undefined) return Promise.race([answered, wait(probeWaitMs).then(() => false)]);
  const stop = new AbortController();
  const freed = locks.holdWhenFree(claim, stop.signal).then(() => false, () => true);
  const taken = await Promise.race([answered, freed, wait(heldLockWaitMs).then(() => true)]);
  stop.abort();
  return taken;
}

/**
 * The identity this tab may use: the resolved one, or, when another tab already runs its node id and the id
 * came from sessionStorage (a duplicated tab), no id and a fresh secret: the server names it. An id forced
 * with ?node= that is already running is an error: two tabs must never be one node.
 */
export async function deduplicate(env: Environment, me: Identity, channel: IdChannel, locks: IdLocks | undefined, wait: (ms: number) => Promise<void>): Promise<Resolved> {
  if (me.nodeId === undefined || !(await isTaken(channel, locks, claimName(me.room, me.nodeId), newId(env.randomBytes, 16), wait))) return { ok: true, identity: me };
  if (new URLSearchParams(env.search).has('node')) {
    return { ok: false, error: `node ${me.nodeId} is already running in another tab of this browser; close it or pick another ?node=` };
  }
  env.session.setItem(storageKeys.nodeId, ''); // an invalid id reads as "none" (the storage has no remove here)
  return { ok: true, identity: { ...me, nodeId: undefined, secret: secretFor(env.session, undefined, env.randomBytes) } };
}

/** The browser's channel for id probes. */
export function browserIdChannel(): IdChannel {
  const channel = new BroadcastChannel('tabdynamo-node-ids');
  return {
    post: (message) => channel.postMessage(message),
    onMessage: (handler) => channel.addEventListener('message', (event: MessageEvent<IdMessage>) => handler(event.data)),
  };
}

/** The browser's Web Locks, or undefined where there are none (not a secure context). */
export function browserIdLocks(): IdLocks | undefined {
  const manager = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (manager === undefined) return undefined;
  const held = new Set<string>();
  // A lock is held while the callback's promise is pending: this one never settles, so the tab keeps it.
  const forever = (name: string) => { held.add(name); return new Promise<void>(() => {}); };
  const prefix = 'tabdynamo-node:';
  return {
    tryHold: (name) => {
      if (held.has(name)) return Promise.resolve(true);
      return new Promise((resolve) => {
        void manager.request(prefix + name, { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          return lock === null ? undefined : forever(name);
        });
      });
    },
    holdWhenFree: (name, signal) => new Promise((resolve, reject) => {
      manager.request(prefix + name, { signal }, () => { resolve(); return forever(name); }).catch(reject);
    }),
  };
}
