/**
 * Map helpers for bounded per-entity state: a Map keeps insertion order, so re-inserting on every touch
 * makes its first key the least recently touched one. Eviction is then deterministic (a function of the
 * input order only), which the state rebuild relies on.
 */
export function touch<K, V>(map: Map<K, V>, key: K, create: () => V, cap: number): V {
  let v = map.get(key);
  if (v === undefined) {
    v = create();
    while (map.size >= cap) map.delete(map.keys().next().value as K);
  } else {
    map.delete(key);
  }
  map.set(key, v);
  return v;
}

/** Deletes least recently touched entries while `stale` says so (stops at the first live one). */
export function evictStale<K, V>(map: Map<K, V>, stale: (v: V, k: K) => boolean, max = 16): void {
  let n = 0;
  for (const [k, v] of map) {
    if (n++ >= max || !stale(v, k)) return;
    map.delete(k);
  }
}
