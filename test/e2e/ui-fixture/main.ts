/**
 * Test-only entry: <dynamo-app> over four REAL nodes running in this page (cluster.ts: the real core in the
 * real runtime loop, over in-memory storage and an in-memory network with the room's fault rules), adapted
 * to the UI by the app's own adapter. Never part of the product bundle. `window.fixture.show(id)` points the
 * app at another node, standing in for switching to another tab.
 */
import '../../../src/ui/dynamo-app.js';
import type { SignalingState } from '../../../src/runtime/signaling-client.js';
import { startCluster } from './cluster.js';

// n1 and n2 share a host (two tabs of one browser), n3 and n4 are hosts of their own.
const specs = [
  { id: 'n1', host: 'k3f9a1c2e7d4' }, { id: 'n2', host: 'k3f9a1c2e7d4' },
  { id: 'n3', host: 'b81d04ee52a6' }, { id: 'n4', host: 'e5c7a90f13b8' },
];

const app = document.createElement('dynamo-app');
document.body.append(app);

const cluster = await startCluster(specs);
app.backend = cluster.node('n1').backend;

const fixture = {
  ids: specs.map((s) => s.id),
  /** Shows the app as node `id` sees it (another tab of the same cluster). */
  show(id: string): void {
    app.backend = cluster.node(id).backend;
  },
  setSignaling(id: string, state: SignalingState, detail: string): void {
    cluster.node(id).setSignaling(state, detail);
  },
  /** True once every node is ready and sees every node alive (the ring has formed everywhere). */
  settled(): boolean {
    return cluster.nodes.every((n) => n.settled(cluster.nodes.length));
  },
};
Object.assign(window, { fixture });
