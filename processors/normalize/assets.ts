import type pg from 'pg';
import type { AssetContext } from '../../lib/events.js';

export type AssetLookup = (ids: string[]) => Promise<Map<string, AssetContext>>;

export const UNKNOWN_ASSET: AssetContext = { criticality: 'unknown', owner: null };

/**
 * Asset inventory lookups from PostgreSQL, cached with a bound on entries and age so a hot stage does not
 * query per record and an inventory change is seen within the TTL.
 */
export function postgresAssetLookup(pool: pg.Pool, opts: { maxEntries: number; ttlMs: number; now?: () => number }): AssetLookup {
  const cache = new Map<string, { value: AssetContext; at: number }>();
  const now = opts.now ?? Date.now;
  return async (ids) => {
    const result = new Map<string, AssetContext>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = cache.get(id);
      if (hit && now() - hit.at < opts.ttlMs) result.set(id, hit.value);
      else missing.push(id);
    }
    if (missing.length) {
      const { rows } = await pool.query<{ asset_id: string; criticality: AssetContext['criticality']; owner: string | null }>(
        'SELECT asset_id, criticality, owner FROM assets WHERE asset_id = ANY($1::text[])',
        [missing],
      );
      const found = new Map(rows.map((r) => [r.asset_id, { criticality: r.criticality, owner: r.owner }]));
      for (const id of missing) {
        const value = found.get(id) ?? UNKNOWN_ASSET;
        if (cache.size >= opts.maxEntries) cache.delete(cache.keys().next().value!);
        cache.set(id, { value, at: now() });
        result.set(id, value);
      }
    }
    return result;
  };
}
