/** What a headless peer prints: pure formatting of the one view (runtime/peer.ts), so it is tested by table. */
import type { PeerView } from '../runtime/peer-view.js';

/** The line printed once storage is loaded. */
export function loaded(snap: PeerView, dataDir: string): string {
  const node = snap.node;
  return `loaded ${node?.keys ?? 0} keys (${node?.versions ?? 0} versions, ${node?.hints.count ?? 0} hints) from ${dataDir}`
    + `${(snap.loop?.counters.corruptVersions ?? 0) > 0 ? `; ${snap.loop?.counters.corruptVersions} damaged versions left out (replicas repair them)` : ''}`;
}

export interface Rates {
  readonly atMs: number;
  readonly sent: number;
  readonly received: number;
}

export function rates(snap: PeerView, atMs: number): Rates {
  return { atMs, sent: snap.loop?.counters.messagesSent ?? 0, received: snap.loop?.counters.messagesReceived ?? 0 };
}

/** The periodic one-line summary; `before` is the previous line's counters (for messages/s). */
export function summary(snap: PeerView, before: Rates, now: Rates): string {
  const node = snap.node;
  const members = node?.members.filter((m) => m.status !== 'left') ?? [];
  const alive = members.filter((m) => m.status === 'alive').length;
  const peers = members.filter((m) => m.zone === 'peer').length;
  const seconds = Math.max(0.001, (now.atMs - before.atMs) / 1000);
  const perSecond = (n: number) => (n / seconds).toFixed(1);
  const phase = snap.phase.kind === 'running' ? (snap.ready ? 'ready' : 'joining') : snap.phase.kind === 'starting' ? `starting (${snap.phase.step})` : `failed: ${snap.phase.error}`;
  return `${snap.identity.nodeId} ${phase} | members ${alive} alive of ${members.length} (${peers} always-on) | keys ${node?.keys ?? 0} | `
    + `hints ${node?.hints.count ?? 0} | msgs/s ${perSecond(now.sent - before.sent)} out ${perSecond(now.received - before.received)} in | `
    + `channels ${snap.network.connected.length} | signaling ${snap.network.signaling}`;
}
