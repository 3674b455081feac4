/**
 * A least-recently-used cache bounded by a cost in bytes (the caller says what an entry costs).
 * Setting an entry evicts the least recently used ones until the total fits; an entry costing more than
 * the whole bound is not cached at all.
 */
export interface Lru<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V, costBytes: number): void;
  delete(key: K): void;
  clear(): void;
  bytes(): number;
  size(): number;
}

export function create<K, V>(bytesMax: number): Lru<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<K, { value: V; costBytes: number }>();
  let total = 0;

  function remove(key: K): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    total -= entry.costBytes;
  }

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, costBytes) {
      remove(key);
      if (costBytes > bytesMax) return;
      entries.set(key, { value, costBytes });
      total += costBytes;
      for (const [oldest, entry] of entries) {
        if (total <= bytesMax) break;
        entries.delete(oldest);
        total -= entry.costBytes;
      }
    },
    delete: remove,
    clear() { entries.clear(); total = 0; },
    bytes: () => total,
    size: () => entries.size,
  };
}
