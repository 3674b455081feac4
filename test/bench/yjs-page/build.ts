/** Builds the Yjs baseline page with Vite's build API into a temporary directory; returns that directory. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export async function buildYjsPage(): Promise<string> {
  const root = path.dirname(fileURLToPath(import.meta.url));
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'tabdynamo-bench-yjs-'));
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    // No simple-peer alias needed: y-webrtc already imports 'simple-peer/simplepeer.min.js' (the browser bundle).
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  });
  return outDir;
}
