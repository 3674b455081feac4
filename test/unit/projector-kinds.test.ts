/**
 * The projector's message colours: every legend row must be told from every other (the anti-entropy summary
 * and its reply were one teal) and from the node colours the messages fly between.
 */
import { describe, expect, it } from 'vitest';
import { kindStyles, legend } from '../../src/ui/projector-kinds.js';
import { eventKinds } from '../../src/protocol/projector.js';
import * as format from '../../src/ui/format.js';
import { oklab, oklabDistance } from './oklab.js';

describe('projector message colours', () => {
  const rows = legend(true);

  it('one legend row per label, and kinds that share a label share its colour (the legend tells the truth)', () => {
    for (const kind of eventKinds) {
      const row = rows.find((r) => r.kinds.includes(kind));
      expect(row?.style.color, kind).toBe(kindStyles[kind].color);
    }
    expect(rows.flatMap((r) => r.kinds).sort()).toEqual([...eventKinds].sort());
  });

  it('every two legend rows are at least 0.12 apart in OKLab (0.02 is just noticeable)', () => {
    for (const [i, a] of rows.entries()) {
      for (const b of rows.slice(i + 1)) {
        expect(oklabDistance(a.style.color, b.style.color), `${a.style.label} vs ${b.style.label}`).toBeGreaterThanOrEqual(0.12);
      }
    }
  });

  it('every message colour but the client request and gossip is at least 0.08 from every node colour', () => {
    // White (a client request pulsing round its node) and grey (gossip, hidden by default) are no node's hue.
    for (const row of rows.filter((r) => !r.kinds.includes('put') && !r.kinds.includes('gossip'))) {
      for (const node of format.palette) expect(oklabDistance(row.style.color, node), `${row.style.label} vs node ${node}`).toBeGreaterThanOrEqual(0.08);
    }
  });

  it('every message colour shows on the dark background (OKLab lightness of a line at least 0.55)', () => {
    for (const row of rows) expect(oklab(row.style.color)[0], row.style.label).toBeGreaterThanOrEqual(0.55);
  });
});
