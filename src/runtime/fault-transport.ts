/**
 * Fault injection as a decorator over any transport (the WebRTC one in tabs and peers, the in-memory twin in
 * tests): the rules of protocol/faults.ts applied to every message and to the reachability reported.
 *
 * - The sender decides (loss included, drawn from the injected `random`): a blocked or lost message is
 *   dropped and counted, and send() still returns true: it is the network that lost it, not a refusal.
 * - The receiver re-checks the blocks, so a rule holds even while it is still reaching the sender.
 * - Reachability: a peer is usable when the inner transport says so AND the rules let messages flow both
 *   ways. The links underneath stay open under a partition (so a heal is instant), but the core must hear
 *   at once that the peer is gone, as it would when a real link fails its heartbeats.
 */
import type { NodeId } from '../core/types.js';
import * as faults from '../protocol/faults.js';
import { noDrops, type Transport, type TransportStats } from './transport.js';

export type FaultTransport = Transport & {
  /** Replaces the rules (validated: invalid rules throw, a programmer error). */
  setFaults(rules: faults.FaultRules): void;
  faults(): faults.FaultRules;
  /**
   * The inner transport's stats, with the messages these rules dropped added to messagesDropped (the inner
   * messagesReceived counts what arrived on the wire, so it includes what the receiver's rules then dropped).
   */
  stats(): TransportStats;
};

export interface FaultOptions {
  /** The rules to start with (noFaults by default). */
  readonly rules?: faults.FaultRules;
  /** In [0, 1): the loss draw. */
  readonly random: () => number;
}

export function withFaults(inner: Transport & { stats(): TransportStats }, opts: FaultOptions): FaultTransport {
  const self = inner.self;
  let rules = opts.rules ?? faults.noFaults;
  const dropped = noDrops();
  const linkUp = new Map<NodeId, boolean>();
  const reported = new Map<NodeId, boolean>();
  const reachabilityHandlers: ((peer: NodeId, reachable: boolean) => void)[] = [];
  const messageHandlers: ((from: NodeId, bytes: Uint8Array) => void)[] = [];

  function report(peer: NodeId): void {
    const usable = (linkUp.get(peer) ?? false) && !faults.blocks(rules, self, peer) && !faults.blocks(rules, peer, self);
    if ((reported.get(peer) ?? false) === usable) return;
    reported.set(peer, usable);
    for (const h of reachabilityHandlers) h(peer, usable);
  }

  inner.onMessage((from, bytes) => {
    const verdict = faults.verdict(rules, from, self);
    if (verdict !== 'deliver') {
      dropped[verdict] += 1;
      return;
    }
    for (const h of messageHandlers) h(from, bytes);
  });
  inner.onReachability((peer, up) => {
    // Only peers whose link is up are remembered, so the maps stay as bounded as the inner transport's.
    if (up) linkUp.set(peer, true);
    else linkUp.delete(peer);
    report(peer);
    if (!up) reported.delete(peer);
  });

  return {
    self,
    send(to, bytes) {
      const verdict = faults.decide(rules, self, to, opts.random());
      if (verdict === 'deliver') return inner.send(to, bytes);
      dropped[verdict] += 1;
      return true;
    },
    onMessage: (h) => void messageHandlers.push(h),
    onReachability: (h) => void reachabilityHandlers.push(h),
    presentPeers: () => inner.presentPeers(),
    connectedPeers: () => inner.connectedPeers(),
    close: () => inner.close(),
    setFaults(next) {
      const checked = faults.validate(next);
      if (!checked.ok) throw new Error(`transport: invalid fault rules: ${checked.reason}`);
      rules = checked.rules;
      for (const peer of linkUp.keys()) report(peer);
    },
    faults: () => rules,
    stats() {
      const s = inner.stats();
      const merged = { ...s.messagesDropped };
      for (const reason of Object.keys(dropped) as (keyof typeof dropped)[]) merged[reason] += dropped[reason];
      return { ...s, messagesDropped: merged };
    },
  };
}
