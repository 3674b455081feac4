/**
 * Starting a node (node.ts `create`): its state built from what storage holds, its epoch and life chosen.
 *
 * Epoch and life (KV679; DESIGN.md "Identity and lives"): a node that starts from storage (a restart, or
 * a rebuild after a failed write) draws a new RANDOM epoch and takes its persisted life + 1, both persisted
 * before anything leaves: its storage may be an older image of the disk than the history this id went on
 * to have (a restored image, a rolled-back disk), whose dots under the old epoch it would otherwise issue
 * again (seed 89: a restart from a stale image reissued n5:4 and a context holding n5:5 hid the new write).
 * The cost is one more actor per restart in the pasts of the keys it then coordinates (pruned past
 * limits.clockEntriesMax: a spurious sibling at worst). A node whose storage is empty draws a RANDOM 48-bit epoch
 * from its seeded generator (the runtime hands in fresh randomness as `rngSeed`), persists it, and
 * coordinates no write until its first gossip answer, which tells it the life of any earlier incarnation
 * of its id: it then takes that life + 1 (membership.ts). The epoch names the clock actor `${id}@${epoch}`,
 * so a wiped node never reissues a dot an earlier life issued; the life orders membership entries.
 *
 * Test-only controls, DELIBERATELY BROKEN, for the simulator to prove its checker catches bugs (defaults
 * are the safe ones): `epochPolicy: 'max-plus-one'` (a wiped node starts at epoch 1 and takes the highest
 * epoch it hears + 1, which can repeat an epoch an earlier life used: Riak's KV679); `clockPolicy:
 * 'plain-vv'` (obsolescence by whole-clock descent, "increment my own entry" vector clocks, which lose
 * concurrent writes through one coordinator); `conflictMode: 'lww'` (last write wins by skewed timestamps).
 */
import { tuningWith, type Tuning } from './config.js';
import * as fx from './effects.js';
import * as life from './life.js';
import * as membership from './membership.js';
import type { Effect, StoredState } from './node-io.js';
import { initialAntiEntropy, type EpochPolicy, type NodeState } from './node-state.js';
import * as ring from './ring.js';
import * as rngModule from './rng.js';
import type { ClockPolicy } from './siblings.js';
import * as storeIndex from './store-index.js';
import * as indexRestore from './store-index-restore.js';
import { defaultClusterConfig, defaultRemoveAfterSeconds, type ClusterConfig, type HostId, type NodeId, type Zone } from './types.js';

export interface NodeOptions {
  readonly id: NodeId;
  readonly host: HostId;
  readonly capacity: number;
  /** 'peer' for an always-on headless peer; absent for a tab. */
  readonly zone?: Zone;
  readonly seeds: readonly NodeId[];
  readonly rngSeed: number;
  readonly now: number;
  readonly stored: StoredState;
  readonly config?: ClusterConfig;
  readonly tuning?: Partial<Tuning>;
  /** 'lww' is a deliberately broken control (module comment). */
  readonly conflictMode?: 'vclock' | 'lww';
  readonly clockSkewTicks?: number;
  /** 'max-plus-one' is a deliberately broken control (module comment). Default 'random'. */
  readonly epochPolicy?: EpochPolicy;
  /** 'plain-vv' is a deliberately broken control (module comment). Default 'dvv'. */
  readonly clockPolicy?: ClockPolicy;
  /** The host supplies stamped room-wide commands (NodeState.stamps): true under a signaling server. */
  readonly stamps?: boolean;
}

export function create(options: NodeOptions): { state: NodeState; effects: Effect[] } {
  const { stored } = options;
  const tuning = tuningWith(options.tuning);
  const storedConfig = stored.config;
  const picked = storedConfig ?? options.config ?? defaultClusterConfig;
  const config: ClusterConfig = { n: picked.n, r: picked.r, w: picked.w, partitions: picked.partitions, removeAfterSeconds: picked.removeAfterSeconds ?? defaultRemoveAfterSeconds };
  const rng = rngModule.create(options.rngSeed);
  const provisional = stored.epoch === undefined;
  const epochPolicy = options.epochPolicy ?? 'random';
  const previousSelf = stored.members?.find((m) => m.id === options.id);
  const samePrevious = previousSelf !== undefined && previousSelf.epoch === stored.epoch ? previousSelf : undefined;
  // A node the room removed comes back as a new life (below, life.ts): its removal is final for the old one.
  const removedBefore = samePrevious?.status === 'removed';
  // A restart from storage is a new life under a new random epoch (module comment): storage may be an
  // older image of the disk than the dots this id last issued. Not for a node that left (it stays out), nor
  // for one removed (it takes its next life below), nor under the 'max-plus-one' control, which keeps the
  // stored epoch as the broken design did.
  const newLife = !provisional && epochPolicy === 'random' && samePrevious?.status !== 'left' && !removedBefore;
  const epoch = newLife ? membership.randomEpoch({ rng }) : stored.epoch ?? (epochPolicy === 'random' ? membership.randomEpoch({ rng }) : 1);
  const startingLife = samePrevious === undefined ? 0 : newLife ? samePrevious.life + 1 : samePrevious.life;
  const clockPolicy = options.clockPolicy ?? 'dvv';
  const state: NodeState = {
    id: options.id, host: options.host, capacity: options.capacity, seeds: options.seeds, tuning,
    conflictMode: options.conflictMode === 'lww' ? 'lww' : clockPolicy, epochPolicy, clockSkewTicks: options.clockSkewTicks ?? 0, rng,
    epoch, life: startingLife, needsRebuild: false, epochProvisional: provisional, ready: false, tick: options.now,
    config, configVersion: storedConfig?.version ?? 0, configBy: storedConfig?.by ?? '', stamps: options.stamps === true, configHeard: 0,
    members: new Map(), ring: ring.build([], config.partitions), ringWithout: undefined, unreachable: new Set(),
    index: storeIndex.create(config.partitions), nextId: rng.int(2 ** 30) * 1024,
    writes: new Map(), reads: new Map(), forwards: new Map(), loads: new Map(), gathers: new Map(), handoffs: new Map(),
    lastGossipTick: -Infinity, steps: 0, lastHandoffTick: options.now,
    antiEntropy: initialAntiEntropy(rng.int(1024), options.now),
    leave: undefined, left: false, resumedTick: options.now, srttTicks: new Map(), coordinated: new Map(),
    suspended: new Set(), presence: undefined, vouchers: new Map(), removal: undefined, configChange: undefined,
    counters: { messagesSent: 0, messagesReceived: 0, messagesDropped: 0, repairs: 0, hintsHandedOff: 0, storageErrors: 0, writesAcked: 0, readsServed: 0, dotClashes: 0 },
    out: [], records: [], pendingRequests: 0,
  };
  // Entries persisted before lives existed read as life 0.
  for (const m of stored.members ?? []) if (m.id !== options.id) state.members.set(m.id, { ...m, life: m.life ?? 0, lastHeardTick: options.now });
  state.members.set(options.id, {
    id: options.id, host: options.host, capacity: options.capacity, epoch, life: state.life, ...(options.zone === 'peer' ? { zone: options.zone } : {}),
    // A restart raises the incarnation (or the life), so the new, lower heartbeat is not ignored as old news.
    incarnation: samePrevious !== undefined && !newLife ? samePrevious.incarnation + 1 : 0,
    heartbeat: 0, status: 'alive', lastHeardTick: options.now,
  });
  const knowsOthers = state.members.size > 1 || options.seeds.some((s) => s !== options.id);
  state.ready = !provisional || !knowsOthers;
  if (samePrevious !== undefined && samePrevious.status === 'left') {
    // A node that left stays gone: it serves nothing. Starting it with empty storage makes it a new member.
    state.left = true;
    state.members.set(options.id, { ...samePrevious, life: state.life, lastHeardTick: options.now });
  }
  // Restored even for a node that left: kv.join() brings it back with what it holds (anti-entropy reconciles).
  if (stored.entries !== undefined) indexRestore.restoreEntries(state.index, stored.entries);
  indexRestore.restoreAll(state.index, stored.versions);
  for (const { owner, key, version } of stored.hints) storeIndex.restoreHint(state.index, owner, key, version);
  membership.refreshRing(state);
  if (state.left) {
    fx.trace(state, 'member', () => `${options.id} left the ring earlier and stays out: kv.join() brings it back as a new life`);
    return { state, effects: fx.collect(state) };
  }
  if (removedBefore) {
    // The next life, with a new random epoch, persisted (epoch and view) before any of its dots leaves.
    membership.startLife(state, state.life + 1, life.nextEpoch(state), `the room removed life ${state.life} (epoch ${epoch}): back as a new life`);
    membership.refreshRing(state);
  } else if (provisional || newLife) {
    fx.persist(state, { kind: 'epoch', epoch });
    if (newLife) membership.persistMembership(state);
  }
  fx.trace(state, 'member', () => `start at epoch ${state.epoch}, life ${state.life}${provisional ? ' (empty storage: provisional until gossip answers)' : ''}, ${stored.versions.length} version(s), ${stored.hints.length} hint(s)`);
  return { state, effects: fx.collect(state) };
}
