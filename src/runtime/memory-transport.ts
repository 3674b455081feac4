/**
 * The in-memory twin of the WebRTC transport, for unit tests: a network object joins transports, and
 * messages move between them on a microtask (so sending never re-enters the receiver synchronously, as
 * with a real data channel). Links can be cut and restored to drive reachability events.
 */
import { limits } from '../core/limits.js';
import type { NodeId } from '../core/types.js';
import type { Transport } from './transport.js';

export interface MemoryNetwork {
  /** Creates the transport of a new node; every joined node sees it as present and connected. */
  join(self: NodeId): MemoryTransport;
  /** Cuts (or restores) the link between two nodes in both directions, firing reachability events. */
  setLink(a: NodeId, b: NodeId, up: boolean): void;
  /** The last sentLogMax messages sent by `from` to `to` (copies), in order; for assertions. */
  sent(from: NodeId, to: NodeId): readonly Uint8Array[];
}

export interface MemoryTransport extends Transport {
  /** Delivers raw bytes to this node as if `from` had sent them (e.g. a malformed message). */
  inject(from: NodeId, bytes: Uint8Array): void;
}

/** Most messages remembered per link for `sent()`; older ones are forgotten. */
export const sentLogMax = 1000;
/** Most undelivered messages in the whole network; past it send() refuses. */
export const inFlightMax = 100_000;

export function createNetwork(): MemoryNetwork {
  const nodes = new Map<NodeId, Endpoint>();
  const down = new Set<string>();
  const log = new Map<string, Uint8Array[]>();
  let inFlight = 0;
  const linkKey = (a: NodeId, b: NodeId) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const linked = (a: NodeId, b: NodeId) => a !== b && nodes.has(a) && nodes.has(b) && !down.has(linkKey(a, b));

  interface Endpoint {
    messageHandlers: ((from: NodeId, bytes: Uint8Array) => void)[];
    reachabilityHandlers: ((peer: NodeId, reachable: boolean) => void)[];
  }

  function announce(a: NodeId, b: NodeId, reachable: boolean): void {
    for (const handler of nodes.get(a)?.reachabilityHandlers ?? []) handler(b, reachable);
    for (const handler of nodes.get(b)?.reachabilityHandlers ?? []) handler(a, reachable);
  }

  function deliver(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    inFlight++;
    queueMicrotask(() => {
      inFlight--;
      // A link cut while the message was in flight loses it, as a closing data channel would.
      if (!linked(from, to)) return;
      for (const handler of nodes.get(to)?.messageHandlers ?? []) handler(from, bytes);
    });
  }

  function join(self: NodeId): MemoryTransport {
    if (nodes.has(self)) throw new Error(`memory-transport: ${self} joined twice`);
    const endpoint: Endpoint = { messageHandlers: [], reachabilityHandlers: [] };
    nodes.set(self, endpoint);
    queueMicrotask(() => {
      for (const peer of nodes.keys()) if (linked(self, peer)) announce(self, peer, true);
    });
    return {
      self,
      send(to, bytes) {
        if (!linked(self, to) || bytes.length > limits.messageBytesMax || inFlight >= inFlightMax) return false;
        const key = `${self}->${to}`;
        const history = log.get(key) ?? [];
        history.push(bytes.slice());
        if (history.length > sentLogMax) history.shift();
        log.set(key, history);
        deliver(self, to, bytes.slice());
        return true;
      },
      onMessage(handler) { endpoint.messageHandlers.push(handler); },
      onReachability(handler) { endpoint.reachabilityHandlers.push(handler); },
      presentPeers: () => [...nodes.keys()].filter((peer) => peer !== self),
      connectedPeers: () => [...nodes.keys()].filter((peer) => linked(self, peer)),
      close() {
        const peers = [...nodes.keys()].filter((peer) => linked(self, peer));
        nodes.delete(self);
        for (const peer of peers) for (const handler of nodes.get(peer)?.reachabilityHandlers ?? []) handler(self, false);
      },
      inject(from, bytes) {
        queueMicrotask(() => { for (const handler of endpoint.messageHandlers) handler(from, bytes); });
      },
    };
  }

  return {
    join,
    setLink(a, b, up) {
      const key = linkKey(a, b);
      const was = linked(a, b);
      if (up) down.delete(key); else down.add(key);
      if (was !== linked(a, b)) announce(a, b, up);
    },
    sent: (from, to) => log.get(`${from}->${to}`) ?? [],
  };
}
