/**
 * The relay of the signaling server (server.ts): the rooms of one server and their sockets, after
 * admission. It must hold when anyone on the network, or any web page, talks to it (README, "Security model"):
 *
 * - Node ids: a hello binds its id to its secret while a socket holds it. The same secret again (a reload,
 *   a reconnection) wins and closes the older socket with 4410; another secret is refused with 4409 "node
 *   id in use by another tab". An id no socket holds is free to take. Without an id, the first free `nN`.
 * - Authority: a hello whose teacher token matches (constant-time) makes the socket a teacher; only a
 *   teacher may set fault rules or time, configure the cluster or remove a member (each stamped with the
 *   sender's id and sent to every member). Others get a `refused` frame. A config must order after the
 *   room's stamped one (room-config.ts): of two concurrent changes the second is refused, naming the first.
 * - Presence: the members in chunks after welcome, then join/leave deltas; every frame fits frameBytesMax.
 * - Back-pressure: before each send the socket's outgoing buffer is checked; past sendBufferBytesMax the
 *   socket is closed with 4508 (and cut a second later if it does not read its close frame).
 * - Validation: frames over frameBytesMax close with 4413 (past 4x that, `ws` closes with 1009); malformed
 *   JSON, unknown shapes, invalid ids, binary frames, a second hello or a frame before hello close with 4400;
 *   a full room with 4403; more frames than the token bucket allows with 4429; no hello in time with 4408.
 * - Dead sockets: every pingIntervalMs each socket must have answered the previous ping, or it is terminated.
 * - State: each room's members, CURRENT fault rules, time setting and stamped config (forgotten when the room
 *   empties or the server stops: the teacher's tab re-asserts rules and config, runtime/*-keeper.ts);
 *   observers (the projector view, observers.ts) get presence, rules, time and members' events.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import * as faults from '../src/protocol/faults.js';
import * as roomConfig from '../src/protocol/room-config.js';
import * as protocol from '../src/protocol/signaling.js';
import * as timeControl from '../src/protocol/time-control.js';
import { createRoomWatch } from './observers.js';

/** What a student's (or a modified tab's) teacher-only command gets back; the page API says the same. */
export const teacherOnly = 'teacher only: open the teacher link printed by npm start';

/** The relay's bounds and timings, already defaulted by server.ts. */
export interface RelayOptions {
  readonly pingIntervalMs: number;
  readonly helloTimeoutMs: number;
  readonly rate: { readonly burst: number; readonly perSecond: number };
  readonly roomMembersMax: number;
  readonly roomsMax: number;
  readonly sendBufferBytesMax: number;
  /** How long a slow consumer has to take its close frame before the socket is cut. */
  readonly slowCloseGraceMs: number;
  readonly teacherToken: string | undefined;
  readonly log: (line: string) => void;
}

export interface Relay {
  /** Takes an upgraded socket into `room` (the room id is checked here: a bad one closes with 4400). */
  accept(ws: WebSocket, room: string): void;
  /** Stops the pinger and terminates every socket. */
  close(): void;
}

interface Client {
  readonly ws: WebSocket;
  readonly room: string;
  nodeId: string | undefined;
  secret: string;
  role: protocol.Role;
  alive: boolean;
  closing: boolean;
  tokens: number;
  refilledAtMs: number;
  helloTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Room {
  readonly members: Map<string, Client>;
  rules: faults.FaultRules;
  /** The room's latest stamped cluster config, if a teacher set one since the room opened. */
  config: roomConfig.ConfigStamp | undefined;
}

/** Equal-length digests, so the comparison takes the same time whatever the inputs' lengths and contents. */
function sameToken(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function createRelay(opts: RelayOptions): Relay {
  const { pingIntervalMs, helloTimeoutMs, rate, roomMembersMax, roomsMax, sendBufferBytesMax, log } = opts;
  const rooms = new Map<string, Room>();
  const clients = new Set<Client>();
  // Observers (the projector view) and the rooms' time settings: observers.ts.
  const watch = createRoomWatch<Client>((client, message) => send(client, message), roomsMax);

  function accept(ws: WebSocket, room: string): void {
    const client: Client = {
      ws, room, nodeId: undefined, secret: '', role: 'student', alive: true, closing: false,
      tokens: rate.burst, refilledAtMs: performance.now(), helloTimer: undefined,
    };
    clients.add(client);
    ws.on('pong', () => { client.alive = true; });
    ws.on('error', (e) => log(`socket error (${client.nodeId ?? 'no hello'}): ${e.message}`));
    ws.on('close', () => leave(client));
    if (!protocol.isNodeId(room)) return reject(client, protocol.closeCodes.badMessage, 'room id must match [A-Za-z0-9_-]{1,64}');
    client.helloTimer = setTimeout(() => reject(client, protocol.closeCodes.helloTimeout, 'no hello in time'), helloTimeoutMs);
    ws.on('message', (data, isBinary) => onFrame(client, data, isBinary));
  }

  function onFrame(client: Client, data: RawData, isBinary: boolean): void {
    if (client.closing) return;
    if (!takeToken(client)) return reject(client, protocol.closeCodes.rateLimited, 'rate limit exceeded');
    if (isBinary) return reject(client, protocol.closeCodes.badMessage, 'binary frames are not accepted');
    const bytes = rawBytes(data);
    if (bytes.length > protocol.frameBytesMax) {
      return reject(client, protocol.closeCodes.tooLarge, `frame of ${bytes.length} bytes exceeds ${protocol.frameBytesMax}`);
    }
    const parsed = protocol.parseClientMessage(bytes.toString('utf8'));
    if (!parsed.ok) return reject(client, protocol.closeCodes.badMessage, parsed.reason);
    const m = parsed.value;
    if (m.type !== 'hello' && client.nodeId === undefined) return reject(client, protocol.closeCodes.badMessage, 'hello first');
    switch (m.type) {
      case 'hello': return hello(client, m);
      case 'signal': {
        const target = rooms.get(client.room)?.members.get(m.to);
        // A target that just left is a race, not a violation: the signal is dropped.
        if (target) send(target, { type: 'signal', from: client.nodeId as string, data: m.data });
        return;
      }
      case 'faults':
      case 'config':
      case 'remove':
        return roomCommand(client, m);
      case 'time': {
        if (client.role !== 'teacher') return send(client, { type: 'refused', command: 'time', reason: teacherOnly });
        const problem = watch.setTime(client.room, client.nodeId as string, m.setting, rooms.get(client.room)?.members.values() ?? []);
        if (problem !== undefined) return send(client, { type: 'refused', command: 'time', reason: problem });
        return log(`room ${client.room}: teacher ${client.nodeId} set time: ${timeControl.describe(m.setting)}`);
      }
      case 'events':
        if (watch.isObserver(client.room, client)) return reject(client, protocol.closeCodes.badMessage, 'an observer sends no events');
        return watch.tell(client.room, { ...m, from: client.nodeId as string });
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  /** A teacher-only command that changes the room: checked, stamped with the sender's id, sent to every member. */
  function roomCommand(client: Client, m: Extract<protocol.ClientMessage, { type: 'faults' | 'config' | 'remove' }>): void {
    const room = rooms.get(client.room);
    const from = client.nodeId as string;
    if (!room) return;
    if (client.role !== 'teacher') {
      log(`room ${client.room}: ${from} (not a teacher) tried ${m.type}: refused`);
      return send(client, { type: 'refused', command: m.type, reason: teacherOnly });
    }
    let frame: protocol.ServerMessage;
    switch (m.type) {
      case 'faults':
        room.rules = m.rules;
        frame = { type: 'faults', from, rules: m.rules };
        log(`room ${client.room}: teacher ${from} set faults: ${faults.describe(m.rules)}`);
        // The projector shows the rules in force too (it got them only once, when it said hello).
        watch.tell(client.room, frame);
        break;
      case 'config':
        if (!roomConfig.newer(m.stamp, room.config)) {
          const now = room.config as roomConfig.ConfigStamp; // defined: anything is newer than none
          return send(client, { type: 'refused', command: 'config', reason: `configuration changed concurrently by ${now.by}: now ${roomConfig.describe(now)}; retry` });
        }
        room.config = m.stamp;
        frame = { type: 'config', from, stamp: m.stamp };
        log(`room ${client.room}: teacher ${from} set config ${roomConfig.describe(m.stamp)}`);
        break;
      case 'remove':
        frame = { type: 'removal', from, id: m.id };
        log(`room ${client.room}: teacher ${from} removed ${m.id}`);
        break;
      default: {
        const never: never = m;
        return never;
      }
    }
    for (const member of room.members.values()) send(member, frame);
  }

  /** An observer: welcome, the room as it is, then deltas, fault rules, time and the members' events. */
  function observe(client: Client, m: protocol.Hello): void {
    const problem = watch.addObserver(client.room, client);
    if (problem !== undefined) return reject(client, protocol.closeCodes.tooManyRooms, problem);
    clearTimeout(client.helloTimer);
    client.nodeId = protocol.observerId;
    client.role = opts.teacherToken !== undefined && m.teacher !== undefined && sameToken(m.teacher, opts.teacherToken) ? 'teacher' : 'student';
    log(`room ${client.room}: an observer joined as ${client.role}`);
    const room = rooms.get(client.room);
    send(client, { type: 'welcome', nodeId: protocol.observerId, role: client.role });
    for (const frame of protocol.presenceFrames([...(room?.members.keys() ?? [])].sort())) send(client, frame);
    send(client, { type: 'faults', from: '', rules: room?.rules ?? faults.noFaults });
    send(client, { type: 'time', from: '', setting: watch.time(client.room) });
  }

  function hello(client: Client, m: protocol.Hello): void {
    if (client.nodeId !== undefined) return reject(client, protocol.closeCodes.badMessage, 'hello twice');
    if (m.observe === true) return observe(client, m);
    const existing = rooms.get(client.room);
    if (!existing && rooms.size >= roomsMax) return reject(client, protocol.closeCodes.tooManyRooms, `server holds its maximum of ${roomsMax} rooms`);
    const room: Room = existing ?? { members: new Map<string, Client>(), rules: faults.noFaults, config: undefined };
    const nodeId = m.nodeId ?? firstFreeName(room);
    const older = room.members.get(nodeId);
    if (older && !sameToken(older.secret, m.secret)) {
      return reject(client, protocol.closeCodes.idInUse, `node id ${nodeId} is in use by another tab`);
    }
    if (!older && room.members.size >= roomMembersMax) return reject(client, protocol.closeCodes.roomFull, `room is full (${roomMembersMax} members)`);
    rooms.set(client.room, room);
    clearTimeout(client.helloTimer);
    client.nodeId = nodeId;
    client.secret = m.secret;
    client.role = opts.teacherToken !== undefined && m.teacher !== undefined && sameToken(m.teacher, opts.teacherToken) ? 'teacher' : 'student';
    room.members.set(nodeId, client);
    if (older) reject(older, protocol.closeCodes.replaced, 'replaced by a newer connection of the same tab');
    log(`room ${client.room}: ${nodeId} joined as ${client.role} (${room.members.size} present)`);
    send(client, { type: 'welcome', nodeId, role: client.role });
    for (const frame of protocol.presenceFrames([...room.members.keys()].sort())) send(client, frame);
    send(client, { type: 'faults', from: '', rules: room.rules });
    send(client, { type: 'time', from: '', setting: watch.time(client.room) });
    send(client, { type: 'config', from: '', stamp: room.config ?? null });
    if (!older) for (const member of room.members.values()) if (member !== client) send(member, { type: 'join', id: nodeId });
    if (!older) watch.tell(client.room, { type: 'join', id: nodeId });
  }

  /** The first `nN` (n1, n2, ...) no socket of the room holds. */
  function firstFreeName(room: Room): string {
    for (let i = 1; ; i++) if (!room.members.has(`n${i}`)) return `n${i}`;
  }

  function leave(client: Client): void {
    clients.delete(client);
    clearTimeout(client.helloTimer);
    const room = rooms.get(client.room);
    watch.remove(client.room, client, room?.members.size ?? 0);
    if (client.nodeId === undefined || room?.members.get(client.nodeId) !== client) return;
    room.members.delete(client.nodeId);
    log(`room ${client.room}: ${client.nodeId} left (${room.members.size} present)`);
    if (room.members.size === 0) rooms.delete(client.room);
    else for (const member of room.members.values()) send(member, { type: 'leave', id: client.nodeId });
    watch.tell(client.room, { type: 'leave', id: client.nodeId });
    if (room.members.size === 0) watch.remove(client.room, client, 0);
  }

  function send(client: Client, message: protocol.ServerMessage): void {
    const ws = client.ws;
    if (client.closing || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > sendBufferBytesMax) {
      reject(client, protocol.closeCodes.slowConsumer, `slow consumer: over ${sendBufferBytesMax} bytes waiting to be sent`);
      // It is not reading, so it will not read its close frame either: cut it after a grace period.
      setTimeout(() => ws.terminate(), opts.slowCloseGraceMs).unref();
      return;
    }
    ws.send(JSON.stringify(message));
  }

  function takeToken(client: Client): boolean {
    const nowMs = performance.now();
    client.tokens = Math.min(rate.burst, client.tokens + ((nowMs - client.refilledAtMs) / 1000) * rate.perSecond);
    client.refilledAtMs = nowMs;
    if (client.tokens < 1) return false;
    client.tokens -= 1;
    return true;
  }

  function reject(client: Client, code: number, reason: string): void {
    log(`closing ${client.nodeId ?? 'socket'} in room ${client.room}: ${code} ${reason}`);
    client.closing = true;
    client.ws.close(code, reason.slice(0, 120)); // a close reason is at most 123 bytes
  }

  const pinger = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        log(`dropping dead socket ${client.nodeId ?? ''} in room ${client.room}`);
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }, pingIntervalMs);

  return {
    accept,
    close: () => {
      clearInterval(pinger);
      for (const client of clients) {
        clearTimeout(client.helloTimer);
        client.ws.terminate();
      }
    },
  };
}

function rawBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}
