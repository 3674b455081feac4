/**
 * What the projector writes beside a node and a message, as pure functions of what it knows (so they are
 * tested without a browser): the room's word for a node under a fault, and where each flight's key label
 * goes so that labels of messages sent at once do not print over each other.
 */
import type { FaultRules } from '../protocol/faults.js';

/**
 * What the fault rules do to node `id`, in a word or two: "isolated", or its side of a split ("side A", the
 * groups lettered in the teacher's order; members in no group form the last side). Cuts and loss are links,
 * not nodes: the header names them.
 */
export function faultOf(faults: FaultRules, id: string): string | undefined {
  if (faults.isolated.includes(id)) return 'isolated';
  if (faults.groups.length === 0) return undefined;
  const i = faults.groups.findIndex((g) => g.includes(id));
  return `side ${String.fromCharCode(65 + (i < 0 ? faults.groups.length : i))}`;
}

/**
 * The status the projector shows for a node: what the ROOM knows, not only what the node says of itself.
 * A node reports its own view, and an isolated node still believes it is alive while every other node is
 * about to suspect it; so under the fault rules it reads "isolated", and in a split a node outside the one
 * largest side (the majority of the nodes drawn) reads "cut off". Otherwise, or when no side is largest
 * (an even split has no majority), the node's own word stands.
 */
export function roomStatus(faults: FaultRules, id: string, ids: readonly string[], own: string): string {
  if (faults.isolated.includes(id)) return 'isolated';
  if (faults.groups.length === 0) return own;
  const sideOf = (n: string) => faultOf(faults, n) ?? '';
  const sizes = new Map<string, number>();
  for (const n of ids) sizes.set(sideOf(n), (sizes.get(sideOf(n)) ?? 0) + 1);
  const largest = Math.max(...sizes.values());
  const majority = [...sizes.entries()].filter(([, k]) => k === largest);
  if (majority.length !== 1) return own;
  return majority[0]?.[0] === sideOf(id) ? own : 'cut off';
}

export interface LabelledFlight {
  readonly from: string;
  readonly to: string;
  readonly key: string | undefined;
  readonly startVirtualMs: number;
}

/**
 * Each flight's key label: undefined for none, else its row in a stack (0, 1, 2, ...). Messages a node sent
 * at once leave from one point, so their labels would print on one another: the same key sent to several
 * replicas (a store to each) is labelled once, and the different keys one sender sent at one moment are
 * stacked one row apart (whatever their receivers: the lines only part once they are on their way).
 */
export function labelRows(flights: readonly LabelledFlight[]): (number | undefined)[] {
  const keysSent = new Set<string>();
  const rowsAtMoment = new Map<string, number>();
  return flights.map((f) => {
    if (f.key === undefined) return undefined;
    const moment = `${f.from}\u0000${f.startVirtualMs}`;
    const sent = `${moment}\u0000${f.key}`;
    if (keysSent.has(sent)) return undefined;
    keysSent.add(sent);
    const row = rowsAtMoment.get(moment) ?? 0;
    rowsAtMoment.set(moment, row + 1);
    return row;
  });
}
