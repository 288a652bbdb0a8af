import { SEVERITIES, type NetworkConnection, type Severity } from '../../lib/events.js';

/**
 * Decision tables of onnx-score, in one place.
 *
 * ## Category of a model alert (the model is binary: attack / normal)
 * Checked in this order on the scored connection's attributes (null traffic values count as 0); the first
 * match wins. Signs follow the NSL-KDD attack families:
 *
 * | category            | when                                                                                   |
 * |---------------------|----------------------------------------------------------------------------------------|
 * | `u2r`               | root_shell > 0, or su_attempted > 0, or num_shells > 0, or num_root > 0 with num_file_creations > 0 |
 * | `r2l`               | num_failed_logins > 0, or is_guest_login = 1, or hot ≥ 3, or num_compromised > 0       |
 * | `dos`               | serror_rate, srv_serror_rate or dst_host_serror_rate ≥ 0.5, or wrong_fragment > 0, or land = 1, or count ≥ 100 with same_srv_rate ≥ 0.8 (flood of one service) |
 * | `probe`             | diff_srv_rate, rerror_rate, srv_rerror_rate, dst_host_diff_srv_rate, dst_host_rerror_rate or dst_host_srv_diff_host_rate ≥ 0.5 (many services/hosts, rejected connections), or count ≥ 100 |
 * | `network_intrusion` | anything else the model flags                                                          |
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
  if (v(c.num_failed_logins) > 0 || v(c.is_guest_login) === 1 || v(c.hot) >= 3 || v(c.num_compromised) > 0) return 'r2l';
  if (
    v(c.serror_rate) >= 0.5 || v(c.srv_serror_rate) >= 0.5 || v(c.dst_host_serror_rate) >= 0.5 ||
    v(c.wrong_fragment) > 0 || v(c.land) === 1 || (v(c.count) >= 100 && v(c.same_srv_rate) >= 0.8)
  ) return 'dos';
  if (
    v(c.diff_srv_rate) >= 0.5 || v(c.rerror_rate) >= 0.5 || v(c.srv_rerror_rate) >= 0.5 || v(c.dst_host_diff_srv_rate) >= 0.5 ||
    v(c.dst_host_rerror_rate) >= 0.5 || v(c.dst_host_srv_diff_host_rate) >= 0.5 || v(c.count) >= 100
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
