/**
 * Verbs that append to the current step's output. node.step gathers them: every persisted record goes
 * into one `persist` effect placed first, so the runtime makes it durable before any send or reply.
 */
import { limits } from './limits.js';
import type { Message } from './messages.js';
import type { ClientResult, Effect, StoreRecord } from './node-io.js';
import type { NodeState } from './node-state.js';
import type { NodeId, RoomCommand, Version } from './types.js';

export function send(state: NodeState, to: NodeId, message: Message): void {
  if (to === state.id) throw new Error(`node ${state.id}: a node never sends to itself`);
  state.counters.messagesSent++;
  state.out.push({ type: 'send', to, message });
}

/**
 * The step's output as effects: its records as ONE `persist` placed first (the runtime makes them durable
 * before anything else of the step leaves), then its sends, replies, loads and traces in order. Clears both.
 */
export function collect(state: NodeState): Effect[] {
  const effects: Effect[] = state.records.length > 0 ? [{ type: 'persist', records: state.records, step: state.steps }, ...state.out] : state.out;
  state.out = [];
  state.records = [];
  return effects;
}

export function persist(state: NodeState, record: StoreRecord): void {
  state.records.push(record);
}

export function reply(state: NodeState, requestId: number, result: ClientResult): void {
  state.pendingRequests = Math.max(0, state.pendingRequests - 1);
  state.out.push({ type: 'reply', requestId, result });
}

/** Asks the room's authority to stamp a command (node-io.ts, `authorize`; only with NodeState.stamps). */
export function authorize(state: NodeState, command: RoomCommand): void {
  state.out.push({ type: 'authorize', command });
}

/** A trace line, skipped entirely when tracing is off (the text is built by a closure only when needed). */
export function trace(state: NodeState, category: string, text: () => string): void {
  if (!state.tuning.trace) return;
  state.out.push({ type: 'trace', event: { tick: state.tick, node: state.id, category, text: text() } });
}

/** Counts a peer message that was well-formed but could not be used (stale reply, unknown id, bad range). */
export function dropped(state: NodeState, why: () => string): void {
  state.counters.messagesDropped++;
  trace(state, 'drop', why);
}

/** A fresh id for an operation, load or session; the base is random per start so a late reply to a previous life is not mistaken. */
export function nextId(state: NodeState): number {
  state.nextId = state.nextId >= 2 ** 52 ? 1 : state.nextId + 1;
  return state.nextId;
}

/** Room left in one message for versions: the bound minus generous room for everything else in it. */
const versionBytesPerMessage = limits.messageBytesMax - 64 * 1024;
/** Encoded overhead of one version besides its value (dot, past entries, hashes), as an upper bound. */
const versionOverheadBytes = 1024 + (limits.clockEntriesMax + 1) * (limits.idBytesMax + 32);
/** Versions in one message at most (siblings.ts's hard ceiling, the schema's bound). */
const versionsPerMessageMax = limits.siblingsHardMax;

/**
 * Splits versions into groups that each fit in one peer message (limits.messageBytesMax), so sending many
 * large siblings never produces an oversize message. A new write keeps its key's set within one message
 * (limits.siblingBytesMax), so a split happens only to sets merged across a partition; senders order the
 * versions lowest dots first, so over an ordered channel a receiver never holds a dot without the lower
 * ones of its actor (dvv.ts invariant).
 */
export function fitVersions(versions: readonly Version[]): Version[][] {
  const groups: Version[][] = [];
  let group: Version[] = [];
  let bytes = 0;
  for (const v of versions) {
    const size = v.value.bytes.length + versionOverheadBytes;
    if (group.length > 0 && (bytes + size > versionBytesPerMessage || group.length >= versionsPerMessageMax)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(v);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Sends versions of a key in as many `store` messages as they need. */
export function sendStore(state: NodeState, to: NodeId, opId: number, key: string, versions: readonly Version[], hintFor: NodeId | null = null): void {
  for (const group of fitVersions(versions)) send(state, to, { type: 'store', opId, key, versions: group, hintFor });
}
