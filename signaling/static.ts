/**
 * Serves the built app (dist/) read-only: GET and HEAD only, correct content types, index.html for paths
 * without an extension (the app has one page), and no way out of the root directory (a decoded path that
 * escapes it, contains a NUL or a backslash is refused with 403).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

/**
 * Sent with every static response. Scripts only from this origin (the built index.html has none inline);
 * styles also inline (index.html's <style> and Lit templates' style attributes); WebSockets to any host
 * (ws:/wss: cannot be narrowed to "self" in CSP level 2 browsers); no framing (clickjacking), no referrer
 * (a teacher link must never leak), no MIME sniffing.
 */
export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    "connect-src 'self' ws: wss:", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export type Resolved = { readonly ok: true; readonly file: string } | { readonly ok: false; readonly status: 400 | 403 };

/** Maps a request path to a file under `root`, or refuses it. Pure apart from path arithmetic. */
export function resolvePath(root: string, urlPath: string): Resolved {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch (e) {
    void e; // a malformed %-escape is the client's error: answer 400
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 403 };
  const absoluteRoot = path.resolve(root);
  const file = path.resolve(absoluteRoot, `.${path.posix.normalize(`/${decoded}`)}`);
  if (file !== absoluteRoot && !file.startsWith(absoluteRoot + path.sep)) return { ok: false, status: 403 };
  if (decoded.split('/').includes('..')) return { ok: false, status: 403 };
  return { ok: true, file };
}

export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
  const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
  const resolved = resolvePath(root, urlPath);
  if (!resolved.ok) return end(res, resolved.status, resolved.status === 400 ? 'bad request' : 'forbidden');
  let file = resolved.file;
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = path.join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  } else if (!info && path.extname(file) === '') {
    file = path.join(path.resolve(root), 'index.html'); // the app's own routes, e.g. /?room=x or /demo
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) return end(res, 404, 'not found');
  // Source maps are not built (vite.config.ts); if one is left in dist/, it is still not served.
  if (path.extname(file).toLowerCase() === '.map') return end(res, 404, 'not found');
  const type = contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'content-type': type,
    'content-length': info.size,
    ...securityHeaders,
    // Vite fingerprints assets; index.html must be re-read so a rebuilt app is picked up.
    'cache-control': path.basename(file) === 'index.html' ? 'no-cache' : 'public, max-age=3600',
  });
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file);
  stream.on('error', (e) => res.destroy(e));
  stream.pipe(res);
}

function end(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders, ...headers });
  res.end(`${status} ${text}\n`);
}
