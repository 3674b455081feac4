/**
 * `window.kv`: how Playwright, the browser console and scripted demos drive a tab. A public contract used
 * outside this repository, documented in the README: the members of the issue are built exactly as
 * specified; anything else is an addition (marked below), never a change.
 *
 * Every failure rejects (or throws) an Error whose message says what happened; a key or value past its
 * limit is refused here, before it reaches the node, with the limit named.
 */
import * as configChange from '../core/config-change.js';
import * as hash from '../core/hash.js';
import * as version from '../core/version.js';
import type { ClientRequest, ClientResult } from '../core/node-io.js';
import type { Value } from '../core/types.js';
import * as faults from '../protocol/faults.js';
import * as kvView from './kv-view.js';
import type { KvMember, KvStats } from './kv-view.js';
import type { PeerView } from './peer-view.js';
import * as timeApi from './time-api.js';
import * as requestCheck from './request-check.js';

export type KvValue = string | Uint8Array;

export type { KvMember, KvStats } from './kv-view.js';

/** The room's fault rules, carried by the signaling server to every tab. */
export interface FaultControl {
  current(): faults.FaultRules;
  /** False when the rules could not be sent (server unreachable, invalid rules). */
  publish(rules: faults.FaultRules): boolean;
  onRules(handler: (rules: faults.FaultRules) => void): void;
}

/** This tab's authority as the signaling server granted it ('unknown' until it has answered). */
export type Authority = 'teacher' | 'student' | 'unknown';

/** Why a class-link tab may not change the room (the server sends the same words to a modified tab). */
export const teacherOnlyMessage = 'teacher only: open the teacher link printed by npm start';

export interface PageApiDeps {
  readonly nodeId: string;
  /**
   * Room-wide commands (fault rules, time, configure, remove) are the teacher's: the server checks the token and
   * stamps each (configure and remove through the core: room-stamps.ts); this check refuses them at the edge
   * with the same message, before anything is sent (README, "Security model").
   */
  authority(): Authority;
  request(request: ClientRequest): Promise<ClientResult>;
  /** Resolves once storage is loaded and the node has joined the ring; rejects if start-up failed. */
  ready(): Promise<void>;
  /** The one view of this node (peer-view.ts): kv.stats(), members(), config(), snapshot() and time() project it. */
  view(): PeerView;
  readonly faults: FaultControl;
  /** Room-wide time control; without it kv.pause() and friends reject (e.g. a harness without a server). */
  readonly time?: timeApi.TimeControlChannel;
  onChange(listener: () => void): () => void;
  /** Keeps a new capacity weight for the next start of this tab (localStorage in the app). */
  rememberCapacity?(capacity: number): void;
  /** Deletes this node's storage and restarts the tab under the same id (the app reloads the page). */
  wipe?(): Promise<void>;
  /** How long kv.partition and friends wait for the server's echo of the new rules. */
  readonly faultEchoTimeoutMs?: number;
}

/** The page API; the time control members (kv.pause() and friends) are in time-api.ts. */
export interface Kv extends timeApi.TimeKv {
  readonly nodeId: string;
  ready(): Promise<void>;
  put(key: string, value: KvValue, options?: { context?: string; w?: number }): Promise<{ context: string }>;
  get(key: string, options?: { r?: number }): Promise<{
    values: KvValue[];
    context: string;
    versions: { value: KvValue; clock: Record<string, number> }[];
  }>;
  delete(key: string, options?: { context?: string; w?: number }): Promise<{ context: string }>;
  /** Every member but those removed from the ring. */
  members(): KvMember[];
  config(): { n: number; r: number; w: number; partitions: number; removeAfterSeconds: number };
  /**
   * Changes cluster settings: n, r, w, removeAfterSeconds (0 disables automatic removal). Any other name
   * is refused, naming the allowed ones. Rejects with "configuration changed concurrently by nX: now
   * {...}; retry" when another node's concurrent change won. Teacher only.
   */
  /** Room-wide (teacher): N, R, W, the partition count Q (a power of two: 16, 32, 64 suit a demo), removeAfterSeconds. */
  configure(settings: { n?: number; r?: number; w?: number; partitions?: number; removeAfterSeconds?: number }): Promise<void>;
  /**
   * Removes another node from the ring everywhere, dead or alive; its partitions move to the others.
   * Resolves once the live members have agreed (or after the request timeout, the removal known here).
   * Teacher only. kv.join() and kv.leave() act on this node alone and are open to anyone.
   */
  remove(id: string): Promise<void>;
  /** Joins the ring again after kv.leave() (or a removal), as a new life, without a reload. */
  join(): Promise<void>;
  partition(groups: string[][]): Promise<void>;
  heal(): Promise<void>;
  leave(): Promise<void>;
  stats(): KvStats;
  // Additions beyond the contract:
  /** Cuts one node off from everyone (cluster-wide, through the signaling server). */
  isolate(id: string): Promise<void>;
  /** Blocks messages from `from` to `to`, and back unless oneWay. */
  cut(from: string, to: string, oneWay?: boolean): Promise<void>;
  /** Loses each data-channel message with this probability, in [0, 1]. */
  setLoss(rate: number): Promise<void>;
  /** The room's current fault rules. */
  faults(): faults.FaultRules;
  /** 'teacher' when this tab was opened from the teacher link (the server checked the token), else 'student'. */
  role(): Authority;
  /** Changes this node's capacity weight (its share of partitions), ring-wide, and remembers it for reloads. */
  setCapacity(capacity: number): Promise<void>;
  /**
   * Deletes this tab's storage (its own IndexedDB database only) and restarts it under the same node id, as
   * a disk loss would: it takes a new epoch and anti-entropy restores its partitions. The page reloads.
   */
  wipe(): Promise<void>;
  /** The whole runtime snapshot the UI renders (node, transport, signaling, storage, timeline). */
  snapshot(): unknown;
  /** Calls `listener` whenever the snapshot may have changed; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export const defaultFaultEchoTimeoutMs = 5000;

function toValue(value: unknown): Value {
  if (typeof value === 'string') return version.stringValue(value);
  if (value instanceof Uint8Array) return version.bytesValue(value);
  throw new TypeError(`value must be a string or a Uint8Array, got ${value === null ? 'null' : typeof value}`);
}

function fromValue(value: Value): KvValue {
  return value.kind === 'string' ? hash.fromUtf8(value.bytes) : value.bytes.slice();
}

/** Throws the result's error as an Error, or returns the successful result narrowed to `op`. */
function expectOk<Op extends string>(result: ClientResult, op: Op): Extract<ClientResult, { ok: true; op: Op }> {
  if (!result.ok) throw new Error(result.error);
  if (!('op' in result) || result.op !== op) throw new Error(`the node answered a ${op} with ${JSON.stringify(result)}`);
  return result as Extract<ClientResult, { ok: true; op: Op }>;
}

export function create(deps: PageApiDeps): Kv {
  const echoTimeoutMs = deps.faultEchoTimeoutMs ?? defaultFaultEchoTimeoutMs;
  const waiters = new Set<{ want: string; done: () => void }>();
  deps.faults.onRules((rules) => {
    const got = JSON.stringify(rules);
    for (const waiter of waiters) if (waiter.want === got) waiter.done();
  });

  /** Rejects a room-wide command from a tab that is not the teacher's. */
  function teacherProblem(): string | undefined {
    const authority = deps.authority();
    switch (authority) {
      case 'teacher': return undefined;
      case 'student': return teacherOnlyMessage;
      case 'unknown': return 'not yet connected to the signaling server, so this tab cannot act as the teacher yet';
      default: {
        const never: never = authority;
        return never;
      }
    }
  }

  /** Publishes rules and resolves when the server echoes them back (so every tab has been told). */
  function publish(rules: faults.FaultRules): Promise<void> {
    const problem = teacherProblem();
    if (problem !== undefined) return Promise.reject(new Error(problem));
    const checked = faults.validate(rules);
    if (!checked.ok) return Promise.reject(new Error(`invalid fault rules: ${checked.reason}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        want: JSON.stringify(checked.rules),
        done: () => { waiters.delete(waiter); clearTimeout(timer); resolve(); },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`the signaling server did not confirm the fault rules within ${echoTimeoutMs / 1000} s`));
      }, echoTimeoutMs);
      waiters.add(waiter);
      if (!deps.faults.publish(checked.rules)) {
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error('cannot change fault rules: the signaling server is not connected'));
      }
    });
  }

  async function write(op: 'put' | 'delete', key: string, value: Value | undefined, options: { context?: string; w?: number }) {
    const problem = requestCheck.keyProblem(key) ?? (value ? requestCheck.valueProblem(value.bytes) : undefined);
    if (problem !== undefined) throw new Error(problem);
    const base = { key, ...(options.context !== undefined ? { context: options.context } : {}), ...(options.w !== undefined ? { w: options.w } : {}) };
    const request: ClientRequest = op === 'put' && value ? { op, value, ...base } : { op: 'delete', ...base };
    const result = expectOk(await deps.request(request), op);
    return { context: result.context };
  }

  return {
    nodeId: deps.nodeId,
    ready: () => deps.ready(),
    async put(key, value, options = {}) {
      return write('put', key, toValue(value), options);
    },
    async get(key, options = {}) {
      const problem = requestCheck.keyProblem(key);
      if (problem !== undefined) throw new Error(problem);
      const result = expectOk(await deps.request({ op: 'get', key, ...(options.r !== undefined ? { r: options.r } : {}) }), 'get');
      // Tombstones are not values: a deleted key reads as missing, but its clock stays in the context.
      const live = result.versions.filter((v) => v.value.kind !== 'tombstone');
      const versions = live.map((v) => ({
        value: fromValue(v.value),
        clock: Object.fromEntries(v.clock.map((e) => [e.actor, e.counter])),
      }));
      return { values: versions.map((v) => v.value), context: result.context, versions };
    },
    async delete(key, options = {}) {
      return write('delete', key, undefined, options);
    },
    members: () => kvView.members(deps.view()),
    config: () => kvView.config(deps.view()),
    async configure(settings) {
      const problem = teacherProblem();
      if (problem !== undefined) throw new Error(problem);
      if (typeof settings !== 'object' || settings === null) throw new TypeError(`configure takes an object of settings (${configChange.settings.join(', ')})`);
      const unknown = Object.keys(settings).filter((k) => !(configChange.settings as readonly string[]).includes(k));
      if (unknown.length > 0) throw new Error(`unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the settings are ${configChange.settings.join(', ')}`);
      const request: { op: 'configure'; n?: number; r?: number; w?: number; partitions?: number; removeAfterSeconds?: number } = { op: 'configure' };
      for (const name of configChange.settings) if (settings[name] !== undefined) request[name] = settings[name];
      expectOk(await deps.request(request), 'configure');
    },
    async remove(id) {
      // Room-wide: it takes another node out of the ring everywhere.
      const problem = teacherProblem();
      if (problem !== undefined) throw new Error(problem);
      if (typeof id !== 'string' || id === '') throw new TypeError(`remove takes a node id, got ${JSON.stringify(id)}`);
      expectOk(await deps.request({ op: 'remove', id }), 'remove');
    },
    async join() {
      // Open to anyone: it acts on this node only, like leave.
      expectOk(await deps.request({ op: 'join' }), 'join');
    },
    partition: (groups) => publish({ ...deps.faults.current(), groups }),
    heal: () => publish(faults.noFaults),
    async leave() {
      expectOk(await deps.request({ op: 'leave' }), 'leave');
    },
    stats: () => kvView.stats(deps.view()),
    isolate: (id) => {
      const current = deps.faults.current();
      return publish({ ...current, isolated: [...current.isolated.filter((x) => x !== id), id] });
    },
    cut: (from, to, oneWay = false) => {
      const current = deps.faults.current();
      return publish({ ...current, cuts: [...current.cuts, { from, to, oneWay }] });
    },
    setLoss: (rate) => publish({ ...deps.faults.current(), lossRate: rate }),
    faults: () => deps.faults.current(),
    role: () => deps.authority(),
    async setCapacity(capacity) {
      expectOk(await deps.request({ op: 'set-capacity', capacity }), 'set-capacity');
      deps.rememberCapacity?.(capacity);
    },
    wipe: () => (deps.wipe ? deps.wipe() : Promise.reject(new Error('wipe is not available here'))),
    snapshot: () => kvView.snapshot(deps.view()),
    onChange: (listener) => deps.onChange(listener),
    ...timeApi.create({ ...(deps.time ? { channel: deps.time } : {}), teacherProblem, echoTimeoutMs, tick: () => deps.view().loop?.tick }),
  };
}

/** Puts the API on the page as `window.kv`. */
export function install(target: { kv?: Kv }, kv: Kv): void {
  target.kv = kv;
}
