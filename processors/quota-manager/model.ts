/**
 * The quota records (schemas/avro/{quota-update,proposal,approval}.avsc) as TypeScript types, shared by
 * the quota manager (which produces updates and proposals) and the quota store (which persists them).
 */
export type QuotaAction = 'throttle' | 'suspend' | 'restore';
export const QUOTA_ACTIONS: readonly QuotaAction[] = ['throttle', 'suspend', 'restore'];

export type Impact = 'low' | 'high';
export const IMPACTS: readonly Impact[] = ['low', 'high'];

/** Value of rbp.quota_updates (key: agent_id). */
export interface QuotaUpdate {
  update_id: string;
  agent_id: string;
  action: QuotaAction;
  reason: string;
  self_suggest_enabled: boolean;
  policy_id: string;
  proposal_id: string | null;
  approved_by: string | null;
  alert_ids: string[];
  created_at: number;
}

/** Value of rbp.proposals (key: agent_id). */
export interface Proposal {
  proposal_id: string;
  agent_id: string;
  action: QuotaAction;
  reason: string;
  self_suggest_enabled: boolean;
  policy_id: string;
  alert_ids: string[];
  created_at: number;
}

/** Value of rbp.approvals (key: agent_id, co-partitioned with the agent's alerts). */
export interface Approval {
  proposal_id: string;
  agent_id: string;
  action: string;
  self_suggest_enabled: boolean;
  policy_id: string;
  decision: 'APPROVED' | 'REJECTED';
  approver: string;
  comment: string | null;
  decided_at: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const time = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Shape checks: which record a decoded value is (input topics carry a cluster prefix, so the shape decides). */
export function isApproval(v: unknown): v is Approval {
  return isObject(v) && 'decision' in v && 'approver' in v && 'proposal_id' in v;
}

export function isQuotaUpdate(v: unknown): v is QuotaUpdate {
  return isObject(v) && 'update_id' in v;
}

export function isProposal(v: unknown): v is Proposal {
  return isObject(v) && 'proposal_id' in v && !('decision' in v) && !('update_id' in v);
}

/** What is wrong with an approval's content (null when it can be acted on). */
export function approvalProblem(a: Approval): string | null {
  if (!nonEmpty(a.proposal_id)) return 'proposal_id is empty';
  if (!nonEmpty(a.agent_id)) return 'agent_id is empty';
  if (!QUOTA_ACTIONS.includes(a.action as QuotaAction)) return `action must be one of ${QUOTA_ACTIONS.join(', ')}, got "${a.action}"`;
  if (a.decision !== 'APPROVED' && a.decision !== 'REJECTED') return `decision must be APPROVED or REJECTED, got "${String(a.decision)}"`;
  if (!nonEmpty(a.approver)) return 'approver is empty';
  if (!nonEmpty(a.policy_id)) return 'policy_id is empty';
  if (!time(a.decided_at)) return 'decided_at is not a time';
  return null;
}

/** What is wrong with an update or proposal's content (null when it can be stored). */
export function quotaRecordProblem(r: QuotaUpdate | Proposal): string | null {
  const id = 'update_id' in r ? r.update_id : r.proposal_id;
  if (!nonEmpty(id)) return `${'update_id' in r ? 'update_id' : 'proposal_id'} is empty`;
  if (!nonEmpty(r.agent_id)) return 'agent_id is empty';
  if (!QUOTA_ACTIONS.includes(r.action)) return `action must be one of ${QUOTA_ACTIONS.join(', ')}, got "${r.action}"`;
  if (!nonEmpty(r.policy_id)) return 'policy_id is empty';
  if (!time(r.created_at)) return 'created_at is not a time';
  return null;
}
