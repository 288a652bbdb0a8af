import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert, Severity } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { freshDatabase, isolatedCatalog } from '../../test/kit.js';
import { readTopic } from '../../lib/kafka/readTopic.js';
import { definition as quotaStore } from '../quota-store/index.js';
import { definition as quotaManager } from './index.js';
import type { Approval } from './model.js';
import { approvalUpdateId, ruleFiringId } from './stage.js';

process.env.LOG_LEVEL ??= 'warn';
const running: RunningStage[] = [];
let db: pg.Pool | undefined;
afterAll(async () => {
  for (const r of running) await r.stop();
  await db?.end();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('quota manager → quota store over the real broker, registry and PostgreSQL', () => {
  it('throttles, proposes, applies an approval and stores each once; undecodable input goes to the DLQ', async () => {
    const { catalog } = await isolatedCatalog('quota');
    process.env.DATABASE_URL = await freshDatabase('quota');
    running.push(await quotaStore.start({ instanceId: 'test-0', metricsPort: -1 }));
    running.push(await quotaManager.start({ instanceId: 'test-0', metricsPort: -1 }));
    db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });

    const registry = new SchemaRegistryClient();
    const alertCodec = await codecFor<Alert>(registry, topicSpec(catalog, 'rbp.alerts'));
    const approvalCodec = await codecFor<Approval>(registry, topicSpec(catalog, 'rbp.approvals'));
    const producer = createKafka('quota-test').producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const bucket = Math.floor(Date.now() / 600_000) * 600_000 - 3_600_000;
    let n = 0;
    const alert = (agent: string, severity: Severity, at: number): Alert => ({
      alert_id: `k-${++n}`, agent_id: agent, host: agent, severity, category: 'brute_force', title: 't', description: 'd', remediation: 'r', detector: 'rule:test',
      score: null, model_version: null, techniques: [], evidence_event_ids: [`e-${n}`], first_evidence_time: at, event_time: at, detected_at: at, asset_criticality: 'unknown', metadata: {},
    });
    const alerts = [
      ...[1, 2, 3].map((i) => alert('agent-k1', 'high', bucket + i * 60_000)),
      alert('agent-k2', 'critical', bucket + 60_000),
      ...[2, 3, 4, 5].map((i) => alert('agent-k2', 'low', bucket + i * 60_000)),
    ];
    await producer.send({
      topic: topicSpec(catalog, 'rbp.alerts').name,
      messages: [...alerts.map((a) => ({ key: a.agent_id, value: alertCodec.encode(a) })), { key: 'agent-k1', value: Buffer.from('not avro') }],
    });

    const throttleId = ruleFiringId('throttle-high-severity-burst', 'agent-k1', bucket);
    const proposalId = ruleFiringId('suspend-critical-burst', 'agent-k2', bucket);
    const throttle = await until('the throttle row', async () => (await db!.query('SELECT * FROM quota_updates WHERE update_id = $1', [throttleId])).rows[0]);
    expect(throttle).toMatchObject({ agent_id: 'agent-k1', action: 'throttle', self_suggest_enabled: false, alert_ids: ['k-1', 'k-2', 'k-3'], created_at: new Date(bucket + 180_000) });
    const proposal = await until('the proposal row', async () => (await db!.query('SELECT * FROM proposals WHERE proposal_id = $1', [proposalId])).rows[0]);
    expect(proposal).toMatchObject({ agent_id: 'agent-k2', action: 'suspend', status: 'pending', created_at: new Date(bucket + 300_000) });

    const decidedAt = Date.now();
    const approval: Approval = { proposal_id: proposalId, agent_id: 'agent-k2', action: 'suspend', self_suggest_enabled: false, policy_id: 'suspend-critical-burst', decision: 'APPROVED', approver: 'alice@soc', comment: null, decided_at: decidedAt };
    await producer.send({ topic: topicSpec(catalog, 'rbp.approvals').name, messages: [{ key: 'agent-k2', value: approvalCodec.encode(approval) }] });
    await producer.disconnect();

    const applied = await until('the approved update', async () => (await db!.query('SELECT * FROM quota_updates WHERE update_id = $1', [approvalUpdateId(proposalId)])).rows[0]);
    expect(applied).toMatchObject({ agent_id: 'agent-k2', action: 'suspend', proposal_id: proposalId, approved_by: 'alice@soc', created_at: new Date(decidedAt) });
    const decided = await until('the decided proposal', async () => (await db!.query("SELECT * FROM proposals WHERE proposal_id = $1 AND status <> 'pending'", [proposalId])).rows[0]);
    expect(decided).toMatchObject({ status: 'approved', decided_by: 'alice@soc' });

    await sleep(1000);
    const { rows } = await db.query('SELECT update_id FROM quota_updates ORDER BY update_id');
    expect(rows.map((r) => r.update_id).sort()).toEqual([throttleId, approvalUpdateId(proposalId)].sort());
    const updates = await readTopic(topicSpec(catalog, 'rbp.quota_updates').name, { idleMs: 1500 });
    expect(updates).toHaveLength(2);
    const dlq = await readTopic(topicSpec(catalog, 'rbp.alerts.dlq').name, { idleMs: 1500 });
    const dlqCodec = await codecFor<{ stage: string; reason: string }>(registry, topicSpec(catalog, 'rbp.alerts.dlq'));
    expect(await Promise.all(dlq.map(async (r) => (({ stage, reason }) => ({ stage, reason }))(await dlqCodec.decode(r.value))))).toEqual([{ stage: 'quota-manager', reason: 'not_avro' }]);
  }, 120_000);
});
