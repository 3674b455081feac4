/**
 * The physical-limit baselines, measured inside the same tabs as the system: a plain RTCPeerConnection
 * data channel between two pages (SDP carried by Playwright, no signaling server, iceServers: []), and plain
 * IndexedDB transactions in a database of its own. Each function body runs in the page, so it is
 * self-contained.
 */
import type { Page } from '@playwright/test';

/** Round-trip samples (ms) of `payloadBytes`-byte messages echoed by `b`, one in flight at a time. */
export async function dataChannelRoundTrips(a: Page, b: Page, samples: number, payloadBytes = 16): Promise<number[]> {
  const offer = await a.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel('bench-raw', { ordered: true });
    dc.binaryType = 'arraybuffer';
    w.__rawPc = pc;
    w.__rawDc = dc;
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
    });
    return JSON.stringify(pc.localDescription);
  });
  const answer = await b.evaluate(async (offerJson) => {
    const w = window as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection({ iceServers: [] });
    w.__rawPc = pc;
    pc.addEventListener('datachannel', (event) => {
      const dc = event.channel;
      dc.binaryType = 'arraybuffer';
      dc.addEventListener('message', (m) => dc.send(m.data as ArrayBuffer));
    });
    await pc.setRemoteDescription(JSON.parse(offerJson) as RTCSessionDescriptionInit);
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
    });
    return JSON.stringify(pc.localDescription);
  }, offer);
  const result = await a.evaluate(async ([answerJson, count, size]) => {
    const w = window as unknown as Record<string, unknown>;
    const pc = w.__rawPc as RTCPeerConnection;
    const dc = w.__rawDc as RTCDataChannel;
    await pc.setRemoteDescription(JSON.parse(answerJson) as RTCSessionDescriptionInit);
    if (dc.readyState !== 'open') await new Promise((resolve) => dc.addEventListener('open', resolve, { once: true }));
    const payload = new Uint8Array(size);
    const out: number[] = [];
    const once = () => new Promise<number>((resolve) => {
      const t0 = performance.now();
      dc.addEventListener('message', () => resolve(performance.now() - t0), { once: true });
      dc.send(payload);
    });
    for (let i = 0; i < 50; i++) await once(); // warm-up
    for (let i = 0; i < count; i++) out.push(await once());
    pc.close();
    return out;
  }, [answer, samples, payloadBytes] as const);
  await b.evaluate(() => ((window as unknown as Record<string, unknown>).__rawPc as RTCPeerConnection).close());
  return result;
}

/** Latency samples (ms) of one readwrite transaction putting one `valueBytes` record, until oncomplete. */
export async function idbOneRecordCommits(page: Page, samples: number, valueBytes = 100): Promise<number[]> {
  return page.evaluate(async ([count, size]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(`bench-raw-commit-${Math.random()}`, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('indexedDB.open failed'));
    });
    const value = new Uint8Array(size).fill(7);
    const out: number[] = [];
    for (let i = 0; i < count + 20; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('kv', 'readwrite');
        tx.objectStore('kv').put(value, `k${i}`);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
      });
      if (i >= 20) out.push(performance.now() - t0); // the first 20 warm up
    }
    const name = db.name;
    db.close();
    indexedDB.deleteDatabase(name);
    return out;
  }, [samples, valueBytes] as const);
}

/** Raw IndexedDB throughput in one tab: `total` puts of `valueBytes` in transactions of `batch`, then as many gets. */
export async function idbBatchedRates(page: Page, total: number, batch: number, valueBytes = 100): Promise<{ putsPerSecond: number; getsPerSecond: number }> {
  return page.evaluate(async ([count, perTx, size]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(`bench-raw-batch-${Math.random()}`, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('indexedDB.open failed'));
    });
    const value = new Uint8Array(size).fill(7);
    const run = (mode: IDBTransactionMode) => async () => {
      for (let i = 0; i < count; i += perTx) {
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('kv', mode);
          const store = tx.objectStore('kv');
          for (let j = i; j < Math.min(count, i + perTx); j++) {
            if (mode === 'readwrite') store.put(value, `k${j}`);
            else store.get(`k${j}`);
          }
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
        });
      }
    };
    const time = async (f: () => Promise<void>) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
    const putMs = await time(run('readwrite'));
    const getMs = await time(run('readonly'));
    const name = db.name;
    db.close();
    indexedDB.deleteDatabase(name);
    return { putsPerSecond: (count / putMs) * 1000, getsPerSecond: (count / getMs) * 1000 };
  }, [total, batch, valueBytes] as const);
}

/** One-record readwrite transactions per second, one after another, for `durationMs` (the commit ceiling). */
export async function idbOneRecordRate(page: Page, durationMs: number, valueBytes = 100): Promise<number> {
  return page.evaluate(async ([d, size]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(`bench-raw-rate-${Math.random()}`, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('indexedDB.open failed'));
    });
    const value = new Uint8Array(size).fill(7);
    let count = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < d) {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('kv', 'readwrite');
        tx.objectStore('kv').put(value, `k${count}`);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
      });
      count++;
    }
    const rate = (count / (performance.now() - t0)) * 1000;
    const name = db.name;
    db.close();
    indexedDB.deleteDatabase(name);
    return rate;
  }, [durationMs, valueBytes] as const);
}
