/**
 * The projector's colour and legend for each kind of message (protocol/projector.ts eventKinds). Related
 * kinds share a hue family (writes blue, reads green, hints amber, anti-entropy cyan to violet), so the
 * legend reads as a few groups rather than eighteen colours.
 */
import type { EventKind } from '../protocol/projector.js';

export interface KindStyle {
  readonly color: string;
  readonly label: string;
}

export const kindStyles: Readonly<Record<EventKind, KindStyle>> = {
  put: { color: '#ffffff', label: 'client put / delete' },
  forward: { color: '#ff9f43', label: 'forward to a coordinator' },
  'forward-reply': { color: '#ffc38a', label: 'forward reply' },
  store: { color: '#4d9fff', label: 'store (replicate)' },
  'store-ack': { color: '#9cc8ff', label: 'store ack' },
  hint: { color: '#f2c14e', label: 'hinted store (fallback)' },
  handoff: { color: '#ff7b00', label: 'handoff (hint back)' },
  read: { color: '#5fd38d', label: 'read' },
  'read-reply': { color: '#a8ecc0', label: 'read reply' },
  'read-repair': { color: '#ff5fd2', label: 'read repair' },
  'ae-summary': { color: '#27c9c9', label: 'anti-entropy summary' },
  'ae-summary-reply': { color: '#27c9c9', label: 'summary reply' },
  'ae-root': { color: '#7fe3ff', label: 'Merkle descent' },
  'ae-buckets': { color: '#7fe3ff', label: 'Merkle descent' },
  'ae-leaves': { color: '#7fe3ff', label: 'Merkle descent' },
  'ae-want': { color: '#b18cff', label: 'anti-entropy push' },
  'ae-push': { color: '#b18cff', label: 'anti-entropy push' },
  gossip: { color: '#6b7785', label: 'gossip' },
};

/** One legend row per distinct label, in the order above. */
export function legend(showGossip: boolean): { kinds: EventKind[]; style: KindStyle }[] {
  const rows = new Map<string, { kinds: EventKind[]; style: KindStyle }>();
  for (const [kind, style] of Object.entries(kindStyles) as [EventKind, KindStyle][]) {
    if (kind === 'gossip' && !showGossip) continue;
    const row = rows.get(style.label);
    if (row) row.kinds.push(kind);
    else rows.set(style.label, { kinds: [kind], style });
  }
  return [...rows.values()];
}
