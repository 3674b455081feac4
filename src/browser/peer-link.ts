/**
 * One WebRTC data channel to one peer, through simple-peer: a thin edge that the transport drives.
 * It knows nothing of queues, faults or chunking; it opens, carries frames, reports its buffered amount and
 * when that drains, and closes exactly once.
 *
 * Under Vite, 'simple-peer' is aliased to the package's browser bundle (vite.config.ts); Node passes `wrtc`.
 * No STUN/TURN unless the caller passes iceServers (simple-peer's default config has public STUN servers, so
 * `config` is always set explicitly).
 */
import Peer from 'simple-peer';
import type { RtcSignal } from '../protocol/signaling.js';

export interface PeerLinkEvents {
  /** The data channel is open: frames may flow. */
  onOpen(): void;
  /** One frame arrived. */
  onFrame(frame: Uint8Array): void;
  /** The link is gone for good (called once, never after destroy() was called by the owner). */
  onClose(reason: string): void;
  /** A signal to relay to the other side. */
  onSignal(signal: RtcSignal): void;
}

export interface PeerLinkOptions {
  readonly initiator: boolean;
  readonly iceServers: readonly RTCIceServer[];
  readonly wrtc?: unknown;
  /** How often to re-check bufferedAmount when the channel cannot announce 'bufferedamountlow' (wrtc). */
  readonly drainPollMs?: number;
  readonly events: PeerLinkEvents;
}

export interface PeerLink {
  isOpen(): boolean;
  /** Feeds a signal from the other side. */
  signal(s: RtcSignal): void;
  /** Sends one frame; false (and the link closes) if the channel refused it. */
  send(frame: Uint8Array): boolean;
  /** Bytes queued in the data channel, not yet sent. */
  bufferedAmount(): number;
  /** Calls `then` once, when bufferedAmount falls to `lowBytes` or below (or the link closes). */
  whenDrained(lowBytes: number, then: () => void): void;
  /** Closes the link; onClose is not called. */
  destroy(): void;
}

/** The parts of simple-peer's instance we use beyond its typings (the raw channel, for back-pressure). */
interface RawChannel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold?: number;
  addEventListener?: (type: 'bufferedamountlow', listener: () => void) => void;
  removeEventListener?: (type: 'bufferedamountlow', listener: () => void) => void;
}

export function createPeerLink(opts: PeerLinkOptions): PeerLink {
  const peer = new Peer({
    initiator: opts.initiator,
    trickle: true,
    config: { iceServers: [...opts.iceServers] },
    ...(opts.wrtc ? { wrtc: opts.wrtc as Peer.Options['wrtc'] } : {}),
  });
  let open = false;
  let done = false;
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  let drainListener: (() => void) | undefined;
  const channel = (): RawChannel | undefined => (peer as unknown as { _channel?: RawChannel | null })._channel ?? undefined;

  function stopDrainWatch(): void {
    clearInterval(drainTimer);
    drainTimer = undefined;
    if (drainListener) channel()?.removeEventListener?.('bufferedamountlow', drainListener);
    drainListener = undefined;
  }

  function finish(reason: string): void {
    if (done) return;
    done = true;
    open = false;
    stopDrainWatch();
    peer.destroy();
    opts.events.onClose(reason);
  }

  peer.on('signal', (data: Peer.SignalData) => {
    if (done) return;
    if ((data.type === 'offer' || data.type === 'answer') && typeof data.sdp === 'string') {
      opts.events.onSignal({ type: data.type, sdp: data.sdp });
    } else if (data.type === 'candidate') {
      const c = (data as { candidate: RTCIceCandidateInit }).candidate;
      opts.events.onSignal({ type: 'candidate', candidate: { candidate: c.candidate ?? '', sdpMLineIndex: c.sdpMLineIndex ?? null, sdpMid: c.sdpMid ?? null } });
    }
    // renegotiate / transceiverRequest never happen on a data-only link: nothing else is relayed.
  });
  peer.on('connect', () => {
    if (done) return;
    open = true;
    opts.events.onOpen();
  });
  peer.on('data', (data: Uint8Array) => {
    if (!done) opts.events.onFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  peer.on('error', (e: Error & { code?: string }) => finish(`error: ${e.code ?? e.message}`));
  peer.on('close', () => finish('closed'));

  return {
    isOpen: () => open && !done,
    signal(s) {
      if (done) return;
      try {
        peer.signal(s as Peer.SignalData);
      } catch (e) {
        finish(`bad signal: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    send(frame) {
      if (!open || done) return false;
      try {
        peer.send(frame);
        return true;
      } catch (e) {
        finish(`send failed: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
    },
    bufferedAmount: () => channel()?.bufferedAmount ?? 0,
    whenDrained(lowBytes, then) {
      stopDrainWatch();
      const check = (): void => {
        if (!done && (channel()?.bufferedAmount ?? 0) > lowBytes) return;
        stopDrainWatch();
        then();
      };
      const ch = channel();
      if (ch?.addEventListener && typeof ch.bufferedAmountLowThreshold === 'number') {
        ch.bufferedAmountLowThreshold = lowBytes;
        drainListener = check;
        ch.addEventListener('bufferedamountlow', check);
      }
      // Also poll: wrtc has no 'bufferedamountlow' event, and in browsers this is a cheap safety net.
      drainTimer = setInterval(check, drainListener ? 250 : (opts.drainPollMs ?? 5));
    },
    destroy() {
      if (done) return;
      done = true;
      open = false;
      stopDrainWatch();
      peer.destroy();
    },
  };
}
