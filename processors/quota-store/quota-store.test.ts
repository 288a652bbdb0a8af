import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lib/db/migrate.js';
import type { Sink } from '../../lib/stream/sink.js';
import type { Decoder, InputRecord } from '../../lib/stream/stage.js';
import { freshDatabase } from '../../test/kit.js';
import type { Approval, Proposal, QuotaUpdate } from '../quota-manager/model.js';
import { createQuotaStore, type QuotaStoreInput, validatingDecoder } from './sink.js';

const T0 = Date.UTC(2025, 0, 6, 10, 0, 0);
let offset = 0n;
const record = <T extends QuotaStoreInput>(topic: string, value: T): InputRecord<QuotaStoreInput> => ({
  topic, partition: 0, offset: offset++, key: value.agent_id, timestamp: T0, value, raw: null,
});

const update = (id: string, agent: string, extra: Partial<QuotaUpdate> = {}): QuotaUpdate => ({
  update_id: id, agent_id: agent, action: 'throttle', reason: `throttle ${agent}`, self_suggest_enabled: false, policy_id: 'throttle-high-severity-burst',
  proposal_id: null, approved_by: null, alert_ids: ['a1', 'a2', "a3'); DROP TABLE quota_updates; --"], created_at: T0 + 60_000, ...extra,
});
const proposal = (id: string, agent: string): Proposal => ({
  proposal_id: id, agent_id: agent, action: 'suspend', reason: `suspend ${agent}`, self_suggest_enabled: false, policy_id: 'suspend-critical-burst', alert_ids: ['c1'], created_at: T0 + 120_000,
});
const decision = (p: Pick<Proposal, 'proposal_id' | 'agent_id'>, d: Approval['decision'], approver = 'alice@soc', at = T0 + 3_600_000): Approval => ({
  proposal_id: p.proposal_id, agent_id: p.agent_id, action: 'suspend', self_suggest_enabled: false, policy_id: 'suspend-critical-burst', decision: d, approver, comment: d === 'APPROVED' ? 'confirmed compromise' : null, decided_at: at,
});

describe('quota-store sink (real PostgreSQL)', () => {
  let pool: pg.Pool;
  let sink: Sink<QuotaStoreInput>;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await freshDatabase('quota'), max: 3 });
    const client = await pool.connect();
    try {
      const applied = await migrate(client);
      expect(applied).toContain('0002_quota.sql');
      expect(await migrate(client)).toEqual([]);
    } finally {
      client.release();
    }
    sink = createQuotaStore(pool, { maxRowsPerStatement: 7 });
  });
  afterAll(async () => {
    await sink?.close?.();
  });

  it('writes a redelivered batch exactly once', async () => {
    const batch = [
      ...Array.from({ length: 20 }, (_, i) => record('rbp.quota_updates', update(`u-${i}`, `agent-${i % 4}`, { created_at: T0 + i * 1000 }))),
      record('rbp.quota_updates', update('u-3', 'agent-3', { reason: 'a duplicate within the batch' })),
      ...Array.from({ length: 9 }, (_, i) => record('rbp.proposals', proposal(`p-${i}`, `agent-${i % 4}`))),
    ];
    await sink.write(batch);
    await sink.write(batch);
    const { rows: counts } = await pool.query('SELECT (SELECT count(*)::int FROM quota_updates) AS updates, (SELECT count(*)::int FROM proposals) AS proposals');
    expect(counts[0]).toEqual({ updates: 20, proposals: 9 });
    const { rows } = await pool.query('SELECT * FROM quota_updates WHERE update_id = $1', ['u-3']);
    expect(rows[0]).toMatchObject({
      update_id: 'u-3', agent_id: 'agent-3', action: 'throttle', reason: 'throttle agent-3', self_suggest_enabled: false, policy_id: 'throttle-high-severity-burst',
      proposal_id: null, approved_by: null, alert_ids: ['a1', 'a2', "a3'); DROP TABLE quota_updates; --"], created_at: new Date(T0 + 3000),
    });
    expect(rows[0].stored_at).toBeInstanceOf(Date);
    const { rows: p } = await pool.query('SELECT * FROM proposals WHERE proposal_id = $1', ['p-0']);
    expect(p[0]).toMatchObject({ agent_id: 'agent-0', action: 'suspend', reason: 'suspend agent-0', status: 'pending', decided_by: null, decided_at: null, alert_ids: ['c1'], created_at: new Date(T0 + 120_000) });
    const { rows: plan } = await pool.query("SELECT update_id FROM quota_updates WHERE agent_id = 'agent-1' ORDER BY created_at DESC LIMIT 1");
    expect(plan[0].update_id).toBe('u-17');
  });

  it('an approval decides a pending proposal once; a later contradicting decision changes nothing', async () => {
    const p = proposal('p-approve', 'agent-9');
    const q = proposal('p-reject', 'agent-9');
    const approvedAt = T0 + 3_600_000;
    const approved = record('rbp.approvals', decision(p, 'APPROVED', 'alice@soc', approvedAt));
    await sink.write([record('rbp.proposals', p), record('rbp.proposals', q)]);
    await sink.write([approved, record('rbp.approvals', decision(q, 'REJECTED', 'bob@soc'))]);
    await sink.write([approved]); // redelivery
    await sink.write([record('rbp.approvals', decision(p, 'REJECTED', 'mallory@soc', approvedAt + 1000))]);
    const { rows } = await pool.query('SELECT proposal_id, status, decided_by, decided_at, comment, reason FROM proposals WHERE agent_id = $1 ORDER BY proposal_id', ['agent-9']);
    expect(rows).toEqual([
      { proposal_id: 'p-approve', status: 'approved', decided_by: 'alice@soc', decided_at: new Date(approvedAt), comment: 'confirmed compromise', reason: 'suspend agent-9' },
      { proposal_id: 'p-reject', status: 'rejected', decided_by: 'bob@soc', decided_at: new Date(T0 + 3_600_000), comment: null, reason: 'suspend agent-9' },
    ]);
    // The update the quota manager derives from the approval is stored like any other.
    await sink.write([record('rbp.quota_updates', update('u-approval', 'agent-9', { action: 'suspend', proposal_id: 'p-approve', approved_by: 'alice@soc', policy_id: 'suspend-critical-burst', alert_ids: [] }))]);
    const { rows: u } = await pool.query('SELECT action, proposal_id, approved_by, alert_ids FROM quota_updates WHERE update_id = $1', ['u-approval']);
    expect(u).toEqual([{ action: 'suspend', proposal_id: 'p-approve', approved_by: 'alice@soc', alert_ids: [] }]);
  });

  it('a decision that arrives before its proposal is kept, and the proposal fills the row in', async () => {
    const p = proposal('p-early', 'agent-8');
    await sink.write([record('rbp.approvals', decision(p, 'APPROVED'))]);
    const before = await pool.query('SELECT status, reason, created_at FROM proposals WHERE proposal_id = $1', ['p-early']);
    expect(before.rows).toEqual([{ status: 'approved', reason: null, created_at: null }]);
    await sink.write([record('rbp.proposals', p)]);
    await sink.write([record('rbp.proposals', { ...p, reason: 'a changed redelivery does not overwrite' })]);
    const after = await pool.query('SELECT status, decided_by, reason, alert_ids, created_at FROM proposals WHERE proposal_id = $1', ['p-early']);
    expect(after.rows).toEqual([{ status: 'approved', decided_by: 'alice@soc', reason: 'suspend agent-8', alert_ids: ['c1'], created_at: new Date(T0 + 120_000) }]);
  });

  it('a batch that fails rolls back whole; invalid records are dead-lettered by the decoder', async () => {
    const broken = createQuotaStore(new pg.Pool({ connectionString: 'postgres://nobody:wrong@127.0.0.1:1/none', connectionTimeoutMillis: 500 }));
    await expect(broken.write([record('rbp.quota_updates', update('u-never', 'agent-7'))])).rejects.toThrow();
    await broken.close?.();
    const skipped: string[] = [];
    const lenient = createQuotaStore(pool, { onInvalid: (_r, problem) => skipped.push(problem) });
    await lenient.write([record('rbp.quota_updates', { ...update('u-bad', 'agent-7'), action: 'ban' as QuotaUpdate['action'] })]);
    expect(skipped).toEqual(['action must be one of throttle, suspend, restore, got "ban"']);
    expect((await pool.query('SELECT 1 FROM quota_updates WHERE update_id = $1', ['u-bad'])).rowCount).toBe(0);

    const inner: Decoder<unknown> = async (bytes) => ({ ok: true, value: JSON.parse(bytes.toString()) });
    const decode = validatingDecoder(inner);
    expect(await decode(Buffer.from(JSON.stringify({ ...update('u-x', 'agent-7'), action: 'ban' })), 'rbp.quota_updates')).toEqual({
      ok: false, reason: 'invalid_quota_record', error: 'action must be one of throttle, suspend, restore, got "ban"',
    });
    expect(await decode(Buffer.from(JSON.stringify({ hello: 1 })), 'rbp.quota_updates')).toMatchObject({ ok: false, reason: 'invalid_quota_record' });
    expect(await decode(Buffer.from(JSON.stringify(update('u-y', 'agent-7'))), 'rbp.quota_updates')).toMatchObject({ ok: true });
  });
});
