/**
 * The teacher token: TEACHER_TOKEN from the environment (harnesses, a teacher's own choice), or one made
 * once and kept in `<dataDir>/teacher-token` (mode 0600) so the teacher link survives a restart of the
 * server. dataDir is DATA_DIR, else `.tabdynamo` under the working directory.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isTeacherToken, tokenCharsMax } from '../src/protocol/signaling.js';

export type TokenSource = { readonly ok: true; readonly token: string; readonly from: string } | { readonly ok: false; readonly error: string };

export function teacherToken(env: NodeJS.ProcessEnv, cwd: string): TokenSource {
  const given = env.TEACHER_TOKEN;
  if (given !== undefined && given !== '') {
    return isTeacherToken(given)
      ? { ok: true, token: given, from: 'TEACHER_TOKEN' }
      : { ok: false, error: `TEACHER_TOKEN must match [A-Za-z0-9_-]{1,${tokenCharsMax}}` };
  }
  const dir = path.resolve(cwd, env.DATA_DIR ?? '.tabdynamo');
  const file = path.join(dir, 'teacher-token');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (isTeacherToken(stored)) return { ok: true, token: stored, from: file };
    return { ok: false, error: `${file} does not hold a valid token: delete it to make a new one` };
  }
  const token = randomBytes(24).toString('base64url'); // 192 bits, [A-Za-z0-9_-]
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // in case a umask widened it
  return { ok: true, token, from: file };
}
