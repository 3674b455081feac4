/**
 * The projector page's composition root (/?view=class&room=R, from the teacher's tab with its token): an
 * OBSERVER of the room, not a storage node. It says hello with `observe: true` to the signaling server, which
 * sends it the room's presence, fault rules and time setting and relays every member's compact message events
 * and status (protocol/projector.ts). Why not a data-channel member: it would need a non-storage member kind
 * in the core's membership and ring, and one WebRTC link per node; the server relay needs neither, carries no
 * values, and is bounded and rate-limited like every other signaling frame.
 */
import * as identity from './browser/identity.js';
import * as faults from './protocol/faults.js';
import { createSignalingClient, signalUrlFor } from './runtime/signaling-client.js';
import * as timeApi from './runtime/time-api.js';
import { teacherOnlyMessage } from './runtime/page-api.js';
import * as model from './ui/projector-model.js';
import './ui/projector-view.js';

/** What tests and the console can read of the projector (window.projector). */
export interface ProjectorApi extends timeApi.TimeKv {
  role(): string;
  /**
   * Node names known, messages drawn in flight now (in all and by kind), the Q of the last ring the nodes
   * agreed on (0: none yet) and what the last change moved, and the Merkle drawing's partition and lit cells.
   */
  state(): {
    nodes: string[]; frames: Record<string, number>; inFlight: number; kinds: string[]; byKind: Record<string, number>;
    agreedPartitions: number; moved: string | undefined;
    merkle: { partition: number; level1: number; buckets: number; pushed: string[]; messages: number } | undefined;
  };
}

export function startProjector(): void {
  const params = new URLSearchParams(location.search);
  const room = params.get('room') ?? identity.defaultRoom;
  const teacher = identity.resolveTeacher(location.hash, sessionStorage);
  if (location.hash.includes('teacher=')) history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  const view = document.createElement('projector-view');
  document.body.replaceChildren(view);
  document.title = `projector · room ${room}`;
  if (!identity.isValidId(room) || !teacher.ok) {
    document.body.textContent = !teacher.ok ? teacher.error : `?room= must match [A-Za-z0-9_-]{1,64}, got "${room}"`;
    return;
  }
  const signaling = createSignalingClient({
    url: signalUrlFor(location.href), room, observe: true,
    ...(teacher.token !== undefined ? { teacherToken: teacher.token } : {}),
  });
  const state = model.create(performance.now());
  const controls = timeApi.create({
    channel: { current: () => signaling.time(), publish: (s) => signaling.publishTime(s), onSetting: (h) => signaling.onTime(h) },
    teacherProblem: () => (signaling.role() === 'teacher' ? undefined : signaling.role() === 'student' ? teacherOnlyMessage : 'not yet connected to the signaling server'),
    echoTimeoutMs: 5000, tick: () => undefined,
  });
  view.state = state;
  view.room = room;
  view.controls = controls;
  signaling.onWelcome((_id, role) => { view.authority = role; });
  signaling.onState((s) => { view.connection = s; });
  signaling.onPresence((ids) => model.presence(state, ids));
  signaling.onEvents((from, frame) => model.frame(state, performance.now(), from, frame));
  signaling.onTime((setting) => model.setTime(state, performance.now(), setting));
  signaling.onFaults((rules) => { view.faultsText = faults.describe(rules); view.faults = rules; });
  const api: ProjectorApi = {
    ...controls,
    role: () => signaling.role() ?? 'unknown',
    state: () => {
      const flights = model.inFlight(state, performance.now());
      const m = state.merkle;
      const byKind: Record<string, number> = {};
      for (const { flight } of flights) byKind[flight.kind] = (byKind[flight.kind] ?? 0) + 1;
      return {
        nodes: [...state.nodes.keys()], frames: Object.fromEntries([...state.nodes.values()].map((n) => [n.id, n.frames])), inFlight: flights.length, kinds: Object.keys(byKind), byKind,
        agreedPartitions: state.owners.length, moved: state.moves?.text,
        merkle: m ? { partition: m.partition, level1: m.level1.size, buckets: m.buckets.size, pushed: [...m.pushed], messages: m.messages } : undefined,
      };
    },
  };
  (window as unknown as { projector: ProjectorApi }).projector = api;
}
