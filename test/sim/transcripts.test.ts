/**
 * Scenario transcripts (raft style): each scenario's commands and the exact trace they produced must match
 * test/sim/transcripts/<name>.txt. After an intended behaviour change, review the diff and regenerate with
 * `UPDATE_TRANSCRIPTS=1 npx vitest run test/sim/transcripts.test.ts`. Each scenario also asserts its facts,
 * so a regenerated transcript cannot hide a broken mechanism.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarios } from './scenarios.js';

const dir = join(import.meta.dirname, 'transcripts');

function matchesFile(name: string, text: string): void {
  const file = join(dir, `${name}.txt`);
  if (process.env.UPDATE_TRANSCRIPTS === '1') writeFileSync(file, text);
  expect(existsSync(file), `${file} missing: run with UPDATE_TRANSCRIPTS=1 and review it`).toBe(true);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

describe('scenario transcripts', () => {
  it('hinted handoff while one replica is down', () => {
    const r = scenarios['hinted-handoff']();
    expect(r.facts).toMatchObject({ hintsWhileDown: 1, sloppyRead: ['milk'], hintsAfter: 0, values: ['milk'], ownerHasIt: 1 });
    matchesFile('hinted-handoff', r.text);
  });

  it('read repair of a stale replica', () => {
    const r = scenarios['read-repair']();
    expect(r.facts).toMatchObject({ staleVersionsBefore: 1, values: ['milk,eggs'], repaired: true });
    matchesFile('read-repair', r.text);
  });

  it('anti-entropy after a wipe and after only one replica was modified', () => {
    const r = scenarios['anti-entropy']();
    expect(r.facts.heldAfter).toBe(r.facts.heldBefore);
    expect(r.facts).toMatchObject({ converged1: true, converged2: true });
    matchesFile('anti-entropy', r.text);
  });

  it('siblings under a partition, then a covering put reconciles them', () => {
    const r = scenarios.siblings();
    expect(r.facts).toMatchObject({ siblings: ['eggs', 'milk'], after: ['eggs,milk'] });
    matchesFile('siblings', r.text);
  });

  it('a join and a leave move only the partitions they must', () => {
    const r = scenarios['join-leave']();
    expect(r.facts).toMatchObject({ converged1: true, converged2: true, leaveOk: true, keysNotOnAllReplicas: 0 });
    // About Q/(S+1) = 32/6 partitions change owner; allow the ring's short cascade (ring.ts).
    expect(r.facts.movedOnJoin as number).toBeLessThanOrEqual(8);
    expect(r.facts.movedOnLeave).toBe(r.facts.movedOnJoin);
    matchesFile('join-leave', r.text);
  });

  it('amnesia: a node restarted with wiped storage under the same id loses nothing', () => {
    const r = scenarios.amnesia();
    expect(r.facts).toMatchObject({ epochChanged: true, values: ['bread', 'milk,eggs'], converged: true, problems: [], verdictOk: true });
    matchesFile('amnesia', r.text);
  });

  it('control: with the epoch kept across the wipe (KV679), the acknowledged write is lost, and the value checker catches it', () => {
    const r = scenarios['amnesia-without-epochs']();
    expect(r.facts).toMatchObject({ acked: true, values: ['milk,eggs'], lost: 1 });
    expect((r.facts.problems as string[]).join('\n')).toMatch(/LOST cart:alice="bread"/);
    matchesFile('amnesia-without-epochs', r.text);
  });
});
