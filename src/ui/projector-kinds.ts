/**
 * The projector's colour and legend for each kind of message (protocol/projector.ts eventKinds). Every row
 * of the legend has its own colour, at least 0.12 apart in OKLab from every other row and 0.08 from every
 * node colour (format.ts palette), checked in test/unit/projector-kinds.test.ts: a class must tell a
 * summary from its reply, and a message from the node it leaves. Found by a farthest-point search over
 * bright sRGB colours (OKLab lightness >= 0.62, visible on the dark background), then given to the kinds
 * so that pairs read as pairs where the search allowed (store blue / ack pale blue, read green / reply
 * bright green, hint yellow / handoff olive, summary teal / reply cyan).
 */
import type { EventKind } from '../protocol/projector.js';

export interface KindStyle {
  readonly color: string;
  readonly label: string;
}

export const kindStyles: Readonly<Record<EventKind, KindStyle>> = {
  put: { color: '#ffffff', label: 'client put / delete' },
  forward: { color: '#ffbb99', label: 'forward to a coordinator' },
  'forward-reply': { color: '#cc7777', label: 'forward reply' },
  store: { color: '#6677ff', label: 'store (replicate)' },
  'store-ack': { color: '#aaaadd', label: 'store ack' },
  hint: { color: '#ffff11', label: 'hinted store (fallback)' },
  handoff: { color: '#ccbb00', label: 'handoff (hint back)' },
  read: { color: '#00cc55', label: 'read' },
  'read-reply': { color: '#00ff00', label: 'read reply' },
  'read-repair': { color: '#ff1199', label: 'read repair' },
  'ae-summary': { color: '#00aabb', label: 'anti-entropy summary' },
  'ae-summary-reply': { color: '#66eeff', label: 'summary reply' },
  'ae-root': { color: '#ff00ff', label: 'Merkle descent' },
  'ae-buckets': { color: '#ff00ff', label: 'Merkle descent' },
  'ae-leaves': { color: '#ff00ff', label: 'Merkle descent' },
  'ae-want': { color: '#ff0000', label: 'anti-entropy push' },
  'ae-push': { color: '#ff0000', label: 'anti-entropy push' },
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
