import { SEVERITIES, type Finding, type Severity } from '../../lib/events.js';
import { evictStale, touch } from './lru.js';
import type { FindingRules } from './rules.js';
import { makeSignal, type Signal } from './signal.js';

/**
 * Findings per (entity, asset): the distinct findings (by scanner and scanner_id) seen in the window with
 * their latest severity, and the identities of the critical ones. A critical finding is new when none of its
 * identities — its event id, (scanner, scanner_id), rule_id — was seen critical on that asset within
 * `window_ms` before it; a re-import (same event id, same scanner id, or the same rule again) within the
 * window therefore does not fire again. Each sighting refreshes the identity, so a finding re-imported at
 * least once per window stays known. The decision depends only on the last window of input (rebuildable).
 */
interface AssetState {
  /** Identity of a critical finding → last event time it was seen critical, and that record's time. */
  critical: Map<string, { time: number; ts: number }>;
  /** scanner + scanner_id → latest severity and time (for the per-severity counts). */
  findings: Map<string, { severity: Severity; time: number }>;
  lastTime: number;
}

export interface FindingState {
  assets: Map<string, AssetState>;
}

const MAX_ASSETS = 1000;

export const createFindingState = (): FindingState => ({ assets: new Map() });

export function observeFinding(
  s: FindingState,
  event: { event_id: string; event_time: number; agent_id: string },
  f: Finding,
  recordTs: number,
  watermark: number,
  rules: FindingRules,
  evidenceLimit: number,
  /** Sightings whose records are older than this (record time) are forgotten: a rebuild does not re-read them. */
  horizonTs: number,
): Signal[] {
  const t = event.event_time;
  const assetName = f.asset || event.agent_id;
  const asset = touch(s.assets, assetName, () => ({ critical: new Map(), findings: new Map(), lastTime: t }), MAX_ASSETS);
  asset.lastTime = Math.max(asset.lastTime, t);
  const cap = rules.max_findings_per_asset;
  const cutoff = watermark - rules.window_ms;

  const findingKey = `${f.scanner}\u0000${f.scanner_id}`;
  const prev = asset.findings.get(findingKey);
  if (!prev || prev.time <= t) {
    touch(asset.findings, findingKey, () => ({ severity: f.severity, time: t }), cap);
    asset.findings.set(findingKey, { severity: f.severity, time: t });
  }

  const signals: Signal[] = [];
  if (f.severity === 'critical') {
    const ids = [`event\u0000${event.event_id}`, `finding\u0000${findingKey}`, `rule\u0000${f.rule_id}`];
    const seen = ids.some((k) => {
      const last = asset.critical.get(k);
      return last !== undefined && last.time > t - rules.window_ms && last.ts >= horizonTs;
    });
    for (const k of ids) {
      const last = asset.critical.get(k);
      touch(asset.critical, k, () => ({ time: t, ts: recordTs }), cap * 3);
      if (!last || last.ts < horizonTs || t >= last.time) asset.critical.set(k, { time: t, ts: recordTs });
    }
    if (!seen) {
      const counts = severityCounts(asset, t - rules.window_ms, t);
      signals.push(
        makeSignal(
          rules.new_critical,
          `${f.scanner} reports a new critical finding on ${assetName}: ${f.title}${f.cve.length ? ` (${f.cve.slice(0, 5).join(', ')})` : ''}`,
          [{ id: event.event_id, time: t }],
          evidenceLimit,
          {
            asset: assetName,
            scanner: f.scanner,
            scanner_id: f.scanner_id,
            rule_id: f.rule_id,
            ...(f.cve.length ? { cve: f.cve.slice(0, 10).join(',') } : {}),
            ...(f.package ? { package: f.package } : {}),
            ...Object.fromEntries(SEVERITIES.map((sev) => [`findings_${sev}`, counts[sev]])),
          },
        ),
      );
    }
  }

  evictStale(asset.critical, (v) => v.time < cutoff || v.ts < horizonTs, 64);
  evictStale(asset.findings, (v) => v.time < cutoff, 64);
  evictStale(s.assets, (v) => v.lastTime < cutoff);
  return signals;
}

/** Distinct findings of the asset by latest severity, seen in (from, to]. */
function severityCounts(asset: AssetState, from: number, to: number): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const v of asset.findings.values()) if (v.time > from && v.time <= to) counts[v.severity]++;
  return counts;
}
