/**
 * The real Transport, assembled: WebRTC data channels (peer-link.ts, simple-peer) driven by the link
 * transport (runtime/link-transport.ts over the pure runtime/link-machine.ts: on-demand links, glare,
 * connect timeout, retry with backoff, idle close, framing, back-pressure), with the room's fault rules
 * applied on top (runtime/fault-transport.ts). Tabs use it as is; the Node peer passes @roamhq/wrtc.
 *
 * It lives here, not in src/runtime, only because it imports simple-peer (under Vite aliased to the
 * package's browser bundle); everything it assembles is platform-neutral and tested without WebRTC.
 * Fault rules arrive from the signaling server by themselves (or through setFaults).
 */
import type { NodeId } from '../core/types.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { withFaults, type FaultTransport } from '../runtime/fault-transport.js';
import { createLinkTransport } from '../runtime/link-transport.js';
import * as linkMachine from '../runtime/link-machine.js';
import type { SignalingClient } from '../runtime/signaling-client.js';
import { peerLinks } from './peer-link.js';

export type { DropReason, TransportStats } from '../runtime/transport.js';

export interface WebRtcTransportOptions {
  readonly self: NodeId;
  readonly signaling: SignalingClient;
  /** Default []: never a public STUN server unless the user configured one. */
  readonly iceServers?: readonly RTCIceServer[];
  /** @roamhq/wrtc in Node; omitted in browsers. */
  readonly wrtc?: unknown;
  readonly clock?: Clock;
  /** In [0, 1): loss draws, backoff jitter and link names. Math.random by default. */
  readonly random?: () => number;
  readonly idleCloseMs?: number;
  readonly connectTimeoutMs?: number;
  readonly connectAttemptsMax?: number;
  readonly queueMessagesMax?: number;
  readonly queueBytesMax?: number;
  readonly highWaterBytes?: number;
  readonly lowWaterBytes?: number;
}

export type WebRtcTransport = FaultTransport;

export function createWebRtcTransport(opts: WebRtcTransportOptions): WebRtcTransport {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const base = linkMachine.defaultConfig(opts.self);
  const links = createLinkTransport({
    self: opts.self, signaling: opts.signaling, clock, random,
    createLink: peerLinks({ iceServers: opts.iceServers ?? [], wrtc: opts.wrtc, clock }),
    config: {
      idleCloseMs: opts.idleCloseMs ?? base.idleCloseMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? base.connectTimeoutMs,
      connectAttemptsMax: opts.connectAttemptsMax ?? base.connectAttemptsMax,
      queue: {
        messagesMax: opts.queueMessagesMax ?? base.queue.messagesMax, bytesMax: opts.queueBytesMax ?? base.queue.bytesMax,
        highWaterBytes: opts.highWaterBytes ?? base.queue.highWaterBytes, lowWaterBytes: opts.lowWaterBytes ?? base.queue.lowWaterBytes,
      },
    },
  });
  const transport = withFaults(links, { rules: opts.signaling.faults(), random });
  opts.signaling.onFaults((rules) => transport.setFaults(rules));
  return transport;
}
