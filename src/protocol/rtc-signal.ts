/**
 * What peers relay to each other through the signaling server to open a WebRTC data channel: simple-peer's
 * offers, answers and ICE candidates, wrapped in a link id, and the request to dial. Validated in full by
 * both the server and the receiving client (neither trusts the other).
 */
import { isNodeId } from './faults.js';
import { bad, exactKeys, isRecord, ok, type Parsed } from './frame-parse.js';

/** An ICE candidate as simple-peer signals it. */
export interface Candidate {
  readonly candidate: string;
  readonly sdpMLineIndex?: number | null;
  readonly sdpMid?: string | null;
  readonly usernameFragment?: string | null;
}

/** What simple-peer emits for a data-channel-only connection. */
export type RtcSignal =
  | { readonly type: 'offer' | 'answer'; readonly sdp: string }
  | { readonly type: 'candidate'; readonly candidate: Candidate };

/**
 * The only payloads relayed between peers. `link` names one connection attempt (chosen by its initiator) so
 * that late signals of an abandoned attempt are ignored; `connect` asks the initiating side to open a link.
 */
export type SignalPayload =
  | { readonly kind: 'connect' }
  | { readonly kind: 'rtc'; readonly link: string; readonly signal: RtcSignal };

/** Validates a peer-to-peer payload (also used by the client before sending). */
export function validatePayload(d: unknown): Parsed<SignalPayload> {
  if (!isRecord(d)) return bad('data: expected an object');
  if (d.kind === 'connect') return exactKeys(d, ['kind']) ? ok({ kind: 'connect' }) : bad('data: expected { kind: "connect" }');
  if (d.kind !== 'rtc' || !exactKeys(d, ['kind', 'link', 'signal'])) return bad('data: expected { kind: "connect" } or { kind: "rtc", link, signal }');
  if (!isNodeId(d.link)) return bad('data.link: expected an id');
  const s = d.signal;
  if (!isRecord(s)) return bad('data.signal: expected an object');
  if (s.type === 'offer' || s.type === 'answer') {
    if (!exactKeys(s, ['type', 'sdp']) || typeof s.sdp !== 'string') return bad(`data.signal: expected { type: "${s.type}", sdp }`);
    return ok({ kind: 'rtc', link: d.link, signal: { type: s.type, sdp: s.sdp } });
  }
  if (s.type === 'candidate') {
    const c = isRecord(s.candidate) ? validateCandidate(s.candidate) : undefined;
    if (!exactKeys(s, ['type', 'candidate']) || c === undefined) return bad('data.signal: bad candidate');
    return ok({ kind: 'rtc', link: d.link, signal: { type: 'candidate', candidate: c } });
  }
  return bad('data.signal.type: expected offer, answer or candidate');
}

function validateCandidate(c: Record<string, unknown>): Candidate | undefined {
  const allowed = ['candidate', 'sdpMLineIndex', 'sdpMid', 'usernameFragment'];
  if (Object.keys(c).some((k) => !allowed.includes(k)) || typeof c.candidate !== 'string') return undefined;
  const { sdpMLineIndex, sdpMid, usernameFragment } = c;
  if (sdpMLineIndex != null && !(Number.isSafeInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0)) return undefined;
  if (sdpMid != null && typeof sdpMid !== 'string') return undefined;
  if (usernameFragment != null && typeof usernameFragment !== 'string') return undefined;
  return { candidate: c.candidate, sdpMLineIndex: sdpMLineIndex as number | null, sdpMid: sdpMid as string | null, ...(usernameFragment != null ? { usernameFragment: usernameFragment as string } : {}) };
}
