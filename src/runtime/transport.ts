/**
 * The transport moves opaque byte messages between nodes. The real one is WebRTC (src/browser/webrtc-transport.ts:
 * the link machine and its driver, link-transport.ts, over simple-peer); tests and the simulator use in-memory
 * twins (memory-transport.ts). Fault injection is a decorator over any of them (fault-transport.ts); encoding
 * and validation sit above, in the runtime.
 */
import type { NodeId } from '../core/types.js';
import type * as faults from '../protocol/faults.js';

export interface Transport {
  /** This node's id. */
  readonly self: NodeId;
  /**
   * Sends one whole message (at most limits.messageBytesMax) to a peer, opening a connection on demand.
   * Fire and forget: returns false when the message was refused at once (peer unknown, queue full,
   * message too large); delivery is never promised.
   */
  send(to: NodeId, bytes: Uint8Array): boolean;
  /** Called once per whole message received (after reassembly of chunks). */
  onMessage(handler: (from: NodeId, bytes: Uint8Array) => void): void;
  /** Called when a data channel to a peer opens (true) or closes (false). */
  onReachability(handler: (peer: NodeId, reachable: boolean) => void): void;
  /** Peers currently present in the room according to the signaling server (seeds for membership). */
  presentPeers(): readonly NodeId[];
  /** Peers with an open data channel right now. */
  connectedPeers(): readonly NodeId[];
  /** Closes every connection and stops reconnecting. */
  close(): void;
}

/** Why the transport dropped a message (counted in TransportStats). */
export type DropReason =
  | 'tooLarge' | 'unknownPeer' | 'queueFull' | 'closed' | 'unreachable' | 'malformed' | 'stale'
  | Exclude<faults.Verdict, 'deliver'>;

/** A fresh count of zero drops per reason. */
export function noDrops(): Record<DropReason, number> {
  return {
    tooLarge: 0, unknownPeer: 0, queueFull: 0, closed: 0, unreachable: 0, malformed: 0, stale: 0,
    isolated: 0, partitioned: 0, cut: 0, lost: 0,
  };
}

export interface TransportStats {
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly messagesDropped: Readonly<Record<DropReason, number>>;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly openChannels: number;
}
