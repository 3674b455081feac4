/**
 * The room's stamped config outlives a signaling restart, as its fault rules do (fault-keeper.ts). The
 * server keeps a room's config in memory only, so a restarted server greets every tab with "none"; members
 * then keep the config they hold (their cores adopt only stamps, core/config-change.ts), but a newcomer
 * would run on its stored or the default one. A teacher's tab holds the config its core adopted from the
 * last stamp: when the server's greeting (the first config frame after a welcome) says none, or a config
 * that orders before it, it proposes its own again; the server keeps it and hands it to every member.
 *
 * Only a greeting is answered: a change afterwards is the room's (another teacher tab's) and is adopted.
 * What remains: without a teacher's tab open at the restart, newcomers run on their own config until a
 * teacher's tab connects or configures.
 */
import * as roomConfig from '../protocol/room-config.js';
import type { SignalingClient } from './signaling-client.js';

type Signaling = Pick<SignalingClient, 'onWelcome' | 'onConfig' | 'publishConfig' | 'role' | 'config'>;

/**
 * Installs the keeper; `held` is the config this node's core holds (undefined: none stamped, the default).
 * Also checks once at once (the greeting may have come before the node started). Returns how many times it
 * re-asserted the config (for tests).
 */
export function keepConfig(signaling: Signaling, held: () => roomConfig.ConfigStamp | undefined): { reasserted: () => number } {
  let greeting = false;
  let reasserted = 0;
  const check = (told: roomConfig.ConfigStamp | undefined) => {
    const mine = held();
    if (mine === undefined || signaling.role() !== 'teacher' || !roomConfig.newer(mine, told)) return;
    if (signaling.publishConfig(mine)) reasserted++;
  };
  signaling.onWelcome(() => { greeting = true; });
  signaling.onConfig((told) => {
    if (!greeting) return;
    greeting = false;
    check(told);
  });
  check(signaling.config());
  return { reasserted: () => reasserted };
}
