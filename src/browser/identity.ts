/**
 * Who this tab is: its node id, its host (browser), its capacity weight, its room and its ICE servers.
 *
 * - The node id lives in sessionStorage: it survives a reload of the tab and differs between tabs.
 *   `?node=` overrides it (tests and demos reopen a node under the same id) and is then stored.
 * - The host id lives in localStorage, shared by the browser's tabs: it plays Dynamo's physical machine.
 * - The capacity weight lives in localStorage (default 1); `?capacity=` overrides it and is then stored.
 * - The room comes from `?room=` (default "default"); ICE servers from `?ice=` (comma-separated URLs),
 *   NONE by default: no public STUN server is ever contacted unless the user asks for one.
 *
 * Ids are generated with crypto.getRandomValues, which exists over plain http on a LAN (unlike the UUID
 * and SubtleCrypto APIs, which need a secure context).
 */
import { limits } from '../core/limits.js';
import type { HostId, NodeId } from '../core/types.js';
import { capacityMax } from '../runtime/request-check.js';

export { capacityMax } from '../runtime/request-check.js';

export interface Identity {
  readonly nodeId: NodeId;
  readonly hostId: HostId;
  /** Relative capacity weight, > 0: partitions are assigned in proportion to it. */
  readonly capacity: number;
  readonly room: string;
  /** Empty unless the user set `?ice=`. */
  readonly iceServers: readonly { readonly urls: string }[];
}

/** The storage this module reads and writes: sessionStorage and localStorage in a browser, maps in tests. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface Environment {
  /** location.search, e.g. "?node=a&room=demo". */
  readonly search: string;
  readonly session: KeyValueStorage;
  readonly local: KeyValueStorage;
  /** Fills the array with random bytes (crypto.getRandomValues in a browser). */
  readonly randomBytes: (bytes: Uint8Array) => void;
}

export type Resolved = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly error: string };

export const storageKeys = {
  nodeId: 'tabdynamo.nodeId',
  hostId: 'tabdynamo.hostId',
  capacity: 'tabdynamo.capacity',
} as const;

export const defaultRoom = 'default';
const idPattern = /^[A-Za-z0-9_-]+$/;
const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const iceSchemes = ['stun:', 'turn:', 'turns:'];

/** True when `text` is a valid node, host or room id: [A-Za-z0-9_-]{1,idBytesMax}. */
export function isValidId(text: string): boolean {
  return text.length >= 1 && text.length <= limits.idBytesMax && idPattern.test(text);
}

/** A fresh random id of `length` characters from [A-Za-z0-9] (62^10, about 59 bits, by default). */
export function newId(randomBytes: (bytes: Uint8Array) => void, length = 10): string {
  let id = '';
  while (id.length < length) {
    const bytes = new Uint8Array(length * 2);
    randomBytes(bytes);
    for (const byte of bytes) {
      // 248 = 4 * 62: rejecting bytes above it keeps every character equally likely.
      if (byte < 248 && id.length < length) id += idAlphabet[byte % 62];
    }
  }
  return id;
}

/** Parses a capacity weight: a finite number in (0, capacityMax]. */
export function parseCapacity(text: string): number | undefined {
  if (!/^\s*[0-9]*\.?[0-9]+\s*$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 && value <= capacityMax ? value : undefined;
}

/** Parses `?ice=` into ICE servers: comma-separated stun:, turn: or turns: URLs. */
export function parseIceServers(text: string): { ok: true; servers: { urls: string }[] } | { ok: false; error: string } {
  const urls = text.split(',').map((url) => url.trim()).filter((url) => url.length > 0);
  const bad = urls.find((url) => !iceSchemes.some((scheme) => url.startsWith(scheme)));
  if (bad !== undefined) return { ok: false, error: `?ice= holds "${bad}": ICE server URLs must start with stun:, turn: or turns:` };
  return { ok: true, servers: urls.map((urls) => ({ urls })) };
}

/** Works out this tab's identity and stores what must survive a reload. */
export function resolve(env: Environment): Resolved {
  const params = new URLSearchParams(env.search);
  const nodeId = resolveStoredId(params.get('node'), env.session, storageKeys.nodeId, env.randomBytes, '?node=');
  if (!nodeId.ok) return nodeId;
  const hostId = resolveStoredId(null, env.local, storageKeys.hostId, env.randomBytes, 'host id');
  if (!hostId.ok) return hostId;
  const capacity = resolveCapacity(params.get('capacity'), env.local);
  if (!capacity.ok) return capacity;
  const room = params.get('room') ?? defaultRoom;
  if (!isValidId(room)) return { ok: false, error: `?room= must match [A-Za-z0-9_-]{1,${limits.idBytesMax}}, got "${room}"` };
  const ice = parseIceServers(params.get('ice') ?? '');
  if (!ice.ok) return ice;
  const identity = { nodeId: nodeId.id, hostId: hostId.id, capacity: capacity.value, room, iceServers: ice.servers };
  return { ok: true, identity };
}

function resolveStoredId(
  override: string | null,
  storage: KeyValueStorage,
  storageKey: string,
  randomBytes: (bytes: Uint8Array) => void,
  what: string,
): { ok: true; id: string } | { ok: false; error: string } {
  if (override !== null) {
    if (!isValidId(override)) return { ok: false, error: `${what} must match [A-Za-z0-9_-]{1,${limits.idBytesMax}}, got "${override}"` };
    storage.setItem(storageKey, override);
    return { ok: true, id: override };
  }
  const stored = storage.getItem(storageKey);
  // A stored id that is no longer valid (edited by hand) is replaced rather than trusted.
  if (stored !== null && isValidId(stored)) return { ok: true, id: stored };
  const id = newId(randomBytes);
  storage.setItem(storageKey, id);
  return { ok: true, id };
}

function resolveCapacity(override: string | null, storage: KeyValueStorage): { ok: true; value: number } | { ok: false; error: string } {
  if (override !== null) {
    const value = parseCapacity(override);
    if (value === undefined) return { ok: false, error: `?capacity= must be a number in (0, ${capacityMax}], got "${override}"` };
    storage.setItem(storageKeys.capacity, String(value));
    return { ok: true, value };
  }
  const stored = storage.getItem(storageKeys.capacity);
  return { ok: true, value: (stored !== null ? parseCapacity(stored) : undefined) ?? 1 };
}

/** Stores a new capacity weight chosen by the user (it takes effect at the next start of the node). */
export function setCapacity(storage: KeyValueStorage, capacity: number): { ok: true } | { ok: false; error: string } {
  if (!(capacity > 0 && capacity <= capacityMax)) return { ok: false, error: `capacity must be in (0, ${capacityMax}], got ${capacity}` };
  storage.setItem(storageKeys.capacity, String(capacity));
  return { ok: true };
}

/** The browser's environment: location, sessionStorage, localStorage and crypto.getRandomValues. */
export function browserEnvironment(): Environment {
  return {
    search: location.search,
    session: sessionStorage,
    local: localStorage,
    randomBytes: (bytes) => { crypto.getRandomValues(bytes); },
  };
}

/**
 * A duplicated tab (the browser's "Duplicate tab") copies sessionStorage, and with it the node id: two live
 * tabs would then share one node id and one IndexedDB database. Before a tab uses its id, it asks the
 * browser's other tabs (BroadcastChannel: same origin and storage, works over plain http) whether one of
 * them already runs it; every running tab answers for its own id.
 */
export interface IdChannel {
  post(message: IdMessage): void;
  onMessage(handler: (message: IdMessage) => void): void;
}

export type IdMessage =
  | { readonly type: 'probe'; readonly id: string; readonly token: string }
  | { readonly type: 'taken'; readonly id: string; readonly token: string };

/** How long a starting tab waits for another tab to say its id is taken. */
export const probeWaitMs = 250;

/** Answers probes for `nodeId` from now on (call once the tab runs under it). */
export function guardId(channel: IdChannel, nodeId: NodeId): void {
  channel.onMessage((message) => {
    if (message.type === 'probe' && message.id === nodeId) channel.post({ type: 'taken', id: nodeId, token: message.token });
  });
}

/**
 * Resolves to true when another live tab of this browser already runs `nodeId`. `wait` is a timer
 * (setTimeout in the app) so tests can run it instantly.
 */
export function isTaken(channel: IdChannel, nodeId: NodeId, token: string, wait: (ms: number) => Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    channel.onMessage((message) => {
      if (message.type === 'taken' && message.id === nodeId && message.token === token) answered = true;
    });
    channel.post({ type: 'probe', id: nodeId, token });
    void wait(probeWaitMs).then(() => resolve(answered));
  });
}

/**
 * The identity this tab may use: the resolved one, or, when another tab already runs its node id and the id
 * came from sessionStorage (a duplicated tab), a fresh id stored in its place. An id forced with ?node=
 * that is already running is an error: two tabs must never be one node.
 */
export async function deduplicate(env: Environment, me: Identity, channel: IdChannel, wait: (ms: number) => Promise<void>): Promise<Resolved> {
  if (!(await isTaken(channel, me.nodeId, newId(env.randomBytes, 16), wait))) return { ok: true, identity: me };
  if (new URLSearchParams(env.search).has('node')) {
    return { ok: false, error: `node ${me.nodeId} is already running in another tab of this browser; close it or pick another ?node=` };
  }
  const nodeId = newId(env.randomBytes);
  env.session.setItem(storageKeys.nodeId, nodeId);
  return { ok: true, identity: { ...me, nodeId } };
}

/** The browser's channel for id probes. */
export function browserIdChannel(): IdChannel {
  const channel = new BroadcastChannel('tabdynamo-node-ids');
  return {
    post: (message) => channel.postMessage(message),
    onMessage: (handler) => channel.addEventListener('message', (event: MessageEvent<IdMessage>) => handler(event.data)),
  };
}
