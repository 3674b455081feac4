/**
 * Test-only entry: <dynamo-app> over the in-memory fake cluster (src/ui/fake-backend.ts), never part of
 * the product bundle. `window.fixture.show(id)` points the app at another node, standing in for another tab.
 */
import '../../../src/ui/dynamo-app.js';
import { createFakeWorld } from '../../../src/ui/fake-backend.js';
import type { SignalingState } from '../../../src/ui/backend.js';

const ids = ['tab-amber', 'tab-basil', 'tab-cedar', 'tab-dune'];
const world = createFakeWorld(ids);
const app = document.createElement('dynamo-app');
app.backend = world.backend(ids[0]!);
document.body.append(app);

const fixture = {
  ids,
  world,
  /** Shows the app as node `id` sees it (another tab of the same cluster). */
  show(id: string): void {
    app.backend = world.backend(id);
  },
  setSignaling(id: string, state: SignalingState, detail: string): void {
    world.backend(id).signaling = { state, detail };
    world.cluster.changed();
  },
};
Object.assign(window, { fixture });
