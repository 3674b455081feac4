/**
 * Who this tab is: its node id and the secret that binds it, its host (browser), its capacity weight, its
 * room, its ICE servers and, from a teacher link, the teacher token.
 *
 * - The node id lives in sessionStorage: it survives a reload of the tab and differs between tabs.
 *   `?node=` overrides it (tests and demos reopen a node under the same id) and is then stored. Without
 *   either, the id is left undefined and the signaling server names the node (first free `nN` in the room);
 *   main.ts stores the name it gets (rememberNode).
 * - Each node id has a secret (128 random bits) in sessionStorage beside it: the server lets only the
 *   holder of the secret replace a live socket of that id (a reload), so no other tab can steal it.
 * - The teacher token comes from the link's fragment `#teacher=<token>` (a fragment never reaches a server
 *   or a Referer) and is kept in sessionStorage; main.ts then removes it from the address bar.
 * - The host id lives in localStorage, shared by the browser's tabs: it plays Dynamo's physical machine.
 * - The capacity weight lives in sessionStorage (default 1), like the node id: it is this tab's, so a weight
 *   set in one tab never applies to the browser's other tabs. `?capacity=` overrides it and is then stored.
 * - The room comes from `?room=` (default "default"); ICE servers from `?ice=`, NONE by default. A link can
 *   be written by anyone, so `?ice=` takes only TURN servers with credentials (`turn:user:pass@host:port`,
 *   comma-separated): a link cannot make the tab contact an arbitrary STUN server, and a TURN URL without
 *   credentials could never work anyway. See the README's "Security model".
 *
 * Ids are generated with crypto.getRandomValues, which exists over plain http on a LAN (unlike the UUID
 * and SubtleCrypto APIs, which need a secure context).
 */
import { limits } from '../core/limits.js';
import type { HostId, NodeId } from '../core/types.js';
import { capacityMax } from '../runtime/request-check.js';

export { capacityMax } from '../runtime/request-check.js';

export interface IceServer {
  readonly urls: string;
  readonly username: string;
  readonly credential: string;
}

export interface Identity {
  /** Undefined: the signaling server names this node. */
  readonly nodeId: NodeId | undefined;
  /** Binds nodeId to this tab at the signaling server ([0-9a-f]{32}). */
  readonly secret: string;
  /** From a teacher link (now or earlier in this tab's session); undefined in a class-link tab. */
  readonly teacherToken: string | undefined;
  readonly hostId: HostId;
  /** Relative capacity weight, > 0: partitions are assigned in proportion to it. */
  readonly capacity: number;
  readonly room: string;
  /** Empty unless the user set `?ice=`. */
  readonly iceServers: readonly IceServer[];
}

/** The storage this module reads and writes: sessionStorage and localStorage in a browser, maps in tests. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface Environment {
  /** location.search, e.g. "?node=a&room=demo". */
  readonly search: string;
  /** location.hash, e.g. "#teacher=abc"; absent means none. */
  readonly hash?: string;
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
  teacher: 'tabdynamo.teacher',
  /** Followed by the node id: one secret per id this tab has run. */
  secretPrefix: 'tabdynamo.secret.',
} as const;

export const defaultRoom = 'default';
const idPattern = /^[A-Za-z0-9_-]+$/;
const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const turnPattern = /^(turns?):([^:@/?]+):([^@/?]+)@([^@/?]+)(\?transport=(?:udp|tcp))?$/;
const teacherPattern = /^[A-Za-z0-9_-]{1,128}$/;

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

/** Parses `?ice=` into ICE servers: comma-separated `turn:user:pass@host:port` (or turns:), nothing else. */
export function parseIceServers(text: string): { ok: true; servers: IceServer[] } | { ok: false; error: string } {
  const servers: IceServer[] = [];
  for (const url of text.split(',').map((u) => u.trim()).filter((u) => u.length > 0)) {
    const m = turnPattern.exec(url);
    if (m === null) {
      return { ok: false, error: `?ice= holds "${url.slice(0, 80)}": only TURN servers with credentials are accepted, as turn:user:pass@host:port or turns:user:pass@host:port` };
    }
    const [, scheme, username, credential, host, transport] = m as unknown as [string, string, string, string, string, string | undefined];
    servers.push({ urls: `${scheme}:${host}${transport ?? ''}`, username: decodeURIComponent(username), credential: decodeURIComponent(credential) });
  }
  return { ok: true, servers };
}

/** The stored secret for `nodeId`, or a fresh one stored for it (a fresh unstored one for a node still unnamed). */
export function secretFor(session: KeyValueStorage, nodeId: NodeId | undefined, randomBytes: (bytes: Uint8Array) => void): string {
  const stored = nodeId === undefined ? null : session.getItem(storageKeys.secretPrefix + nodeId);
  if (stored !== null && /^[0-9a-f]{32}$/.test(stored)) return stored;
  const bytes = new Uint8Array(16);
  randomBytes(bytes);
  const secret = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (nodeId !== undefined) session.setItem(storageKeys.secretPrefix + nodeId, secret);
  return secret;
}

/** Keeps the name the server gave this tab, and its secret, for the next reload. */
export function rememberNode(session: KeyValueStorage, nodeId: NodeId, secret: string): void {
  session.setItem(storageKeys.nodeId, nodeId);
  session.setItem(storageKeys.secretPrefix + nodeId, secret);
}

/** The teacher token from `#teacher=` (then stored), else the one stored earlier in this tab's session. */
export function resolveTeacher(hash: string, session: KeyValueStorage): { ok: true; token: string | undefined } | { ok: false; error: string } {
  const given = new URLSearchParams(hash.replace(/^#/, '')).get('teacher');
  if (given !== null) {
    if (!teacherPattern.test(given)) return { ok: false, error: 'the teacher link is damaged: #teacher= must match [A-Za-z0-9_-]{1,128}' };
    session.setItem(storageKeys.teacher, given);
    return { ok: true, token: given };
  }
  const stored = session.getItem(storageKeys.teacher);
  return { ok: true, token: stored !== null && teacherPattern.test(stored) ? stored : undefined };
}

/** Works out this tab's identity and stores what must survive a reload. */
export function resolve(env: Environment): Resolved {
  const params = new URLSearchParams(env.search);
  const nodeId = resolveNodeId(params.get('node'), env.session);
  if (!nodeId.ok) return nodeId;
  const teacher = resolveTeacher(env.hash ?? '', env.session);
  if (!teacher.ok) return teacher;
  const hostId = resolveStoredId(null, env.local, storageKeys.hostId, env.randomBytes, 'host id');
  if (!hostId.ok) return hostId;
  const capacity = resolveCapacity(params.get('capacity'), env.session);
  if (!capacity.ok) return capacity;
  const room = params.get('room') ?? defaultRoom;
  if (!isValidId(room)) return { ok: false, error: `?room= must match [A-Za-z0-9_-]{1,${limits.idBytesMax}}, got "${room}"` };
  const ice = parseIceServers(params.get('ice') ?? '');
  if (!ice.ok) return ice;
  const identity: Identity = {
    nodeId: nodeId.id, secret: secretFor(env.session, nodeId.id, env.randomBytes), teacherToken: teacher.token,
    hostId: hostId.id, capacity: capacity.value, room, iceServers: ice.servers,
  };
  return { ok: true, identity };
}

/** `?node=` (then stored), else the stored id, else undefined (the server will name the node). */
function resolveNodeId(override: string | null, session: KeyValueStorage): { ok: true; id: string | undefined } | { ok: false; error: string } {
  if (override !== null) {
    if (!isValidId(override)) return { ok: false, error: `?node= must match [A-Za-z0-9_-]{1,${limits.idBytesMax}}, got "${override}"` };
    session.setItem(storageKeys.nodeId, override);
    return { ok: true, id: override };
  }
  const stored = session.getItem(storageKeys.nodeId);
  // A stored id that is no longer valid (edited by hand, or cleared) is dropped rather than trusted.
  return { ok: true, id: stored !== null && isValidId(stored) ? stored : undefined };
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

/** Stores a new capacity weight chosen in this tab (pass sessionStorage: it is the tab's, kept across reloads). */
export function setCapacity(storage: KeyValueStorage, capacity: number): { ok: true } | { ok: false; error: string } {
  if (!(capacity > 0 && capacity <= capacityMax)) return { ok: false, error: `capacity must be in (0, ${capacityMax}], got ${capacity}` };
  storage.setItem(storageKeys.capacity, String(capacity));
  return { ok: true };
}

/** The browser's environment: location, sessionStorage, localStorage and crypto.getRandomValues. */
export function browserEnvironment(): Environment {
  return {
    search: location.search,
    hash: location.hash,
    session: sessionStorage,
    local: localStorage,
    randomBytes: (bytes) => { crypto.getRandomValues(bytes); },
  };
}
