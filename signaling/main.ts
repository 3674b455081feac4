/**
 * `npm start` runs this (through scripts/start.mjs): serves dist/ and the signaling WebSocket on one port.
 * From the environment: PORT (default 8080), HOST (default 0.0.0.0, so other machines on the LAN can join),
 * TEACHER_TOKEN (else one kept in DATA_DIR, see teacher-token.ts), ALLOWED_ORIGINS (comma-separated origins
 * allowed to open the WebSocket besides the server's own), SIGNALING_LOG (any value: log every event).
 * Prints two links: the class link for students and the teacher link (with the token in its fragment).
 */
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { teacherToken } from './teacher-token.js';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`tabdynamo: PORT must be an integer in 0..65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
const token = teacherToken(process.env, process.cwd());
if (!token.ok) {
  console.error(`tabdynamo: ${token.error}`);
  process.exit(2);
}
const allowedOrigins = (process.env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
const staticDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** The machine's IPv4 addresses other than loopback: what another laptop on the LAN would open. */
function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => (a as { address: string }).address);
}

const server = await startServer({
  port,
  host,
  staticDir,
  teacherToken: token.token,
  allowedOrigins,
  log: process.env.SIGNALING_LOG ? (line) => console.log(`signaling: ${line}`) : undefined,
});
const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
const lan = host === '0.0.0.0' || host === '::' ? lanAddresses() : [];
const others = lan.length > 0 ? ` (and ${lan.map((a) => `http://${a}:${server.port}`).join(', ')} from other machines)` : '';
console.log(`tabdynamo: class link (students): http://${shown}:${server.port}/${others}`);
console.log(`tabdynamo: teacher link (keep it to yourself; it can partition the room): http://${shown}:${server.port}/#teacher=${token.token}`);
console.log(`tabdynamo: the teacher token comes from ${token.from}`);

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`tabdynamo: ${signal}, stopping`);
  server.close().then(() => process.exit(0), (e: unknown) => {
    console.error(`tabdynamo: error while stopping: ${String(e)}`);
    process.exit(1);
  });
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
