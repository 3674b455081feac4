/**
 * Which members the room's fault rules suspend from automatic removal (core/removal.ts): a lesson that
 * isolates or partitions a node must not turn into its removal. Conservative on purpose: every isolated
 * node, both ends of every cut, and while any partition (groups) is in force, every member at all.
 */
import type { NodeId } from '../core/types.js';
import type * as faults from '../protocol/faults.js';

export function suspendedBy(rules: faults.FaultRules, members: readonly NodeId[]): NodeId[] {
  const out = new Set<NodeId>(rules.isolated);
  for (const cut of rules.cuts) {
    out.add(cut.from);
    out.add(cut.to);
  }
  if (rules.groups.length > 0) {
    for (const group of rules.groups) for (const id of group) out.add(id);
    for (const id of members) out.add(id);
  }
  return [...out].sort();
}
