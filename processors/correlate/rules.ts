import { fromRoot } from '../../lib/paths.js';
import { readYaml } from '../../lib/data/yaml.js';
import type { Reader } from '../../lib/data/validate.js';
import { SEVERITIES, type Severity } from '../../lib/events.js';

/**
 * The correlation rules as data (processors/correlate/rules.yaml): thresholds, windows, categories,
 * severities and MITRE ATT&CK technique ids. Loaded and validated once at start; every error names the
 * file and the exact path of the offending value.
 */

/** What a signal of one rule says, besides the window values the detector adds. */
export interface SignalTemplate {
  id: string;
  category: string;
  severity: Severity;
  title: string;
  techniques: string[];
}

export interface TrafficRules {
  /** The "past two seconds" of the time-based features (23–31). */
  time_window_ms: number;
  /** The "past 100 connections" of the host-based features (32–41). */
  host_window_connections: number;
  /** Age bound on the host-based window, so state (and its rebuild) stays bounded in time. */
  host_window_max_age_ms: number;
  /** Cap on the connections kept per entity (flood protection). */
  max_connections_per_entity: number;
  serror_flags: string[];
  rerror_flags: string[];
}

export interface AuthRules {
  /** N: failures from one source against the entity within `window_ms`. */
  failures: number;
  /** T. */
  window_ms: number;
  /** After a burst signal, no new one for the same source until no burst was under way for this long. */
  suppress_ms: number;
  brute_force: SignalTemplate;
  credential_compromise: SignalTemplate;
}

export interface MetricRule extends SignalTemplate {
  /** Metric names; a trailing `*` matches a prefix. */
  metrics: string[];
  z_threshold: number;
  min_samples: number;
  direction: 'up' | 'down' | 'both';
  /** Floor on the standard deviation (0: a constant series makes any change infinitely anomalous). */
  min_std: number;
}

export interface MetricRules {
  window_samples: number;
  window_ms: number;
  max_series_per_entity: number;
  rules: MetricRule[];
}

export interface FindingRules {
  window_ms: number;
  /** Findings arrive with scan times: they get their own lateness bound. */
  max_lateness_ms: number;
  max_findings_per_asset: number;
  new_critical: SignalTemplate;
}

export interface ComplianceRule extends SignalTemplate {
  /** Benchmarks the rule applies to (substring match on the benchmark id); empty: all. */
  benchmarks: string[];
  /** Signal when the score (0–1) is below this. */
  min_score: number;
}

export interface CorrelateRules {
  version: 1;
  /** Event-time lateness: older than the entity's max event time minus this does not update windows. */
  max_lateness_ms: number;
  /** At most this many evidence event ids per signal. */
  evidence_limit: number;
  traffic: TrafficRules;
  auth: AuthRules;
  metrics: MetricRules;
  findings: FindingRules;
  compliance: ComplianceRule[];
}

export const DEFAULT_RULES_PATH = fromRoot('processors/correlate/rules.yaml');

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;
const ID = /^[a-z0-9][a-z0-9_.-]*$/;
const CATEGORY = /^[a-z][a-z0-9_]*$/;
const DAY = 86_400_000;

export function loadRules(path: string = process.env.CORRELATE_RULES || DEFAULT_RULES_PATH): CorrelateRules {
  return parseRules(readYaml(path));
}

const TEMPLATE_KEYS = ['id', 'category', 'severity', 'title', 'techniques'] as const;

function template(r: Reader, ids: Set<string>): SignalTemplate {
  const id = r.at('id').string({ pattern: ID, max: 100 });
  if (ids.has(id)) r.at('id').fail(`duplicate rule id "${id}"`);
  ids.add(id);
  return {
    id,
    category: r.at('category').string({ pattern: CATEGORY, max: 64 }),
    severity: r.at('severity').string({ oneOf: SEVERITIES }) as Severity,
    title: r.at('title').string({ max: 200 }),
    techniques: r.at('techniques').optional((t) => t.list().map((x) => x.string({ pattern: TECHNIQUE })), []),
  };
}

const ms = (r: Reader, min = 1, max = 30 * DAY): number => r.number({ integer: true, min, max });

export function parseRules(root: Reader): CorrelateRules {
  root.object(['version', 'max_lateness_ms', 'evidence_limit', 'traffic', 'auth', 'metrics', 'findings', 'compliance']);
  root.at('version').number({ integer: true, min: 1, max: 1 });
  const ids = new Set<string>();
  const lateness = ms(root.at('max_lateness_ms'), 0, DAY);

  const t = root.at('traffic').object([
    'time_window_ms', 'host_window_connections', 'host_window_max_age_ms', 'max_connections_per_entity', 'serror_flags', 'rerror_flags',
  ]);
  const traffic: TrafficRules = {
    time_window_ms: t.at('time_window_ms').optional((r) => ms(r, 1, DAY), 2000),
    host_window_connections: t.at('host_window_connections').optional((r) => r.number({ integer: true, min: 1, max: 10_000 }), 100),
    host_window_max_age_ms: ms(t.at('host_window_max_age_ms'), 1, DAY),
    max_connections_per_entity: t.at('max_connections_per_entity').optional((r) => r.number({ integer: true, min: 1, max: 1_000_000 }), 2000),
    serror_flags: t.at('serror_flags').optional((r) => r.strings(), ['S0', 'S1', 'S2', 'S3']),
    rerror_flags: t.at('rerror_flags').optional((r) => r.strings(), ['REJ']),
  };
  if (traffic.max_connections_per_entity < traffic.host_window_connections) {
    t.at('max_connections_per_entity').fail(`must be >= host_window_connections (${traffic.host_window_connections})`);
  }

  const a = root.at('auth').object(['failures', 'window_ms', 'suppress_ms', 'brute_force', 'credential_compromise']);
  const authWindow = ms(a.at('window_ms'), 1, DAY);
  const auth: AuthRules = {
    failures: a.at('failures').number({ integer: true, min: 2, max: 10_000 }),
    window_ms: authWindow,
    suppress_ms: a.at('suppress_ms').optional((r) => ms(r, 0, DAY), authWindow),
    brute_force: template(a.at('brute_force').object(TEMPLATE_KEYS), ids),
    credential_compromise: template(a.at('credential_compromise').object(TEMPLATE_KEYS), ids),
  };

  const m = root.at('metrics').object(['window_samples', 'window_ms', 'max_series_per_entity', 'rules']);
  const windowSamples = m.at('window_samples').number({ integer: true, min: 2, max: 10_000 });
  const metrics: MetricRules = {
    window_samples: windowSamples,
    window_ms: ms(m.at('window_ms'), 1, 7 * DAY),
    max_series_per_entity: m.at('max_series_per_entity').optional((r) => r.number({ integer: true, min: 1, max: 100_000 }), 256),
    rules: m.at('rules').list().map((r) => {
      r.object([...TEMPLATE_KEYS, 'metrics', 'z_threshold', 'min_samples', 'direction', 'min_std']);
      const rule: MetricRule = {
        ...template(r, ids),
        metrics: r.at('metrics').list().map((x) => x.string({ pattern: /^[A-Za-z0-9_.:/-]+\*?$/ })),
        z_threshold: r.at('z_threshold').number({ min: 0.1, max: 1000 }),
        min_samples: r.at('min_samples').number({ integer: true, min: 2, max: windowSamples }),
        direction: r.at('direction').optional((x) => x.string({ oneOf: ['up', 'down', 'both'] }), 'both') as MetricRule['direction'],
        min_std: r.at('min_std').optional((x) => x.number({ min: 0 }), 0),
      };
      if (rule.metrics.length === 0) r.at('metrics').fail('must name at least one metric');
      return rule;
    }),
  };

  const f = root.at('findings').object(['window_ms', 'max_lateness_ms', 'max_findings_per_asset', 'new_critical']);
  const findingWindow = ms(f.at('window_ms'), 1, 30 * DAY);
  const findings: FindingRules = {
    window_ms: findingWindow,
    max_lateness_ms: f.at('max_lateness_ms').optional((r) => ms(r, 0, 30 * DAY), lateness),
    max_findings_per_asset: f.at('max_findings_per_asset').optional((r) => r.number({ integer: true, min: 1, max: 1_000_000 }), 10_000),
    new_critical: template(f.at('new_critical').object(TEMPLATE_KEYS), ids),
  };

  const compliance = root.at('compliance').optional(
    (c) =>
      c.list().map((r) => {
        r.object([...TEMPLATE_KEYS, 'benchmarks', 'min_score']);
        return {
          ...template(r, ids),
          benchmarks: r.at('benchmarks').optional((x) => x.strings(), []),
          min_score: r.at('min_score').number({ min: 0, max: 1 }),
        };
      }),
    [] as ComplianceRule[],
  );

  return {
    version: 1,
    max_lateness_ms: lateness,
    evidence_limit: root.at('evidence_limit').optional((r) => r.number({ integer: true, min: 1, max: 1000 }), 50),
    traffic,
    auth,
    metrics,
    findings,
    compliance,
  };
}

/**
 * How far back the runtime must re-read to rebuild the state exactly: the longest span any decision looks
 * at, plus its lateness. Auth decisions look back a window (is a burst under way?) and then the
 * suppression period before it (was one already signalled?).
 */
export function rebuildLookback(rules: CorrelateRules): number {
  const l = rules.max_lateness_ms;
  return Math.max(
    Math.max(rules.traffic.time_window_ms, rules.traffic.host_window_max_age_ms) + l,
    rules.auth.window_ms + rules.auth.suppress_ms + l,
    rules.metrics.window_ms + l,
    rules.findings.window_ms + rules.findings.max_lateness_ms,
  );
}

/** First metric rule that covers a metric name, if any. */
export function metricRuleFor(rules: MetricRules, name: string): MetricRule | undefined {
  return rules.rules.find((r) => r.metrics.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p)));
}
