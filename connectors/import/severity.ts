import type { Severity } from './types.js';

/**
 * The one severity scale is critical > high > medium > low > info. Each scanner's own vocabulary
 * maps onto it as documented here (and in README.md). Matching is case-insensitive. A value outside
 * the documented vocabulary is an error (a silent downgrade could hide a critical finding).
 */
export const SEVERITY_MAPS: Readonly<Record<string, Readonly<Record<string, Severity>>>> = {
  /** SARIF result.level (or rule defaultConfiguration.level); overridden by a security-severity CVSS score. */
  sarif: { error: 'high', warning: 'medium', note: 'low', none: 'info' },
  /** Trivy Severity (vulnerabilities, misconfigurations, secrets). */
  trivy: { critical: 'critical', high: 'high', medium: 'medium', low: 'low', unknown: 'info' },
  /** ZAP riskcode (riskdesc High/Medium/Low/Informational). ZAP has no critical. */
  zap: { '3': 'high', '2': 'medium', '1': 'low', '0': 'info' },
  /**
   * Semgrep extra.severity. INFO → low, matching Semgrep's own SARIF output (INFO → note) and thus
   * the SARIF mapping; the newer CRITICAL/HIGH/MEDIUM/LOW values map one to one.
   */
  semgrep: {
    error: 'high', warning: 'medium', info: 'low',
    critical: 'critical', high: 'high', medium: 'medium', low: 'low',
    inventory: 'info', experiment: 'info',
  },
  /** Bandit issue_severity. Bandit has no critical. */
  bandit: { high: 'high', medium: 'medium', low: 'low', undefined: 'info' },
  /** Nuclei info.severity. */
  nuclei: { critical: 'critical', high: 'high', medium: 'medium', low: 'low', info: 'info', unknown: 'info' },
  /** Grype vulnerability.severity. */
  grype: { critical: 'critical', high: 'high', medium: 'medium', low: 'low', negligible: 'info', unknown: 'info' },
  /** npm audit severity (per vulnerable package). */
  'npm-audit': { critical: 'critical', high: 'high', moderate: 'medium', low: 'low', info: 'info' },
  /** XCCDF Rule / rule-result @severity. */
  openscap: { high: 'high', medium: 'medium', low: 'low', info: 'info', unknown: 'info' },
};

/**
 * Gitleaks reports carry no severity: every leaked secret is `high` (a live credential in a
 * repository is directly exploitable; rotate it). Documented choice, not a scanner value.
 */
export const GITLEAKS_SEVERITY: Severity = 'high';

/** CVSS base score → severity (CVSS v3 qualitative scale; 0.0 "None" → info). Used for SARIF security-severity. */
export function severityFromCvss(score: number): Severity {
  if (score >= 9.0) return 'critical';
  if (score >= 7.0) return 'high';
  if (score >= 4.0) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/** Map a scanner severity value; returns null when it is not in the scanner's documented vocabulary. */
export function mapSeverity(scanner: keyof typeof SEVERITY_MAPS | string, value: string): Severity | null {
  const table = SEVERITY_MAPS[scanner];
  if (!table) throw new Error(`no severity table for ${scanner}`);
  const v = table[value.trim().toLowerCase()];
  return v ?? null;
}

export function vocabulary(scanner: string): string {
  return Object.keys(SEVERITY_MAPS[scanner] ?? {}).join(', ');
}
