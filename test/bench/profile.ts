/**
 * Where the time goes: the runtime's own counters (steps, IndexedDB transactions and reads, messages)
 * read from a tab's snapshot, and a CPU profile of one tab (CDP Profiler) summed by function, with the
 * share of samples the renderer's main thread was idle (waiting on IndexedDB, the network or timers).
 */
import type { Page } from '@playwright/test';

export interface Counters {
  readonly steps: number;
  readonly transactions: number;
  readonly reads: number;
  readonly cacheMisses: number;
  readonly messagesSent: number;
  readonly queueLength: number;
}

export async function counters(page: Page): Promise<Counters> {
  return page.evaluate(() => {
    const snap = window.kv.snapshot() as { runtime?: { counters?: { steps?: number; messagesSent?: number }; storage?: { transactions?: number; reads?: number; cacheMisses?: number }; queueLength?: number } };
    const r = snap.runtime;
    return {
      steps: r?.counters?.steps ?? 0, transactions: r?.storage?.transactions ?? 0, reads: r?.storage?.reads ?? 0,
      cacheMisses: r?.storage?.cacheMisses ?? 0, messagesSent: r?.counters?.messagesSent ?? 0, queueLength: r?.queueLength ?? 0,
    };
  });
}

export function minus(a: Counters, b: Counters): Counters {
  return {
    steps: a.steps - b.steps, transactions: a.transactions - b.transactions, reads: a.reads - b.reads,
    cacheMisses: a.cacheMisses - b.cacheMisses, messagesSent: a.messagesSent - b.messagesSent, queueLength: a.queueLength,
  };
}

export function sum(list: readonly Counters[]): Counters {
  return list.reduce((s, c) => ({
    steps: s.steps + c.steps, transactions: s.transactions + c.transactions, reads: s.reads + c.reads,
    cacheMisses: s.cacheMisses + c.cacheMisses, messagesSent: s.messagesSent + c.messagesSent, queueLength: Math.max(s.queueLength, c.queueLength),
  }));
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface CpuSummary {
  readonly totalMs: number;
  readonly idleShare: number;
  readonly gcShare: number;
  /** The functions with the most self time: "name (file) share". */
  readonly top: readonly string[];
}

/** Profiles `page` while `during` runs. */
export async function cpuProfile(page: Page, during: () => Promise<void>): Promise<CpuSummary> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
    await during();
    const { profile } = await cdp.send('Profiler.stop') as { profile: Profile };
    return summarize(profile);
  } finally {
    await cdp.detach();
  }
}

function summarize(profile: Profile): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const n = byId.get(id);
    const file = n?.callFrame.url.split('/').pop()?.replace(/-[A-Za-z0-9_]{8}\.js$/, '.js') ?? '';
    const name = `${n?.callFrame.functionName || '(anonymous)'}${file ? ` (${file})` : ''}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const share = (name: string) => (self.get(name) ?? 0) / Math.max(1, total);
  const top = [...self].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)'))
    .sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, t]) => `${k} ${((t / Math.max(1, total)) * 100).toFixed(1)} %`);
  return { totalMs: total / 1000, idleShare: share('(idle)'), gcShare: share('(garbage collector)'), top };
}
