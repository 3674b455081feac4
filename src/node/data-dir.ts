/**
 * The headless peer's data directory: LevelDB in `DIR/db` (which holds the node's epoch and membership as
 * store records, like a tab's IndexedDB) and `DIR/identity.json`, which ties the directory to one node of
 * one room. A directory started under another --node or --room is refused: taking over another node's
 * versions under a new name would resurrect its clock entries as someone else's.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export interface DirIdentity {
  readonly nodeId: string;
  readonly room: string;
}

export const identityFile = 'identity.json';
export const dbDir = 'db';

export type Claimed = { readonly ok: true; readonly fresh: boolean; readonly dbPath: string } | { readonly ok: false; readonly error: string };

/** Creates the directory if needed and checks (or writes) who it belongs to. */
export async function claim(dir: string, me: DirIdentity): Promise<Claimed> {
  const file = path.join(dir, identityFile);
  await fs.mkdir(dir, { recursive: true });
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    await fs.writeFile(file, `${JSON.stringify({ nodeId: me.nodeId, room: me.room }, null, 2)}\n`, { flag: 'wx' });
    return { ok: true, fresh: true, dbPath: path.join(dir, dbDir) };
  }
  let stored: Partial<DirIdentity>;
  try {
    stored = JSON.parse(text) as Partial<DirIdentity>;
  } catch {
    return { ok: false, error: `${file} is not valid JSON; move it away to reuse ${dir}` };
  }
  if (stored.nodeId !== me.nodeId || stored.room !== me.room) {
    return { ok: false, error: `${dir} holds node ${String(stored.nodeId)} of room ${String(stored.room)}: start it with --node ${String(stored.nodeId)} --room ${String(stored.room)}, or give another --data` };
  }
  return { ok: true, fresh: false, dbPath: path.join(dir, dbDir) };
}
