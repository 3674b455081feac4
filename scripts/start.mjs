#!/usr/bin/env node
// `npm start`: builds the app with Vite when dist/ is missing or older than its sources, then runs the
// signaling server (signaling/main.ts, through tsx's loader in this same process) serving dist/ and the
// WebSocket on one port. PORT, HOST, TEACHER_TOKEN, DATA_DIR and ALLOWED_ORIGINS are read by signaling/main.ts,
// which prints the class link and the teacher link.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(root, p));
const builtIndex = join(root, 'dist', 'index.html');

/** Newest modification time (ms) of a file, or of any file under a directory; 0 when absent. */
function newestMtimeMs(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

function needsBuild() {
  if (!existsSync(builtIndex)) return 'dist/ is missing';
  const builtMs = statSync(builtIndex).mtimeMs;
  const changed = sources.find((p) => newestMtimeMs(p) > builtMs);
  return changed ? `${changed.slice(root.length + 1)} changed since the last build` : undefined;
}

const reason = needsBuild();
if (reason) {
  console.log(`tabdynamo: building the app (${reason})...`);
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    console.error('tabdynamo: vite is not installed: run `npm install` first');
    process.exit(1);
  }
  const built = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    console.error(`tabdynamo: the build failed (${built.error?.message ?? `exit ${built.status}`})`);
    process.exit(1);
  }
}

const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(join(root, 'signaling', 'main.ts')).href);
