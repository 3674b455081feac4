/**
 * The coordinator's side of a forwarded write (forward.ts): the bounded memory of the forwarded operations it
 * accepted (an LRU of coordinatedMax, by `${origin}/${forwardId}`), and the answer it sends back, remembered
 * there so a repeated forward is answered from memory instead of being applied twice.
 */
import * as fx from './effects.js';
import type { ClientResult } from './node-io.js';
import type { ForwardReplyFields, NodeState, Origin } from './node-state.js';
import type { NodeId } from './types.js';

/** Forwarded operation ids a coordinator remembers (the LRU of the module comment). */
export const coordinatedMax = 1024;

export const opKey = (origin: NodeId, forwardId: number) => `${origin}/${forwardId}`;

export function remember(state: NodeState, key: string, entry: Parameters<NodeState['coordinated']['set']>[1]): void {
  state.coordinated.delete(key); // re-inserted last: the map's order is the LRU order
  state.coordinated.set(key, entry);
  while (state.coordinated.size > coordinatedMax) {
    const oldest = state.coordinated.keys().next().value as string;
    state.coordinated.delete(oldest);
  }
}

/** Sends a coordinator's answer to the node that forwarded the write, and remembers it for duplicates. */
export function answer(state: NodeState, origin: Extract<Origin, { kind: 'peer' }>, result: ClientResult): void {
  const reply: ForwardReplyFields = {
    ok: result.ok,
    context: result.ok && 'context' in result ? result.context : '',
    warnings: result.ok && 'warnings' in result ? result.warnings.slice(0, 8) : [],
    error: result.ok ? '' : result.error.slice(0, 1000),
    indeterminate: result.ok ? false : result.indeterminate,
  };
  remember(state, opKey(origin.peer, origin.forwardId), { state: 'answered', reply });
  fx.send(state, origin.peer, { type: 'forward-reply', forwardId: origin.forwardId, ...reply });
}
