/**
 * The second half of the many-seeds property test (seed-range.ts; the first half is in sim.test.ts): its own
 * file so that Vitest runs the two halves in parallel.
 */
import { describe, it } from 'vitest';
import { checkSeeds, halves, seedRange } from './seed-range.js';

const [, secondHalf] = halves;

describe('simulated tabs under mixed faults, second half of the seeds', () => {
  it(`seeds ${secondHalf.first}-${secondHalf.first + secondHalf.count - 1} of the ${seedRange.count} in npm test`, async () => {
    await checkSeeds(secondHalf);
  }, seedRange.timeoutMs);
});
