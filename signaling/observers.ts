/**
 * The server's part of the projector view: per room, the observers (sockets that said hello with
 * `observe: true`: they watch, they are not members) and the room's time setting (teacher-only, like the
 * fault rules). Members' `events` frames go to the observers of the same room only, never to other members
 * or other rooms; the time setting goes to every member and observer of the room and to each newcomer.
 *
 * Bounds: observers per room (observersPerRoomMax) and rooms with observers or a time setting (roomsMax);
 * each socket's frames are already rate-limited and size-capped by server.ts. A room is forgotten once it
 * has neither members nor observers (its time setting with it, as the fault rules are).
 */
import type * as protocol from '../src/protocol/signaling.js';
import * as timeControl from '../src/protocol/time-control.js';

export const observersPerRoomMax = 16;

interface Watched<C> {
  readonly observers: Set<C>;
  time: timeControl.TimeSetting;
}

export interface RoomWatch<C> {
  /** Adds an observer, or returns why not (too many observers or rooms). */
  addObserver(room: string, client: C): string | undefined;
  isObserver(room: string, client: C): boolean;
  /** Forgets a socket that closed; `membersLeft` is the room's member count after it left. */
  remove(room: string, client: C, membersLeft: number): void;
  /** The room's time setting (normal when none was set). */
  time(room: string): timeControl.TimeSetting;
  /** Stores a teacher's setting and sends it to `members` and every observer of the room. */
  setTime(room: string, from: string, setting: timeControl.TimeSetting, members: Iterable<C>): string | undefined;
  /** Sends a frame to the room's observers (events, presence deltas). */
  tell(room: string, message: protocol.ServerMessage): void;
}

export function createRoomWatch<C>(send: (client: C, message: protocol.ServerMessage) => void, roomsMax: number): RoomWatch<C> {
  const rooms = new Map<string, Watched<C>>();

  function watched(room: string): Watched<C> | string {
    const existing = rooms.get(room);
    if (existing) return existing;
    if (rooms.size >= roomsMax) return `server watches its maximum of ${roomsMax} rooms`;
    const created: Watched<C> = { observers: new Set(), time: timeControl.normalTime };
    rooms.set(room, created);
    return created;
  }

  return {
    addObserver(room, client) {
      const w = watched(room);
      if (typeof w === 'string') return w;
      if (w.observers.size >= observersPerRoomMax) return `room has its maximum of ${observersPerRoomMax} observers`;
      w.observers.add(client);
      return undefined;
    },
    isObserver: (room, client) => rooms.get(room)?.observers.has(client) === true,
    remove(room, client, membersLeft) {
      const w = rooms.get(room);
      if (!w) return;
      w.observers.delete(client);
      if (w.observers.size === 0 && membersLeft === 0) rooms.delete(room);
    },
    time: (room) => rooms.get(room)?.time ?? timeControl.normalTime,
    setTime(room, from, setting, members) {
      const w = watched(room);
      if (typeof w === 'string') return w;
      w.time = setting;
      const frame: protocol.ServerMessage = { type: 'time', from, setting };
      for (const member of members) send(member, frame);
      for (const observer of w.observers) send(observer, frame);
      return undefined;
    },
    tell(room, message) {
      const w = rooms.get(room);
      if (w) for (const observer of w.observers) send(observer, message);
    },
  };
}
