import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../lib/data/validate.js';
import type { Alert, Severity } from '../../lib/events.js';
import { loadTopicSchema } from '../../lib/schemas/load.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import type { Approval, Proposal, QuotaUpdate } from './model.js';
import { loadPolicy, type Policy } from './policy.js';
import { approvalUpdateId, createQuotaManager, type QuotaInput, type QuotaState, ruleFiringId } from './stage.js';

const policy = loadPolicy();
const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 6, 10, 0, 0); // a bucket boundary (10-minute window)

let seq = 0;
function alert(agent: string, severity: Severity, at: number, id = `a-${++seq}`): Alert {
  return {
    alert_id: id, agent_id: agent, host: `${agent}.example`, severity, category: 'brute_force', title: 't', description: 'd', remediation: 'r',
    detector: 'rule:test', score: null, model_version: null, techniques: [], evidence_event_ids: ['e1'], first_evidence_time: at, event_time: at,
    detected_at: at + 1000, asset_criticality: 'unknown', metadata: {},
  };
}

function approval(p: Proposal, decision: Approval['decision'], at: number, approver = 'alice@soc'): Approval {
  return { proposal_id: p.proposal_id, agent_id: p.agent_id, action: p.action, self_suggest_enabled: p.self_suggest_enabled, policy_id: p.policy_id, decision, approver, comment: 'checked', decided_at: at };
}

const driver = (p: Policy = policy, opts: { batchSize?: number } = {}) => new MemoryDriver<QuotaInput, QuotaState>(createQuotaManager(p), { now: () => 0, ...opts });
const sendAlert = (d: MemoryDriver<QuotaInput, QuotaState>, a: Alert, lagMs = 500) => d.send('rbp.alerts', a.agent_id, a, a.event_time + lagMs);
const updates = (d: MemoryDriver<QuotaInput, QuotaState>) => d.outputsTo('rbp.quota_updates').map((o) => o.value as QuotaUpdate);
const proposals = (d: MemoryDriver<QuotaInput, QuotaState>) => d.outputsTo('rbp.proposals').map((o) => o.value as Proposal);

describe('quota manager policy', () => {
  it('loads the shipped policy; the stage looks back window + lateness', () => {
    expect(policy.windowMs).toBe(10 * MIN);
    expect(policy.allowedLatenessMs).toBe(5 * MIN);
    expect(policy.rules.map((r) => [r.id, r.action, r.impact, r.self_suggest_enabled, r.trigger])).toEqual([
      ['throttle-high-severity-burst', 'throttle', 'low', false, 'window'],
      ['suspend-critical-burst', 'suspend', 'high', false, 'window'],
      ['restore-manual', 'restore', 'low', true, 'manual'],
    ]);
    expect(createQuotaManager(policy).rebuildLookbackMs).toBe(15 * MIN);
  });

  const bad = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'quota-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, text);
    try {
      loadPolicy(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigFileError);
      return (err as Error).message.replace(file, 'FILE');
    }
    throw new Error('expected the policy to be rejected');
  };
  const rule = (extra: string) => `version: 1\nwindow: 10m\nrules:\n  - id: ok\n    action: throttle\n    impact: low\n    self_suggest_enabled: false\n    when: [{ min_count: 3 }]\n${extra}`;

  it('rejects a bad policy file with the file, the path and what is wrong', () => {
    expect(bad(rule('  - id: two\n    action: suspend\n    impact: medium\n    self_suggest_enabled: false\n    when: [{ min_count: 1 }]\n'))).toBe(
      'FILE: rules[1].impact: must be one of low, high, got "medium"',
    );
    expect(bad(rule('  - id: two\n    action: ban\n    impact: low\n    self_suggest_enabled: false\n    when: [{ min_count: 1 }]\n'))).toBe(
      'FILE: rules[1].action: must be one of throttle, suspend, restore, got "ban"',
    );
    expect(bad(rule('  - id: two\n    action: suspend\n    impact: high\n    self_suggest_enabled: false\n    when: [{ min_count: 1, min_severity: severe }]\n'))).toBe(
      'FILE: rules[1].when[0].min_severity: must be one of critical, high, medium, low, info, got "severe"',
    );
    expect(bad(rule('  - id: ok\n    action: suspend\n    impact: high\n    self_suggest_enabled: false\n    when: [{ min_count: 1 }]\n'))).toBe('FILE: rules[1].id: rule id "ok" is used twice');
    expect(bad(rule('  - id: two\n    action: suspend\n    impact: high\n    self_suggest_enabled: "no"\n    when: [{ min_count: 1 }]\n'))).toBe('FILE: rules[1].self_suggest_enabled: must be true or false');
    expect(bad(rule('  - id: two\n    action: suspend\n    impact: high\n    self_suggest_enabled: false\n    when: [{ min_count: 0 }]\n'))).toBe('FILE: rules[1].when[0].min_count: must be >= 1, got 0');
    expect(bad(rule('  - id: two\n    action: restore\n    impact: low\n    self_suggest_enabled: true\n    trigger: manual\n    when: [{ min_count: 1 }]\n'))).toMatch(/^FILE: rules\[1\]\.when: a manual rule has no conditions/);
    expect(bad(rule('').replace('window: 10m', 'window: 10 minutes'))).toMatch(/^FILE: window: "10 minutes" is not a duration/);
    expect(bad(rule('').replace('window: 10m', 'window: 10m\nwindows: 5m'))).toMatch(/^FILE: \(root\): unknown key\(s\) windows/);
    expect(bad('version: 1\nwindow: 10m\nrules:\n  - id: x\n    action: restore\n    impact: low\n    self_suggest_enabled: true\n    trigger: manual\n')).toBe('FILE: rules: the policy has no window rule: nothing would ever fire');
    expect(bad('version: 1\nwindow: [10m\n')).toMatch(/^FILE: \(syntax\): /);
  });
});

describe('quota manager stage (in-memory driver)', () => {
  it('throttles once at the threshold and not again in the same bucket; a new bucket fires again', async () => {
    const d = driver();
    sendAlert(d, alert('agent-1', 'high', T0 + 1 * MIN));
    sendAlert(d, alert('agent-1', 'critical', T0 + 2 * MIN, 'a-x'));
    await d.run();
    expect(d.outputs).toEqual([]);
    const third = alert('agent-1', 'high', T0 + 3 * MIN);
    sendAlert(d, third);
    await d.run();
    expect(updates(d)).toEqual([
      {
        update_id: ruleFiringId('throttle-high-severity-burst', 'agent-1', T0),
        agent_id: 'agent-1',
        action: 'throttle',
        reason: expect.stringContaining('policy rule throttle-high-severity-burst (throttle, low impact): agent agent-1 had 3 alerts >= high (needs 3) in window 2025-01-06T10:00:00.000Z/2025-01-06T10:10:00.000Z'),
        self_suggest_enabled: false,
        policy_id: 'throttle-high-severity-burst',
        proposal_id: null,
        approved_by: null,
        alert_ids: [expect.any(String), 'a-x', third.alert_id],
        created_at: third.event_time,
      },
    ]);
    expect(updates(d)[0].update_id).toMatch(/^[0-9a-f]{32}$/);
    for (let i = 4; i < 8; i++) sendAlert(d, alert('agent-1', 'high', T0 + i * MIN));
    await d.run();
    expect(updates(d)).toHaveLength(1);
    for (let i = 0; i < 3; i++) sendAlert(d, alert('agent-1', 'high', T0 + 10 * MIN + i * MIN));
    await d.run();
    expect(updates(d).map((u) => u.update_id)).toEqual([ruleFiringId('throttle-high-severity-burst', 'agent-1', T0), ruleFiringId('throttle-high-severity-burst', 'agent-1', T0 + 10 * MIN)]);
    expect(d.deadLetters).toEqual([]);
  });

  it('alerts of other agents do not count', async () => {
    const d = driver({ ...policy }, { batchSize: 1 });
    for (const agent of ['agent-a', 'agent-b', 'agent-c', 'agent-d']) {
      sendAlert(d, alert(agent, 'critical', T0 + MIN));
      sendAlert(d, alert(agent, 'high', T0 + 2 * MIN));
      for (let i = 0; i < 2; i++) sendAlert(d, alert(agent, 'low', T0 + 3 * MIN));
    }
    await d.run();
    expect(d.outputs).toEqual([]);
    expect(d.dropped.no_action).toBe(16);
  });

  it('a high-impact rule goes to rbp.proposals, not to rbp.quota_updates', async () => {
    const d = driver();
    const crit = alert('agent-2', 'critical', T0 + MIN);
    sendAlert(d, crit);
    for (let i = 0; i < 3; i++) sendAlert(d, alert('agent-2', 'medium', T0 + (2 + i) * MIN));
    await d.run();
    expect(d.outputs).toEqual([]);
    const fifth = alert('agent-2', 'low', T0 + 9 * MIN);
    sendAlert(d, fifth);
    await d.run();
    expect(updates(d)).toEqual([]);
    expect(proposals(d)).toEqual([
      {
        proposal_id: ruleFiringId('suspend-critical-burst', 'agent-2', T0),
        agent_id: 'agent-2',
        action: 'suspend',
        reason: expect.stringContaining('1 alerts >= critical (needs 1), 5 alerts >= info (needs 5)'),
        self_suggest_enabled: false,
        policy_id: 'suspend-critical-burst',
        alert_ids: expect.arrayContaining([crit.alert_id, fifth.alert_id]),
        created_at: fifth.event_time,
      },
    ]);
    expect(d.outputsTo('rbp.proposals')[0].key).toBe('agent-2');
  });

  it('an approval becomes a quota update carrying the proposal id; a rejection does nothing; a second decision is ignored', async () => {
    const d = driver();
    sendAlert(d, alert('agent-3', 'critical', T0 + MIN));
    for (let i = 0; i < 4; i++) sendAlert(d, alert('agent-3', 'low', T0 + (2 + i) * MIN));
    sendAlert(d, alert('agent-4', 'critical', T0 + MIN));
    for (let i = 0; i < 4; i++) sendAlert(d, alert('agent-4', 'info', T0 + (2 + i) * MIN));
    await d.run();
    const [p3, p4] = ['agent-3', 'agent-4'].map((a) => proposals(d).find((p) => p.agent_id === a)!);
    const decidedAt = T0 + 30 * MIN;
    d.send('rbp.approvals', 'agent-3', approval(p3, 'APPROVED', decidedAt), decidedAt);
    d.send('rbp.approvals', 'agent-4', approval(p4, 'REJECTED', decidedAt), decidedAt);
    d.send('rbp.approvals', 'agent-3', approval(p3, 'REJECTED', decidedAt + MIN, 'bob@soc'), decidedAt + MIN);
    await d.run();
    expect(updates(d)).toEqual([
      {
        update_id: approvalUpdateId(p3.proposal_id),
        agent_id: 'agent-3',
        action: 'suspend',
        reason: `proposal ${p3.proposal_id} (policy rule suspend-critical-burst) approved by alice@soc: checked`,
        self_suggest_enabled: false,
        policy_id: 'suspend-critical-burst',
        proposal_id: p3.proposal_id,
        approved_by: 'alice@soc',
        alert_ids: [],
        created_at: decidedAt,
      },
    ]);
    expect(d.dropped.rejected).toBe(1);
    expect(d.dropped.already_decided).toBe(1);
  });

  it('a manual restore is applied by an approval with action restore', async () => {
    const d = driver();
    const restore: Approval = { proposal_id: 'restore-agent-5-ticket-42', agent_id: 'agent-5', action: 'restore', self_suggest_enabled: true, policy_id: 'restore-manual', decision: 'APPROVED', approver: 'carol@soc', comment: null, decided_at: T0 };
    d.send('rbp.approvals', 'agent-5', restore, T0);
    await d.run();
    expect(updates(d)).toMatchObject([{ update_id: approvalUpdateId('restore-agent-5-ticket-42'), action: 'restore', self_suggest_enabled: true, approved_by: 'carol@soc', reason: 'proposal restore-agent-5-ticket-42 (policy rule restore-manual) approved by carol@soc' }]);
  });

  it('drops late and duplicate alerts, dead-letters invalid input and impossible clocks', async () => {
    const d = driver();
    sendAlert(d, alert('agent-6', 'high', T0 + 30 * MIN)); // watermark: buckets ending at or before T0+25m are closed
    sendAlert(d, alert('agent-6', 'high', T0 + MIN));
    sendAlert(d, alert('agent-6', 'high', T0 + 31 * MIN, 'dup'));
    sendAlert(d, alert('agent-6', 'high', T0 + 32 * MIN, 'dup'));
    sendAlert(d, { ...alert('agent-6', 'high', T0 + 33 * MIN), severity: 'severe' as Severity });
    sendAlert(d, alert('agent-6', 'high', T0 + 34 * MIN), -2 * 60 * MIN);
    d.send('rbp.approvals', 'agent-6', { ...approval({ proposal_id: 'p', agent_id: 'agent-6', action: 'suspend', self_suggest_enabled: false, policy_id: 'x', reason: '', alert_ids: [], created_at: 0 }, 'APPROVED', T0), action: 'ban' }, T0);
    await d.run();
    expect(d.outputs).toEqual([]);
    expect(d.dropped).toMatchObject({ late: 1, duplicate_alert: 1, no_action: 2 });
    expect(d.deadLetters.map((x) => [x.reason, x.error])).toEqual(
      expect.arrayContaining([
        ['invalid_alert', 'severity must be one of critical, high, medium, low, info, got "severe"'],
        ['future_event_time', expect.stringContaining('ahead of the record time')],
        ['invalid_approval', 'action must be one of throttle, suspend, restore, got "ban"'],
      ]),
    );
    expect(d.deadLetters).toHaveLength(3);
  });

  it('restarts mid-stream (state rebuilt from the log) give identical outputs, none twice', async () => {
    const agents = ['agent-r1', 'agent-r2', 'agent-r3', 'agent-r4', 'agent-r5'];
    const sevs: Severity[] = ['high', 'critical', 'low', 'high', 'medium', 'info', 'high'];
    const stream: Alert[] = [];
    for (let i = 0; i < 240; i++) stream.push(alert(agents[(i * 7) % agents.length], sevs[(i * 3) % sevs.length], T0 + i * 20_000 + ((i * 13) % 5) * 1000));

    const reference = driver(policy, { batchSize: 7 });
    for (const a of stream) sendAlert(reference, a);
    await reference.run();
    expect(updates(reference).length).toBeGreaterThan(3);
    expect(proposals(reference).length).toBeGreaterThan(1);

    const crashing = driver(policy, { batchSize: 7 });
    for (let i = 0; i < stream.length; i++) {
      sendAlert(crashing, stream[i]);
      if (i % 37 === 36) {
        await crashing.run();
        crashing.restart();
      }
    }
    await crashing.run();
    const ids = (d: MemoryDriver<QuotaInput, QuotaState>) => d.outputs.map((o) => (o.value as { update_id?: string; proposal_id: string }).update_id ?? (o.value as Proposal).proposal_id);
    expect(new Set(ids(crashing)).size).toBe(crashing.outputs.length);
    const sorted = (d: MemoryDriver<QuotaInput, QuotaState>) => [...d.outputs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sorted(crashing)).toEqual(sorted(reference));
    // Every output fits its topic's Avro schema (what the Kafka runtime encodes with).
    const types = {
      'rbp.quota_updates': avro.Type.forSchema(loadTopicSchema('quota-update.avsc') as avro.Schema, { wrapUnions: false }),
      'rbp.proposals': avro.Type.forSchema(loadTopicSchema('proposal.avsc') as avro.Schema, { wrapUnions: false }),
    };
    for (const o of reference.outputs) expect(types[o.topic as keyof typeof types].isValid(o.value), JSON.stringify(o)).toBe(true);
  });
});
