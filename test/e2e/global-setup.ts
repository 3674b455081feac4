/**
 * Builds the app once (vite build into dist/) before any end-to-end spec runs, so every spec serves the
 * same, current build. Set E2E_SKIP_BUILD=1 to reuse an existing dist/ (e.g. right after `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function globalSetup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (process.env.E2E_SKIP_BUILD && existsSync(path.join(root, 'dist', 'index.html'))) return;
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const built = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`e2e global setup: vite build failed (${built.error?.message ?? `exit ${built.status}`})`);
}
