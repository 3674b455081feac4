/** Builds the IndexedDB micro-benchmark page (main.ts, with the real idb-store) into a temporary directory. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export async function buildIdbTxPage(): Promise<string> {
  const root = path.dirname(fileURLToPath(import.meta.url));
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'tabdynamo-bench-idbtx-'));
  await build({ configFile: false, root, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022', minify: false } });
  return outDir;
}
