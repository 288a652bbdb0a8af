import type pg from 'pg';
import { withTransaction } from '../../lib/db/pool.js';
import type { Sink } from '../../lib/stream/sink.js';
import type { Decoder, InputRecord } from '../../lib/stream/stage.js';
import { type Approval, approvalProblem, isApproval, isProposal, isQuotaUpdate, type Proposal, type QuotaUpdate, quotaRecordProblem } from '../quota-manager/model.js';

export type QuotaStoreInput = QuotaUpdate | Proposal | Approval;

export const INPUTS = ['rbp.quota_updates', 'rbp.proposals', 'rbp.approvals'];
export const DEAD_LETTERS = 'rbp.alerts.dlq';

/** What is wrong with a decoded record for the store (null when it can be stored). */
export function storeProblem(v: unknown): string | null {
  if (isApproval(v)) return approvalProblem(v);
  if (isQuotaUpdate(v) || isProposal(v)) return quotaRecordProblem(v);
  return 'record is neither a quota update, a proposal nor an approval';
}

/** Wraps the Avro decoder: a record the tables would refuse becomes a dead letter instead of a batch that never commits. */
export function validatingDecoder(decode: Decoder<unknown>): Decoder<QuotaStoreInput> {
  return async (bytes, topic) => {
    const decoded = await decode(bytes, topic);
    if (!decoded.ok) return decoded;
    const problem = storeProblem(decoded.value);
    return problem ? { ok: false, reason: 'invalid_quota_record', error: problem } : { ok: true, value: decoded.value as QuotaStoreInput };
  };
}

const ts = (ms: number): string => new Date(ms).toISOString();

/** Keeps the first record per id (offset order: the first decision on a proposal wins), sorted by id for a stable lock order. */
function firstById<T>(items: T[], id: (t: T) => string): T[] {
  const byId = new Map<string, T>();
  for (const item of items) if (!byId.has(id(item))) byId.set(id(item), item);
  return [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `($1, $2::text[], ...), (...)` for rows of `casts.length` parameters each. */
function values(rows: number, casts: string[]): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${casts.map((cast, c) => `$${r * casts.length + c + 1}${cast}`).join(', ')})`);
  return tuples.join(', ');
}

const UPDATE_CASTS = ['', '', '', '', '::boolean', '', '', '', '::text[]', '::timestamptz'];
const PROPOSAL_CASTS = ['', '', '', '', '::boolean', '', '::text[]', '::timestamptz'];
const DECISION_CASTS = ['', '', '', '::boolean', '', '', '', '::timestamptz', ''];

export interface QuotaStoreOptions {
  /** Rows per INSERT statement (parameters stay far below PostgreSQL's 65535). */
  maxRowsPerStatement?: number;
  /** Told about a record the store skips because it fails validation (the validating decoder normally dead-letters these first). */
  onInvalid?: (record: InputRecord<unknown>, problem: string) => void;
}

/**
 * The quota store: rbp.quota_updates, rbp.proposals and rbp.approvals into PostgreSQL, one transaction per
 * batch, idempotent under redelivery. Updates and proposals are inserted once (ON CONFLICT DO NOTHING;
 * a proposal only fills in a row its decision created first); a decision applies only to a pending
 * proposal, so the first decision wins and a redelivered one changes nothing.
 */
export function createQuotaStore(pool: pg.Pool, opts: QuotaStoreOptions = {}): Sink<QuotaStoreInput> {
  const maxRows = opts.maxRowsPerStatement ?? 500;
  return {
    name: 'quota-store',
    inputs: INPUTS,
    deadLetterTopic: DEAD_LETTERS,
    async write(records) {
      const updates: QuotaUpdate[] = [];
      const proposals: Proposal[] = [];
      const approvals: Approval[] = [];
      for (const record of records) {
        const v: unknown = record.value;
        const problem = storeProblem(v);
        if (problem) {
          opts.onInvalid?.(record, problem);
          continue;
        }
        if (isApproval(v)) approvals.push(v);
        else if (isQuotaUpdate(v)) updates.push(v);
        else proposals.push(v as Proposal);
      }
      if (!updates.length && !proposals.length && !approvals.length) return;
      await withTransaction(pool, async (client) => {
        for (const rows of chunks(firstById(updates, (u) => u.update_id), maxRows)) {
          await client.query(
            `INSERT INTO quota_updates (update_id, agent_id, action, reason, self_suggest_enabled, policy_id, proposal_id, approved_by, alert_ids, created_at)
             VALUES ${values(rows.length, UPDATE_CASTS)}
             ON CONFLICT (update_id) DO NOTHING`,
            rows.flatMap((u) => [u.update_id, u.agent_id, u.action, u.reason, u.self_suggest_enabled, u.policy_id, u.proposal_id ?? null, u.approved_by ?? null, u.alert_ids ?? [], ts(u.created_at)]),
          );
        }
        for (const rows of chunks(firstById(proposals, (p) => p.proposal_id), maxRows)) {
          await client.query(
            `INSERT INTO proposals AS p (proposal_id, agent_id, action, reason, self_suggest_enabled, policy_id, alert_ids, created_at)
             VALUES ${values(rows.length, PROPOSAL_CASTS)}
             ON CONFLICT (proposal_id) DO UPDATE SET reason = EXCLUDED.reason, alert_ids = EXCLUDED.alert_ids, created_at = EXCLUDED.created_at
             WHERE p.created_at IS NULL`,
            rows.flatMap((p) => [p.proposal_id, p.agent_id, p.action, p.reason, p.self_suggest_enabled, p.policy_id, p.alert_ids ?? [], ts(p.created_at)]),
          );
        }
        for (const rows of chunks(firstById(approvals, (a) => a.proposal_id), maxRows)) {
          await client.query(
            `INSERT INTO proposals AS p (proposal_id, agent_id, action, self_suggest_enabled, policy_id, status, decided_by, decided_at, comment)
             VALUES ${values(rows.length, DECISION_CASTS)}
             ON CONFLICT (proposal_id) DO UPDATE SET status = EXCLUDED.status, decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at, comment = EXCLUDED.comment
             WHERE p.status = 'pending'`,
            rows.flatMap((a) => [a.proposal_id, a.agent_id, a.action, a.self_suggest_enabled, a.policy_id, a.decision === 'APPROVED' ? 'approved' : 'rejected', a.approver, ts(a.decided_at), a.comment ?? null]),
          );
        }
      });
    },
    async close() {
      await pool.end();
    },
  };
}
