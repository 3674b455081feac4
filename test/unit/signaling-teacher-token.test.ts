// Where the teacher token comes from: TEACHER_TOKEN, else a file made once (mode 0600) and reused across restarts.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { teacherToken } from '../../signaling/teacher-token.js';

let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('teacher token', () => {
  it('TEACHER_TOKEN wins; an invalid one is refused', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tabdynamo-token-'));
    expect(teacherToken({ TEACHER_TOKEN: 't' }, dir)).toEqual({ ok: true, token: 't', from: 'TEACHER_TOKEN' });
    expect(teacherToken({ TEACHER_TOKEN: 'has space' }, dir).ok).toBe(false);
  });

  it('without TEACHER_TOKEN, makes one in DATA_DIR (mode 0600) and keeps it across restarts', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tabdynamo-token-'));
    const first = teacherToken({ DATA_DIR: 'data' }, dir);
    if (!first.ok) throw new Error(first.error);
    const file = path.join(dir, 'data', 'teacher-token');
    expect(first.from).toBe(file);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(teacherToken({ DATA_DIR: 'data' }, dir)).toEqual(first);
    const other = teacherToken({}, dir); // default: .tabdynamo under the working directory
    expect(other.ok && other.from).toBe(path.join(dir, '.tabdynamo', 'teacher-token'));
    writeFileSync(file, 'not a token!\n');
    expect(teacherToken({ DATA_DIR: 'data' }, dir)).toEqual({ ok: false, error: `${file} does not hold a valid token: delete it to make a new one` });
  });
});
