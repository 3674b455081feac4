/**
 * The room's fault rules outlive a signaling restart. The server keeps a room's rules in memory only, so a
 * restarted server greets every reconnecting tab with "no faults", and an active partition would silently
 * heal. The teacher's tab is where the rules came from: it remembers the last rules the room had, and when
 * it reconnects and the server's greeting (the first rules after a welcome) says "no faults" while the room
 * had some, it publishes them again; every member then gets them as usual.
 *
 * Only a greeting of "no faults" is overridden: a server that kept running answers with the rules it holds,
 * which this tab adopts (another teacher tab may have changed them meanwhile). What remains: student tabs that
 * reconnect before the teacher's tab run without faults until it is back.
 */
import * as faults from '../protocol/faults.js';
import type { SignalingClient } from './signaling-client.js';

type Signaling = Pick<SignalingClient, 'onWelcome' | 'onFaults' | 'publishFaults' | 'role'>;

/** Installs the keeper on a signaling client; returns how many times it re-asserted the rules (for tests). */
export function keepFaults(signaling: Signaling): { reasserted: () => number } {
  let remembered: faults.FaultRules = faults.noFaults;
  let greeting = false;
  let reasserted = 0;
  signaling.onWelcome(() => { greeting = true; });
  signaling.onFaults((rules) => {
    const wasGreeting = greeting;
    greeting = false;
    if (wasGreeting && faults.isHealthy(rules) && !faults.isHealthy(remembered) && signaling.role() === 'teacher') {
      // The echo of this publish arrives through onFaults like any change and is remembered then.
      if (signaling.publishFaults(remembered)) reasserted++;
      return;
    }
    remembered = rules;
  });
  return { reasserted: () => reasserted };
}
