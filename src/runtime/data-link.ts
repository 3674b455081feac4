/**
 * One data channel to one peer, as the link transport (link-transport.ts) drives it: the seam between the
 * platform-neutral driver and a WebRTC library (src/browser/peer-link.ts: simple-peer, in tabs and, with
 * @roamhq/wrtc, in the Node peer). Tests plug in an in-memory twin. It knows nothing of queues, faults or
 * framing: it opens, carries frames, reports its buffered bytes and when they drain, and closes once.
 */
import type { RtcSignal } from '../protocol/signaling.js';

export interface DataLinkEvents {
  /** The data channel is open: frames may flow. */
  onOpen(): void;
  /** One frame arrived. */
  onFrame(frame: Uint8Array): void;
  /** The link is gone for good (called once, never after the owner called destroy()). */
  onClose(reason: string): void;
  /** A signal to relay to the other side. */
  onSignal(signal: RtcSignal): void;
}

export interface DataLink {
  /** Feeds a signal from the other side. */
  signal(s: RtcSignal): void;
  /** Sends one frame; false (and the link closes, calling onClose) if the channel refused it. */
  send(frame: Uint8Array): boolean;
  /** Bytes queued in the data channel, not yet sent. */
  bufferedAmount(): number;
  /** Calls `then` once, when bufferedAmount falls to `lowBytes` or below (or the link closes); replaces an earlier watch. */
  whenDrained(lowBytes: number, then: () => void): void;
  /** Closes the link; onClose is not called. */
  destroy(): void;
}

/** Which link to create: to `peer`, named `link` (its signals carry the name); an initiator sends the offer. */
export interface DataLinkSpec {
  readonly peer: string;
  readonly link: string;
  readonly initiator: boolean;
}

/** Creates links: an initiating one sends the offer, an answering one waits for it. */
export type DataLinkFactory = (spec: DataLinkSpec, events: DataLinkEvents) => DataLink;
