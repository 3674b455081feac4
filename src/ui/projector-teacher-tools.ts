/**
 * In the teacher's tab only: a link to the projector view of this room and the room's time controls
 * (<projector-time-control> over kv.pause() and friends), placed in the page's status bar so no view of
 * <dynamo-app> has to change. A class-link tab gets nothing (the server decides who the teacher is).
 */
import type { SignalingClient } from '../runtime/signaling-client.js';
import type { TimeKv } from '../runtime/time-api.js';
import './projector-time-control.js';

/** The projector's address for this room; the token rides in the fragment, which never reaches a server. */
export function projectorLink(room: string, teacherToken: string | undefined): string {
  return `/?view=class&room=${encodeURIComponent(room)}${teacherToken !== undefined ? `#teacher=${encodeURIComponent(teacherToken)}` : ''}`;
}

export function mountTeacherTools(signaling: SignalingClient, kv: TimeKv, room: string, teacherToken: string | undefined): void {
  let mounted = false;
  signaling.onWelcome((_id, role) => {
    const bar = document.getElementById('status-bar');
    if (role !== 'teacher' || mounted || !bar) return;
    mounted = true;
    const link = document.createElement('a');
    link.href = projectorLink(room, teacherToken);
    link.target = '_blank';
    link.textContent = 'Projector view';
    link.id = 'projector-link';
    link.style.cssText = 'color:#6cb6ff;margin-left:12px';
    const controls = document.createElement('projector-time-control');
    controls.controls = kv;
    controls.authority = 'teacher';
    controls.setting = signaling.time();
    controls.setAttribute('compact', '');
    controls.style.cssText = 'margin-left:12px';
    signaling.onTime((setting) => { controls.setting = setting; });
    bar.append(link, controls);
  });
}
