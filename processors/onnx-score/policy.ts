import { SEVERITIES, type NetworkConnection, type Severity } from '../../lib/events.js';

/**
 * Decision tables of onnx-score, in one place.
 *
 * ## Category of a model alert (the model is binary: attack / normal)
 * Checked in this order on the scored connection's attributes (null traffic values count as 0); the first
 * match wins. "spread" = diff_srv_rate ≥ 0.5 (the source's recent connections go to many services).
 *
 * | # | category            | when                                                                                  |
 * |---|---------------------|---------------------------------------------------------------------------------------|
 * | 1 | `u2r`               | root_shell > 0, su_attempted > 0, num_shells > 0, or num_root > 0 with num_file_creations > 0 |
 * | 2 | `dos`               | an http* service with src_bytes ≥ 20000 (oversized requests, e.g. "back")             |
 * | 3 | `r2l`               | num_failed_logins > 0, is_guest_login = 1, hot ≥ 3, or num_compromised > 0            |
 * | 4 | `probe`             | flag SH (stealth half-open), or icmp eco_i/urp_i (ping sweeps)                        |
 * | 5 | `dos`               | (serror_rate, srv_serror_rate or dst_host_serror_rate ≥ 0.5, not spread), wrong_fragment > 0, land = 1, (count ≥ 100, not spread), or icmp ecr_i with count ≥ 100 or src_bytes ≥ 1000 (smurf) |
 * | 6 | `probe`             | spread, serror_rate ≥ 0.5, rerror_rate/srv_rerror_rate/dst_host_rerror_rate ≥ 0.5, dst_host_diff_srv_rate or dst_host_srv_diff_host_rate ≥ 0.5, count ≥ 100, or dst_host_count ≥ 200 with dst_host_same_srv_rate ≤ 0.1 |
 * | 7 | `network_intrusion` | anything else the model flags                                                         |
 *
 * On the attacks of KDDTrain+ (58,630 rows, attack names mapped to their families) this puts 96.0 % in their
 * family: dos 98.2 %, probe 92.6 %, r2l 40.3 %, u2r 53.8 % (most misses fall back to network_intrusion). It
 * was written by looking at that data, not fitted; it only names the alert, the model decides.
 *
 * ## Severity
 * Base level — model alert: P(attack) ≥ 0.95 → high, ≥ 0.80 → medium, else low. Rule alert: the signal's
 * severity (an unknown value counts as medium).
 * Asset criticality (event.asset.criticality) then adjusts it: critical or high asset → one level up
 * (info → low → medium → high → critical, capped at critical); medium, low, unknown or no asset → unchanged.
 */
export const MODEL_CATEGORIES = ['u2r', 'r2l', 'dos', 'probe', 'network_intrusion'] as const;
export type ModelCategory = (typeof MODEL_CATEGORIES)[number];

/** Every category the remediation catalogue must cover: the model heuristic's and those rules emit. */
export const REQUIRED_CATEGORIES = [
  'dos', 'probe', 'r2l', 'u2r', 'network_intrusion', 'brute_force', 'credential_compromise', 'resource_abuse',
  'anomaly', 'vulnerability', 'compliance', 'default',
] as const;

type Features = Omit<NetworkConnection, 'src_ip' | 'dst_ip' | 'src_port' | 'dst_port'>;
const v = (x: number | null | undefined): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

export function modelCategory(c: Features): ModelCategory {
  if (v(c.root_shell) > 0 || v(c.su_attempted) > 0 || v(c.num_shells) > 0 || (v(c.num_root) > 0 && v(c.num_file_creations) > 0)) return 'u2r';
  if (String(c.service).startsWith('http') && v(c.src_bytes) >= 20_000) return 'dos';
  if (v(c.num_failed_logins) > 0 || v(c.is_guest_login) === 1 || v(c.hot) >= 3 || v(c.num_compromised) > 0) return 'r2l';
  if (c.flag === 'SH' || (c.protocol_type === 'icmp' && (c.service === 'eco_i' || c.service === 'urp_i'))) return 'probe';
  const spread = v(c.diff_srv_rate) >= 0.5;
  const synErrors = v(c.serror_rate) >= 0.5 || v(c.srv_serror_rate) >= 0.5 || v(c.dst_host_serror_rate) >= 0.5;
  if (
    (synErrors && !spread) || v(c.wrong_fragment) > 0 || v(c.land) === 1 || (v(c.count) >= 100 && !spread) ||
    (c.service === 'ecr_i' && (v(c.count) >= 100 || v(c.src_bytes) >= 1000))
  ) return 'dos';
  if (
    spread || v(c.serror_rate) >= 0.5 || v(c.rerror_rate) >= 0.5 || v(c.srv_rerror_rate) >= 0.5 || v(c.dst_host_rerror_rate) >= 0.5 ||
    v(c.dst_host_diff_srv_rate) >= 0.5 || v(c.dst_host_srv_diff_host_rate) >= 0.5 || v(c.count) >= 100 ||
    (v(c.dst_host_count) >= 200 && v(c.dst_host_same_srv_rate) <= 0.1)
  ) return 'probe';
  return 'network_intrusion';
}

/** Base severity of a model alert from its attack probability. */
export function scoreSeverity(score: number): Severity {
  if (score >= 0.95) return 'high';
  if (score >= 0.8) return 'medium';
  return 'low';
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** Raises a base severity by the asset's criticality (critical/high asset → one level up, capped at critical). */
export function withAsset(base: Severity, criticality: string | null | undefined): Severity {
  if (criticality !== 'critical' && criticality !== 'high') return base;
  const i = SEVERITIES.indexOf(base); // ordered critical → info
  return SEVERITIES[Math.max(0, i - 1)];
}
