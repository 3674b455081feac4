/**
 * The signaling protocol: JSON text frames over one WebSocket at `/signal?room=<room id>`.
 * Shared by the server (signaling/) and the browser client; the app bundle imports only this side.
 *
 * Client -> server:
 *   { type: 'hello', secret, nodeId?, teacher? }
 *                                        first frame, exactly once. Joins the room under `nodeId`, or, without
 *                                        one, under the first free `nN` the server hands out. `secret` binds the
 *                                        id to this tab while a socket holds it; `teacher` is the teacher token.
 *   { type: 'signal', to, data }         relay `data` (a SignalPayload) to member `to` of the same room
 *   { type: 'faults', rules }            teacher only: set the room's fault rules; broadcast to all, sender included
 *   { type: 'time', setting }            teacher only: the room's time control (time-control.ts), to all
 *   { type: 'config', stamp }            teacher only: a new cluster config (room-config.ts) ordering after the
 *                                        room's; stamped, kept as the room's and sent to all, sender included
 *   { type: 'remove', id }               teacher only: remove member `id` from the ring everywhere; sent to all
 *   { type: 'events', status, events, dropped }   a member's record for the room's observers (projector.ts)
 *   hello with `observe: true`           an observer (projector view): no id, gets presence, faults, time, events
 * Server -> client:
 *   { type: 'welcome', nodeId, role }    first answer to hello: the id this socket holds and its authority
 *   { type: 'presence', members, last }  the room's members (sorted) right after welcome, in chunks that each
 *                                        fit frameBytesMax; `last` marks the final chunk
 *   { type: 'join', id } / { type: 'leave', id }
 *                                        presence deltas afterwards (a whole list per change would cost
 *                                        O(members^2) bytes per join)
 *   { type: 'signal', from, data }       `from` is stamped by the server from the sender's hello
 *   { type: 'faults', from, rules }      the room's current rules; sent after hello (from: '') and on each change
 *   { type: 'time' | 'events', from, ... }   as above: time after hello (from: '') and on change; events to observers
 *   { type: 'config', from, stamp }      the room's stamped config (null: none yet); after hello (from: '') and on change
 *   { type: 'removal', from, id }        a teacher removed member `id` (an event: not kept, not sent to newcomers)
 *   { type: 'refused', command, reason } a command this socket may not give (e.g. faults from a student)
 *
 * Any frame that breaks the rules closes the socket with one of `closeCodes` and a reason saying why.
 */
import * as faults from './faults.js';
import { bad, exactKeys, isRecord, ok, parseJson, type Parsed } from './frame-parse.js';
import * as projector from './projector.js';
import * as roomConfig from './room-config.js';
import { validatePayload, type SignalPayload } from './rtc-signal.js';
import type * as timeControl from './time-control.js';

/**
 * Largest frame, in bytes, either way. A data-channel SDP offer is ~0.5-1.5 KiB; fault rules must fit too
 * (faults.rulesBytesMax leaves room for the frame around them).
 */
export const frameBytesMax = faults.frameBytesMax;
export const signalPath = '/signal';
export const defaultRoom = 'default';

export const closeCodes = {
  /** Normal shutdown (client close or server stopping). */
  normal: 1000,
  goingAway: 1001,
  /** Set by `ws` itself, without a reason, for a frame past the server's hard cap (4 x frameBytesMax). */
  wayTooLarge: 1009,
  /** A frame over frameBytesMax. */
  tooLarge: 4413,
  /** Malformed JSON, unknown shape, invalid id, or a frame out of order (e.g. signal before hello). */
  badMessage: 4400,
  /** The room already has limits.membersMax members. */
  roomFull: 4403,
  /** Another tab (another secret) holds this node id in this room right now: the newcomer is refused. */
  idInUse: 4409,
  /** The same tab (same secret) said hello again on a newer socket: the older socket is closed. */
  replaced: 4410,
  /** The server holds as many rooms as it may. */
  tooManyRooms: 4503,
  /** This socket's outgoing buffer passed the server's cap: it stopped reading (or reads too slowly). */
  slowConsumer: 4508,
  /** No hello within the server's helloTimeoutMs. */
  helloTimeout: 4408,
  /** More frames than the per-socket rate limit allows. */
  rateLimited: 4429,
} as const;

// The peer-to-peer payloads the server relays: their own module, re-exported for the callers of this one.
export { validatePayload, type Candidate, type RtcSignal, type SignalPayload } from './rtc-signal.js';

export type Role = 'teacher' | 'student';

/** A tab's secret for its node id, and the teacher token: [A-Za-z0-9_-]{16,128} and {1,128}. */
const tokenPattern = /^[A-Za-z0-9_-]+$/;
export const secretCharsMin = 16;
export const tokenCharsMax = 128;

export function isSecret(v: unknown): v is string {
  return typeof v === 'string' && v.length >= secretCharsMin && v.length <= tokenCharsMax && tokenPattern.test(v);
}

export function isTeacherToken(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= tokenCharsMax && tokenPattern.test(v);
}

export interface Hello {
  readonly type: 'hello';
  readonly secret: string;
  readonly nodeId?: string;
  readonly teacher?: string;
  /** An observer (the projector view): not a member of the room; receives the members' events. */
  readonly observe?: true;
}

/** The id an observer's welcome names (it holds no member id). */
export const observerId = 'observer';

export type ClientMessage =
  | Hello
  | { readonly type: 'signal'; readonly to: string; readonly data: SignalPayload }
  | { readonly type: 'faults'; readonly rules: faults.FaultRules }
  | { readonly type: 'config'; readonly stamp: roomConfig.ConfigStamp }
  | { readonly type: 'remove'; readonly id: string }
  | projector.WatchFrame;

/** The teacher-only commands a `refused` frame may name. */
export type Command = 'faults' | 'time' | 'config' | 'remove';
const commands: readonly unknown[] = ['faults', 'time', 'config', 'remove'] satisfies readonly Command[];

export type ServerMessage =
  | { readonly type: 'welcome'; readonly nodeId: string; readonly role: Role }
  | { readonly type: 'presence'; readonly members: readonly string[]; readonly last: boolean }
  | { readonly type: 'join'; readonly id: string }
  | { readonly type: 'leave'; readonly id: string }
  | { readonly type: 'refused'; readonly command: Command; readonly reason: string }
  | { readonly type: 'config'; readonly from: string; readonly stamp: roomConfig.ConfigStamp | null }
  | { readonly type: 'removal'; readonly from: string; readonly id: string }
  | { readonly type: 'signal'; readonly from: string; readonly data: SignalPayload }
  | { readonly type: 'faults'; readonly from: string; readonly rules: faults.FaultRules }
  | { readonly type: 'time'; readonly from: string; readonly setting: timeControl.TimeSetting }
  | ({ readonly type: 'events'; readonly from: string } & projector.EventsFrame);

export type { Parsed } from './frame-parse.js';

export const isNodeId = faults.isNodeId;

/** Parses and validates one text frame from a client. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const m = json.value;
  if (!isRecord(m)) return bad('expected a JSON object');
  switch (m.type) {
    case 'hello': {
      const keys = Object.keys(m);
      if (!keys.every((k) => ['type', 'secret', 'nodeId', 'teacher', 'observe'].includes(k))) return bad('hello: expected { type, secret, nodeId?, teacher?, observe? }');
      if (m.observe !== undefined && (m.observe !== true || m.nodeId !== undefined)) return bad('hello: observe must be true, and an observer names no node id');
      if (!isSecret(m.secret)) return bad(`hello: secret must match [A-Za-z0-9_-]{${secretCharsMin},${tokenCharsMax}}`);
      if (m.nodeId !== undefined && !isNodeId(m.nodeId)) return bad('hello: nodeId must match [A-Za-z0-9_-]{1,64}');
      if (m.teacher !== undefined && !isTeacherToken(m.teacher)) return bad(`hello: teacher must match [A-Za-z0-9_-]{1,${tokenCharsMax}}`);
      return ok({
        type: 'hello', secret: m.secret,
        ...(m.nodeId !== undefined ? { nodeId: m.nodeId } : {}),
        ...(m.teacher !== undefined ? { teacher: m.teacher } : {}),
        ...(m.observe === true ? { observe: true as const } : {}),
      });
    }
    case 'signal': {
      if (!exactKeys(m, ['type', 'to', 'data'])) return bad('signal: expected { type, to, data }');
      if (!isNodeId(m.to)) return bad('signal: to must be a node id');
      const data = validatePayload(m.data);
      return data.ok ? ok({ type: 'signal', to: m.to, data: data.value }) : bad(`signal: ${data.reason}`);
    }
    case 'faults': {
      if (!exactKeys(m, ['type', 'rules'])) return bad('faults: expected { type, rules }');
      const rules = faults.validate(m.rules);
      return rules.ok ? ok({ type: 'faults', rules: rules.rules }) : bad(`faults: ${rules.reason}`);
    }
    case 'config': {
      if (!exactKeys(m, ['type', 'stamp'])) return bad('config: expected { type, stamp }');
      const stamp = roomConfig.validate(m.stamp);
      return stamp.ok ? ok({ type: 'config', stamp: stamp.value }) : bad(`config: ${stamp.reason}`);
    }
    case 'remove':
      return exactKeys(m, ['type', 'id']) && isNodeId(m.id) ? ok({ type: 'remove', id: m.id }) : bad('remove: expected { type, id } with a node id');
    case 'time':
      return exactKeys(m, ['type', 'setting']) ? watchFrame(m) : bad('time: expected { type, setting }');
    case 'events':
      return exactKeys(m, ['type', 'status', 'events', 'dropped']) ? watchFrame(m) : bad('events: expected { type, status, events, dropped }');
    default:
      return bad(`unknown message type ${JSON.stringify(String(m.type)).slice(0, 40)}`);
  }
}

/** Parses and validates one text frame from the server (the client trusts nothing either). */
export function parseServerMessage(text: string): Parsed<ServerMessage> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const m = json.value;
  if (!isRecord(m)) return bad('expected a JSON object');
  switch (m.type) {
    case 'welcome':
      if (!isNodeId(m.nodeId) || (m.role !== 'teacher' && m.role !== 'student')) return bad('welcome: bad nodeId or role');
      return ok({ type: 'welcome', nodeId: m.nodeId, role: m.role });
    case 'presence':
      if (typeof m.last !== 'boolean') return bad('presence: bad last');
      return Array.isArray(m.members) && m.members.every(isNodeId) ? ok({ type: 'presence', members: m.members, last: m.last }) : bad('presence: bad members');
    case 'join':
    case 'leave':
      return isNodeId(m.id) ? ok({ type: m.type, id: m.id }) : bad(`${m.type}: bad id`);
    case 'refused':
      return commands.includes(m.command) && typeof m.reason === 'string' ? ok({ type: 'refused', command: m.command as Command, reason: m.reason }) : bad('refused: bad shape');
    case 'config': {
      if (typeof m.from !== 'string') return bad('config: bad from');
      const stamp = m.stamp === null ? ok(null) : roomConfig.validate(m.stamp);
      return stamp.ok ? ok({ type: 'config', from: m.from, stamp: stamp.value }) : bad(`config: ${stamp.reason}`);
    }
    case 'removal':
      return isNodeId(m.from) && isNodeId(m.id) ? ok({ type: 'removal', from: m.from, id: m.id }) : bad('removal: bad from or id');
    case 'signal': {
      if (!isNodeId(m.from)) return bad('signal: bad from');
      const data = validatePayload(m.data);
      return data.ok ? ok({ type: 'signal', from: m.from, data: data.value }) : bad(`signal: ${data.reason}`);
    }
    case 'faults': {
      if (typeof m.from !== 'string') return bad('faults: bad from');
      const rules = faults.validate(m.rules);
      return rules.ok ? ok({ type: 'faults', from: m.from, rules: rules.rules }) : bad(`faults: ${rules.reason}`);
    }
    case 'time':
    case 'events':
      return (m.type === 'time' ? typeof m.from === 'string' : isNodeId(m.from)) ? watchFrame(m, m.from as string) : bad(`${m.type}: bad from`);
    default:
      return bad('unknown message type');
  }
}

/**
 * Splits sorted member ids into presence frames that each fit frameBytesMax (ids are ASCII, at most
 * idBytesMax long, so a frame holds at least about a hundred of them). An empty room still gets one frame.
 */
export function presenceFrames(members: readonly string[]): ServerMessage[] {
  const overhead = JSON.stringify({ type: 'presence', members: [], last: false }).length;
  const frames: ServerMessage[] = [];
  let chunk: string[] = [];
  let bytes = overhead;
  for (const id of members) {
    const cost = id.length + 3; // quotes and a comma
    if (chunk.length > 0 && bytes + cost > frameBytesMax) {
      frames.push({ type: 'presence', members: chunk, last: false });
      chunk = [];
      bytes = overhead;
    }
    chunk.push(id);
    bytes += cost;
  }
  frames.push({ type: 'presence', members: chunk, last: true });
  return frames;
}

/** UTF-8 length of a frame, as the cap counts it. */
export function frameBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A time or events frame: as a member sent it (no `from`), or as the server relays it (`from` set). */
function watchFrame(m: Record<string, unknown>): Parsed<ClientMessage>;
function watchFrame(m: Record<string, unknown>, from: string): Parsed<ServerMessage>;
function watchFrame(m: Record<string, unknown>, from?: string): Parsed<ClientMessage | ServerMessage> {
  const frame = projector.parseWatchFrame(m);
  if (!frame.ok) return frame;
  return ok(from === undefined ? frame.value : { ...frame.value, from });
}
