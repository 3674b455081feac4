/**
 * Verbs that append to the current step's output. node.step gathers them: every persisted record goes
 * into one `persist` effect placed first, so the runtime makes it durable before any send or reply.
 */
import type { Message } from './messages.js';
import type { ClientResult, StoreRecord } from './node-io.js';
import type { NodeState } from './node-state.js';
import type { NodeId } from './types.js';

export function send(state: NodeState, to: NodeId, message: Message): void {
  if (to === state.id) throw new Error(`node ${state.id}: a node never sends to itself`);
  state.counters.messagesSent++;
  state.out.push({ type: 'send', to, message });
}

export function persist(state: NodeState, record: StoreRecord): void {
  state.records.push(record);
}

export function reply(state: NodeState, requestId: number, result: ClientResult): void {
  state.pendingRequests = Math.max(0, state.pendingRequests - 1);
  state.out.push({ type: 'reply', requestId, result });
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
