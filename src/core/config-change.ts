/**
 * Cluster configuration changes (kv.configure) that do not vanish.
 *
 * Configs are totally ordered by (version, proposer id) (membership.newerConfig): every node adopts the
 * highest it hears, so all converge on the same winner. A proposal takes version = current + 1 with this
 * node as proposer, is adopted here, and is gossiped to every live member with a request for their view.
 * Each answer either shows this proposal (that member adopted it) or a higher config: then another node
 * proposed concurrently and won the order, this node has adopted the winner, and the request fails with
 * "configuration changed concurrently by nX: now {...}; retry". Changes proposed one after the other are
 * both applied, in order (the second starts from the first). The request succeeds once every live member
 * confirmed, or after requestTimeoutTicks while this proposal is still the highest known (the members
 * that did not answer get it by gossip). The config is persisted with its version and proposer, so a tab
 * that reloads keeps the order, and a newcomer adopts the room's config from its first gossip answer.
 *
 * Stamped (NodeState.stamps: a host with a signaling server, issue 11): gossip is not authenticated, so a
 * modified class-link tab could otherwise reconfigure the room one version at a time. Such a node adopts
 * only configs the server stamped (`onStamped`, which every member gets from the server directly); a
 * gossiped config only raises `configHeard`, so this node's next proposal orders after it. A proposal is
 * not adopted at once: it goes to the server (`authorize`), which refuses it unless the sender holds the
 * teacher token and it orders after the room's stamped config; once the stamp comes back, the change waits
 * for the members' echoes as above. Before any stamp, a node keeps its stored (or the default) config.
 */
import * as fx from './effects.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import type { MessageOf } from './messages.js';
import type { ClientRequest } from './node-io.js';
import type { NodeState } from './node-state.js';
import * as repartition from './repartition.js';
import { defaultRemoveAfterSeconds, removeAfterSecondsMax, type ClusterConfig, type ConfigStamp, type NodeId } from './types.js';

/** The settings kv.configure accepts (the page API refuses any other name, naming these). */
export const settings = ['n', 'r', 'w', 'partitions', 'removeAfterSeconds'] as const;

/** Why a config may not be used by a room, or undefined: THE check of proposals, gossip and the server's stamps. */
export function problem(c: ClusterConfig): string | undefined {
  const { n, r, w, partitions } = c;
  const removeAfterSeconds = c.removeAfterSeconds ?? defaultRemoveAfterSeconds;
  const ok = (x: number, max: number) => Number.isInteger(x) && x >= 1 && x <= max;
  if (!ok(n, limits.membersMax) || !ok(r, n) || !ok(w, n)) return `bad config n=${n} r=${r} w=${w}: need 1 <= r, w <= n`;
  if (!(Number.isInteger(removeAfterSeconds) && removeAfterSeconds >= 0 && removeAfterSeconds <= removeAfterSecondsMax)) {
    return `removeAfterSeconds must be an integer in 0..${removeAfterSecondsMax} (0 disables automatic removal), got ${removeAfterSeconds}`;
  }
  if (!repartition.validCount(partitions)) return `partitions must be a power of two in 1..${repartition.partitionsMax} (16, 32, 64 suit a demo), got ${partitions}`;
  return undefined;
}

/** The config a request asks for, or why it is refused. */
export function proposed(current: ClusterConfig, request: Extract<ClientRequest, { op: 'configure' }>): { ok: true; config: Required<ClusterConfig> } | { ok: false; error: string } {
  const n = request.n ?? current.n;
  const config = {
    n, r: request.r ?? Math.min(current.r, n), w: request.w ?? Math.min(current.w, n), partitions: request.partitions ?? current.partitions,
    removeAfterSeconds: request.removeAfterSeconds ?? current.removeAfterSeconds ?? defaultRemoveAfterSeconds,
  };
  const error = problem(config);
  return error === undefined ? { ok: true, config } : { ok: false, error };
}

export function start(state: NodeState, requestId: number, request: Extract<ClientRequest, { op: 'configure' }>): void {
  const next = proposed(state.config, request);
  if (!next.ok) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: next.error });
    return;
  }
  if (state.configChange !== undefined) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: 'a configuration change from this node is still being confirmed: try again' });
    return;
  }
  const version = Math.max(state.configVersion, state.configHeard) + 1;
  if (state.stamps) {
    // Adopted only once stamped, like everywhere else (module comment).
    state.configChange = { requestId, version, waiting: new Set(), startTick: state.tick, awaitingStamp: true };
    fx.authorize(state, { kind: 'configure', version, by: state.id, config: next.config });
    return;
  }
  membership.adoptConfig(state, next.config, version, state.id);
  confirm(state, requestId, version);
}

/** Own config `version` is adopted here: ask every healthy member to show it (module comment). */
function confirm(state: NodeState, requestId: number, version: number): void {
  const waiting = new Set([...state.members.values()].filter((m) => m.id !== state.id && membership.healthy(state, m.id)).map((m) => m.id));
  state.configChange = { requestId, version, waiting, startTick: state.tick, awaitingStamp: false };
  for (const to of waiting) fx.send(state, to, membership.gossipMessage(state, true));
  settle(state);
}

/** A config the room's authority stamped: adopted when newer; this node's own proposal then waits for the echoes. */
export function onStamped(state: NodeState, stamp: ConfigStamp): void {
  if (membership.newerConfig(stamp, { version: state.configVersion, by: state.configBy })) {
    membership.adoptConfig(state, stamp.config, stamp.version, stamp.by);
  }
  const change = state.configChange;
  if (change?.awaitingStamp === true && stamp.version === change.version && stamp.by === state.id) confirm(state, change.requestId, change.version);
  else settle(state);
}

/** The authority refused this node's proposal (e.g. not the teacher, or another change came first). */
export function onRefused(state: NodeState, reason: string): void {
  const change = state.configChange;
  if (change?.awaitingStamp !== true) return;
  state.configChange = undefined;
  fx.reply(state, change.requestId, { ok: false, indeterminate: false, error: reason });
}

const describe = (c: ClusterConfig) => JSON.stringify({ n: c.n, r: c.r, w: c.w, partitions: c.partitions, removeAfterSeconds: c.removeAfterSeconds ?? defaultRemoveAfterSeconds });

function settle(state: NodeState): void {
  const change = state.configChange;
  if (change === undefined) return;
  if (change.awaitingStamp && state.configVersion < change.version) {
    if (state.tick - change.startTick < state.tuning.requestTimeoutTicks) return;
    state.configChange = undefined;
    fx.reply(state, change.requestId, { ok: false, indeterminate: true, error: 'the signaling server did not stamp the configuration in time: it may still reach the room' });
    return;
  }
  if (state.configVersion !== change.version || state.configBy !== state.id) {
    state.configChange = undefined;
    fx.reply(state, change.requestId, { ok: false, indeterminate: false, error: `configuration changed concurrently by ${state.configBy}: now ${describe(state.config)}; retry` });
    return;
  }
  for (const p of [...change.waiting]) if (!membership.healthy(state, p)) change.waiting.delete(p);
  if (change.waiting.size > 0 && state.tick - change.startTick < state.tuning.requestTimeoutTicks) return;
  state.configChange = undefined;
  fx.reply(state, change.requestId, { ok: true, op: 'configure' });
}

/** After membership merged a peer's gossip: a confirmation, or a concurrent winner (see the module comment). */
export function onGossip(state: NodeState, from: NodeId, msg: MessageOf<'gossip'>): void {
  const change = state.configChange;
  if (change === undefined) return;
  if (msg.configVersion === change.version && msg.configBy === state.id) change.waiting.delete(from);
  settle(state);
}

export function tick(state: NodeState): void {
  const change = state.configChange;
  if (change === undefined) return;
  if ((state.tick - change.startTick) % state.tuning.gossipIntervalTicks === 0) {
    for (const to of change.waiting) fx.send(state, to, membership.gossipMessage(state, true));
  }
  settle(state);
}
