/**
 * Data-driven transcripts (raft style): each test/sim/transcripts/<name>.txt holds the commands AND the
 * output they must produce (format: datadriven.ts; commands: transcripts/README.md), run by one
 * interpreter (transcript-runner.ts) on a cluster of real runtime loops. After an intended behaviour
 * change, rewrite the output blocks with `UPDATE_TRANSCRIPTS=1 npx vitest run test/sim/transcripts.test.ts`
 * and review the diff: commands and comments are left as they are.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as datadriven from './datadriven.js';
import { Transcript } from './transcript-runner.js';

const dir = join(import.meta.dirname, 'transcripts');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
const rewrite = process.env.UPDATE_TRANSCRIPTS === '1';

describe('transcripts', () => {
  it('finds the transcripts', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const name of files) {
    it(name, async () => {
      const transcript = new Transcript();
      const mismatches = await datadriven.run(join(dir, name), (command) => transcript.interpret(command), rewrite);
      if (rewrite) return; // the file now holds what ran: the diff is for review
      const report = mismatches.map((m) => `${name}:${m.block.line}: ${m.block.command}\n--- expected\n${m.block.expected}\n--- actual\n${m.actual}`);
      expect(report.join('\n\n'), 'after an intended change: UPDATE_TRANSCRIPTS=1, then review the diff').toBe('');
    });
  }
});
