import { createHash } from 'node:crypto';
import { type Alert, SEVERITIES } from '../../lib/events.js';
import type { DeadLetter, InputRecord, OutputRecord, Stage, StageContext, StageResult } from '../../lib/stream/stage.js';
import { type Approval, approvalProblem, isApproval, type Proposal, type QuotaAction, QUOTA_ACTIONS, type QuotaUpdate } from './model.js';
import type { Condition, Policy, PolicyRule } from './policy.js';

export type QuotaInput = Alert | Approval;

export const INPUTS = ['rbp.alerts', 'rbp.approvals'];
export const UPDATES = 'rbp.quota_updates';
export const PROPOSALS = 'rbp.proposals';
export const DEAD_LETTERS = 'rbp.alerts.dlq';

/** Decisions remembered per partition so a repeated or contradicting approval is not applied twice. */
const MAX_DECIDED = 100_000;

/** One agent's alerts in one window bucket. */
interface Bucket {
  start: number;
  end: number;
  /** Alerts per severity, indexed as SEVERITIES (critical first). */
  counts: number[];
  alertIds: string[];
  seen: Set<string>;
  fired: Set<string>;
}

/** Per-partition state, rebuilt from the log after a restart (window + lateness of input is re-read). */
export interface QuotaState {
  /** Max alert event time seen on this partition. */
  watermark: number;
  /** agent_id NUL bucket start → bucket. */
  buckets: Map<string, Bucket>;
  /** proposal_id → first decision seen. */
  decided: Map<string, Approval['decision']>;
}

/** First 32 hex of sha256 over the parts (NUL-separated, so no two part lists collide). */
export function deterministicId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex').slice(0, 32);
}

/** update_id / proposal_id of a window rule firing for an agent in a bucket. */
export const ruleFiringId = (ruleId: string, agentId: string, bucketStart: number): string => deterministicId(ruleId, agentId, bucketStart);
/** update_id of the quota update an approved proposal becomes. */
export const approvalUpdateId = (proposalId: string): string => deterministicId('approval', proposalId);

const rank = (s: string): number => SEVERITIES.indexOf(s as Alert['severity']);

function atLeast(bucket: Bucket, severity: Condition['minSeverity']): number {
  let n = 0;
  for (let i = 0; i <= rank(severity); i++) n += bucket.counts[i];
  return n;
}

const holds = (rule: PolicyRule, bucket: Bucket): boolean => rule.when.every((c) => atLeast(bucket, c.minSeverity) >= c.minCount);

const iso = (ms: number): string => new Date(ms).toISOString();

function reason(rule: PolicyRule, agentId: string, bucket: Bucket): string {
  const conditions = rule.when.map((c) => `${atLeast(bucket, c.minSeverity)} alerts >= ${c.minSeverity} (needs ${c.minCount})`).join(', ');
  const total = bucket.counts.reduce((a, b) => a + b, 0);
  const bySeverity = SEVERITIES.map((s, i) => `${s} ${bucket.counts[i]}`).join(', ');
  return `policy rule ${rule.id} (${rule.action}, ${rule.impact} impact): agent ${agentId} had ${conditions} in window ${iso(bucket.start)}/${iso(bucket.end)}; ${total} alerts in all (${bySeverity})`;
}

function alertProblem(a: Alert): string | null {
  if (typeof a.alert_id !== 'string' || a.alert_id === '') return 'alert_id is empty';
  if (typeof a.agent_id !== 'string' || a.agent_id === '') return 'agent_id is empty';
  if (rank(a.severity) < 0) return `severity must be one of ${SEVERITIES.join(', ')}, got "${String(a.severity)}"`;
  if (typeof a.event_time !== 'number' || !Number.isFinite(a.event_time) || a.event_time < 0) return 'event_time is not a time';
  return null;
}

const isAlert = (v: unknown): v is Alert => typeof v === 'object' && v !== null && 'alert_id' in v && 'severity' in v;

/**
 * The quota manager: counts each agent's alerts per severity in tumbling event-time windows and applies
 * the policy's window rules; low-impact actions go straight to rbp.quota_updates, high-impact ones to
 * rbp.proposals. Approved proposals (rbp.approvals) become quota updates. Decisions depend on the input
 * records only (never on wall-clock), and every output id is deterministic.
 */
export function createQuotaManager(policy: Policy): Stage<QuotaInput, QuotaState> {
  const windowRules = policy.rules.filter((r) => r.trigger === 'window');
  for (const r of policy.rules) if (!QUOTA_ACTIONS.includes(r.action)) throw new Error(`policy rule ${r.id}: unknown action ${r.action}`);

  const onAlert = (record: InputRecord<QuotaInput>, alert: Alert, state: QuotaState, ctx: StageContext, out: StageResult & { dropped: Record<string, number> }) => {
    const problem = alertProblem(alert);
    if (problem) return dead(out, record, 'invalid_alert', problem);
    if (alert.event_time > record.timestamp + policy.maxFutureSkewMs) {
      return dead(out, record, 'future_event_time', `event_time ${iso(alert.event_time)} is more than ${policy.maxFutureSkewMs} ms ahead of the record time ${iso(record.timestamp)}`);
    }
    if (alert.event_time > state.watermark) state.watermark = alert.event_time;
    const start = Math.floor(alert.event_time / policy.windowMs) * policy.windowMs;
    const end = start + policy.windowMs;
    if (end + policy.allowedLatenessMs <= state.watermark) return drop(out, 'late');
    const key = `${alert.agent_id}\u0000${start}`;
    let bucket = state.buckets.get(key);
    if (!bucket) state.buckets.set(key, (bucket = { start, end, counts: SEVERITIES.map(() => 0), alertIds: [], seen: new Set(), fired: new Set() }));
    if (bucket.seen.has(alert.alert_id)) return drop(out, 'duplicate_alert');
    bucket.seen.add(alert.alert_id);
    bucket.counts[rank(alert.severity)] += 1;
    if (bucket.alertIds.length < policy.maxAlertIds) bucket.alertIds.push(alert.alert_id);
    let fired = 0;
    for (const rule of windowRules) {
      if (bucket.fired.has(rule.id) || !holds(rule, bucket)) continue;
      bucket.fired.add(rule.id);
      fired += 1;
      if (ctx.replaying) continue;
      const id = ruleFiringId(rule.id, alert.agent_id, start);
      const base = {
        agent_id: alert.agent_id,
        action: rule.action,
        reason: reason(rule, alert.agent_id, bucket),
        self_suggest_enabled: rule.self_suggest_enabled,
        policy_id: rule.id,
        alert_ids: [...bucket.alertIds],
        created_at: alert.event_time,
      };
      if (rule.impact === 'low') {
        const update: QuotaUpdate = { update_id: id, ...base, proposal_id: null, approved_by: null };
        out.outputs.push({ topic: UPDATES, key: alert.agent_id, value: update });
      } else {
        const proposal: Proposal = { proposal_id: id, ...base };
        out.outputs.push({ topic: PROPOSALS, key: alert.agent_id, value: proposal });
      }
    }
    if (!fired) drop(out, 'no_action');
  };

  const onApproval = (record: InputRecord<QuotaInput>, approval: Approval, state: QuotaState, ctx: StageContext, out: StageResult & { dropped: Record<string, number> }) => {
    const problem = approvalProblem(approval);
    if (problem) return dead(out, record, 'invalid_approval', problem);
    if (state.decided.has(approval.proposal_id)) return drop(out, 'already_decided');
    state.decided.set(approval.proposal_id, approval.decision);
    if (state.decided.size > MAX_DECIDED) state.decided.delete(state.decided.keys().next().value!);
    if (approval.decision === 'REJECTED') return drop(out, 'rejected');
    if (ctx.replaying) return;
    const update: QuotaUpdate = {
      update_id: approvalUpdateId(approval.proposal_id),
      agent_id: approval.agent_id,
      action: approval.action as QuotaAction,
      reason: `proposal ${approval.proposal_id} (policy rule ${approval.policy_id}) approved by ${approval.approver}${approval.comment ? `: ${approval.comment}` : ''}`,
      self_suggest_enabled: approval.self_suggest_enabled,
      policy_id: approval.policy_id,
      proposal_id: approval.proposal_id,
      approved_by: approval.approver,
      alert_ids: [],
      created_at: approval.decided_at,
    };
    out.outputs.push({ topic: UPDATES, key: approval.agent_id, value: update });
  };

  return {
    name: 'quota-manager',
    inputs: INPUTS,
    outputs: [UPDATES, PROPOSALS],
    deadLetterTopic: DEAD_LETTERS,
    rebuildLookbackMs: policy.windowMs + policy.allowedLatenessMs,
    createState: () => ({ watermark: Number.NEGATIVE_INFINITY, buckets: new Map(), decided: new Map() }),
    process(batch, state, ctx) {
      const out = { outputs: [] as OutputRecord[], deadLetters: [] as DeadLetter[], dropped: {} as Record<string, number> };
      for (const record of batch) {
        const v: unknown = record.value;
        if (isApproval(v)) onApproval(record, v, state, ctx, out);
        else if (isAlert(v)) onAlert(record, v, state, ctx, out);
        else dead(out, record, 'unexpected_record', `record on ${record.topic} is neither an alert nor an approval`);
      }
      // Buckets the watermark has passed (end + lateness) can no longer change: forget them.
      for (const [key, bucket] of state.buckets) if (bucket.end + policy.allowedLatenessMs <= state.watermark) state.buckets.delete(key);
      return out;
    },
  };
}

function dead(out: StageResult, record: InputRecord<unknown>, reason: string, error: string): void {
  out.deadLetters.push({ record, reason, error });
}

function drop(out: { dropped: Record<string, number> }, reason: string): void {
  out.dropped[reason] = (out.dropped[reason] ?? 0) + 1;
}
