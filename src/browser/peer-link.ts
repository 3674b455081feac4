/**
 * One WebRTC data channel to one peer, through simple-peer: runtime/data-link.ts's DataLink, which the link
 * transport drives. It knows nothing of queues, faults or chunking; it opens, carries frames, reports its
 * buffered amount and when that drains, and closes exactly once. Used by tabs and by the Node peer alike.
 *
 * Under Vite, 'simple-peer' is aliased to the package's browser bundle (vite.config.ts); Node passes `wrtc`.
 * No STUN/TURN unless the caller passes iceServers (simple-peer's default config has public STUN servers, so
 * `config` is always set explicitly).
 */
import Peer from 'simple-peer';
import type { Clock } from '../runtime/clock.js';
import type { DataLink, DataLinkEvents, DataLinkFactory } from '../runtime/data-link.js';

export interface PeerLinkOptions {
  readonly iceServers: readonly RTCIceServer[];
  readonly wrtc?: unknown;
  /** The drain watch polls on this clock (never raw timers), so the link runs on the runtime's time. */
  readonly clock: Clock;
  /** How often to re-check bufferedAmount when the channel cannot announce 'bufferedamountlow' (wrtc). */
  readonly drainPollMs?: number;
}

/** The parts of simple-peer's instance we use beyond its typings (the raw channel, for back-pressure). */
interface RawChannel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold?: number;
  addEventListener?: (type: 'bufferedamountlow', listener: () => void) => void;
  removeEventListener?: (type: 'bufferedamountlow', listener: () => void) => void;
}

/** The factory the link transport takes: links with these ICE servers (and wrtc in Node). */
export function peerLinks(opts: PeerLinkOptions): DataLinkFactory {
  return (spec, events) => createPeerLink(opts, spec.initiator, events);
}

export function createPeerLink(opts: PeerLinkOptions, initiator: boolean, events: DataLinkEvents): DataLink {
  const peer = new Peer({
    initiator,
    trickle: true,
    config: { iceServers: [...opts.iceServers] },
    ...(opts.wrtc ? { wrtc: opts.wrtc as Peer.Options['wrtc'] } : {}),
  });
  let open = false;
  let done = false;
  let stopDrainPoll: (() => void) | undefined;
  let drainListener: (() => void) | undefined;
  const channel = (): RawChannel | undefined => (peer as unknown as { _channel?: RawChannel | null })._channel ?? undefined;

  function stopDrainWatch(): void {
    stopDrainPoll?.();
    stopDrainPoll = undefined;
    if (drainListener) channel()?.removeEventListener?.('bufferedamountlow', drainListener);
    drainListener = undefined;
  }

  function finish(reason: string): void {
    if (done) return;
    done = true;
    open = false;
    stopDrainWatch();
    peer.destroy();
    events.onClose(reason);
  }

  peer.on('signal', (data: Peer.SignalData) => {
    if (done) return;
    if ((data.type === 'offer' || data.type === 'answer') && typeof data.sdp === 'string') {
      events.onSignal({ type: data.type, sdp: data.sdp });
    } else if (data.type === 'candidate') {
      const c = (data as { candidate: RTCIceCandidateInit }).candidate;
      events.onSignal({ type: 'candidate', candidate: { candidate: c.candidate ?? '', sdpMLineIndex: c.sdpMLineIndex ?? null, sdpMid: c.sdpMid ?? null } });
    }
    // renegotiate / transceiverRequest never happen on a data-only link: nothing else is relayed.
  });
  peer.on('connect', () => {
    if (done) return;
    open = true;
    events.onOpen();
  });
  peer.on('data', (data: Uint8Array) => {
    if (!done) events.onFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  peer.on('error', (e: Error & { code?: string }) => finish(`error: ${e.code ?? e.message}`));
  peer.on('close', () => finish('closed'));

  return {
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
      if (done || (channel()?.bufferedAmount ?? 0) <= lowBytes) {
        then(); // already drained: 'bufferedamountlow' would never fire
        return;
      }
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
      stopDrainPoll = opts.clock.every(drainListener ? 250 : (opts.drainPollMs ?? 5), check);
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
