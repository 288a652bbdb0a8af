import { readYaml } from '../../lib/data/yaml.js';
import type { Reader } from '../../lib/data/validate.js';
import { SEVERITIES, type Severity } from '../../lib/events.js';
import { fromRoot } from '../../lib/paths.js';
import { IMPACTS, type Impact, QUOTA_ACTIONS, type QuotaAction } from './model.js';

/** One condition of a window rule: at least `minCount` of the agent's alerts in the bucket with severity ≥ `minSeverity`. */
export interface Condition {
  minCount: number;
  minSeverity: Severity;
}

export interface PolicyRule {
  id: string;
  description: string;
  action: QuotaAction;
  /** low → applied at once (rbp.quota_updates); high → proposed to the review board (rbp.proposals). */
  impact: Impact;
  self_suggest_enabled: boolean;
  /**
   * window: fires when every condition holds for one agent within one window bucket.
   * manual: never fires from alerts; the action is applied by an APPROVED decision (rbp.approvals) only.
   */
  trigger: 'window' | 'manual';
  when: Condition[];
}

export interface Policy {
  file: string;
  /** Tumbling event-time window: bucket = floor(event_time / windowMs). */
  windowMs: number;
  /** A bucket keeps counting until the partition's watermark (max event time) passes its end + lateness. */
  allowedLatenessMs: number;
  /** Alerts whose event_time is this far ahead of their Kafka record time are dead-lettered (bad clocks). */
  maxFutureSkewMs: number;
  /** At most this many alert ids are carried on an update or proposal. */
  maxAlertIds: number;
  rules: PolicyRule[];
}

export const DEFAULT_POLICY_FILE = fromRoot('processors/quota-manager/policy.yaml');

const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function duration(r: Reader, opts: { min: number; max: number }): number {
  if (typeof r.value === 'number') return r.number({ integer: true, min: opts.min, max: opts.max });
  const text = r.string();
  const m = DURATION.exec(text);
  if (!m) r.fail(`"${text}" is not a duration (e.g. 500ms, 30s, 10m, 2h, 1d, or an integer of milliseconds)`);
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (ms < opts.min || ms > opts.max) r.fail(`must be between ${opts.min} ms and ${opts.max} ms, got ${text} (${ms} ms)`);
  return ms;
}

/** Reads and validates the policy file; every error names the file and the path of the offending value. */
export function loadPolicy(path = DEFAULT_POLICY_FILE): Policy {
  const doc = readYaml(path).object(['version', 'window', 'allowed_lateness', 'max_future_skew', 'max_alert_ids', 'rules']);
  const version = doc.at('version').number({ integer: true });
  if (version !== 1) doc.at('version').fail(`unsupported policy version ${version} (this build reads version 1)`);
  const windowMs = duration(doc.at('window'), { min: 1000, max: 86_400_000 });
  const allowedLatenessMs = doc.at('allowed_lateness').optional((r) => duration(r, { min: 0, max: 86_400_000 }), 0);
  const maxFutureSkewMs = doc.at('max_future_skew').optional((r) => duration(r, { min: 0, max: 7 * 86_400_000 }), 3_600_000);
  const maxAlertIds = doc.at('max_alert_ids').optional((r) => r.number({ integer: true, min: 0, max: 1000 }), 50);
  const rulesAt = doc.at('rules');
  const rules: PolicyRule[] = [];
  for (const r of rulesAt.list()) {
    r.object(['id', 'description', 'action', 'impact', 'self_suggest_enabled', 'trigger', 'when']);
    const id = r.at('id').string({ pattern: RULE_ID });
    if (rules.some((x) => x.id === id)) r.at('id').fail(`rule id "${id}" is used twice`);
    const trigger = r.at('trigger').optional((t) => t.string({ oneOf: ['window', 'manual'] }), 'window') as PolicyRule['trigger'];
    const action = r.at('action').string({ oneOf: QUOTA_ACTIONS }) as QuotaAction;
    const impact = r.at('impact').string({ oneOf: IMPACTS }) as Impact;
    const self_suggest_enabled = r.at('self_suggest_enabled').boolean();
    let when: Condition[] = [];
    if (trigger === 'manual') {
      if (r.at('when').present()) r.at('when').fail('a manual rule has no conditions (it is applied by an approval); remove `when` or set trigger: window');
    } else {
      const list = r.at('when').list();
      if (list.length === 0) r.at('when').fail('a window rule needs at least one condition');
      when = list.map((c) => {
        c.object(['min_count', 'min_severity']);
        return {
          minCount: c.at('min_count').number({ integer: true, min: 1, max: 1_000_000 }),
          minSeverity: c.at('min_severity').optional((s) => s.string({ oneOf: SEVERITIES }) as Severity, 'info'),
        };
      });
    }
    rules.push({ id, description: r.at('description').optional((d) => d.string(), ''), action, impact, self_suggest_enabled, trigger, when });
  }
  if (!rules.some((x) => x.trigger === 'window')) rulesAt.fail('the policy has no window rule: nothing would ever fire');
  return { file: doc.file, windowMs, allowedLatenessMs, maxFutureSkewMs, maxAlertIds, rules };
}
