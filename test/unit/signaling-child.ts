/**
 * A signaling server in its own process, so a test can measure the server's memory alone (the test's own
 * clients would otherwise be counted). Started with `--expose-gc`; options come as JSON in argv[2].
 * Tells the parent its signal URL, then answers each 'mem' message with the heap and Buffer bytes it
 * retains after a full garbage collection.
 */
import { startServer, type ServerOptions } from '../../signaling/server.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
const server = await startServer({ ...options, port: 0, host: '127.0.0.1' });
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('signaling-child: run with --expose-gc');

function retainedBytes(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

process.on('message', (message) => {
  if (message === 'mem') process.send?.({ retainedBytes: retainedBytes() });
  if (message === 'stop') void server.close().then(() => process.exit(0));
});
process.send?.({ signalUrl: server.signalUrl, retainedBytes: retainedBytes() });
