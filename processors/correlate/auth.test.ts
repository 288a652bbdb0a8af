import { describe, expect, it } from 'vitest';
import { auth, feed, signalsOf } from './testkit.js';

// rules.yaml: N = 5 failures within T = 60 s, suppress 60 s.
const fails = (agent: string, start: number, n: number, step: number, o: { ip?: string; prefix?: string } = {}) =>
  Array.from({ length: n }, (_, i) => auth(agent, start + i * step, 'FAILURE', { ip: o.ip, id: `${o.prefix ?? 'f'}${i + 1}`, user: i % 2 ? 'root' : 'admin' }));

describe('authentication bursts', () => {
  it('brute_force fires exactly once, on the N-th failure of the burst', async () => {
    const { out, d } = await feed(fails('srv', 1_000_000, 12, 2000));
    const s = signalsOf(out);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({
      rule_id: 'auth-brute-force',
      category: 'brute_force',
      severity: 'high',
      techniques: ['T1110'],
      event_id: 'f5',
      evidence_event_ids: ['f1', 'f2', 'f3', 'f4', 'f5'],
      first_evidence_time: 1_000_000,
    });
    expect(s[0].metadata).toMatchObject({ source_ip: '203.0.113.7', failures: '5', users: 'admin,root' });
    expect(out).toHaveLength(1);
    expect(d.dropped).toEqual({ no_signal: 11 });
  });

  it('a slow burst spread over more than T does not fire (4 failures per window at most)', async () => {
    const { out } = await feed(fails('srv', 0, 40, 15_000));
    expect(signalsOf(out)).toHaveLength(0);
  });

  it('a new burst after the window empties fires again; another source is independent', async () => {
    const { out } = await feed([
      ...fails('srv', 0, 6, 1000, { prefix: 'a' }),
      ...fails('srv', 10_000, 5, 1000, { ip: '198.51.100.1', prefix: 'x' }),
      ...fails('srv', 200_000, 5, 1000, { prefix: 'b' }),
    ]);
    expect(signalsOf(out).map((s) => s.event_id)).toEqual(['a5', 'x5', 'b5']);
  });

  it('a burst that goes on for long never fires twice', async () => {
    const { out } = await feed(fails('srv', 0, 200, 5000));
    expect(signalsOf(out).map((s) => s.event_id)).toEqual(['f5']);
  });

  it('success after ≥ N failures from the same source within T → credential_compromise', async () => {
    const { out } = await feed([
      ...fails('srv', 0, 5, 1000),
      auth('srv', 6000, 'SUCCESS', { id: 'ok', user: 'root' }),
      auth('srv', 7000, 'SUCCESS', { id: 'ok2', user: 'root' }),
      auth('srv', 7000, 'SUCCESS', { id: 'other-ip', ip: '192.0.2.55' }),
    ]);
    const c = signalsOf(out, 'auth-success-after-failures');
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({
      event_id: 'ok',
      category: 'credential_compromise',
      severity: 'critical',
      techniques: ['T1110', 'T1078'],
      evidence_event_ids: ['f1', 'f2', 'f3', 'f4', 'f5', 'ok'],
      first_evidence_time: 0,
    });
    expect(c[0].metadata).toMatchObject({ user: 'root', failures: '5' });
  });

  it('success after fewer than N failures, or after they left the window, does not fire', async () => {
    const { out } = await feed([
      ...fails('a', 0, 4, 1000),
      auth('a', 5000, 'SUCCESS'),
      ...fails('b', 0, 5, 1000, { prefix: 'b' }),
      auth('b', 65_000, 'SUCCESS', { id: 'late-ok' }), // window (5 s, 65 s] holds none of them
    ]);
    expect(signalsOf(out, 'auth-success-after-failures')).toHaveLength(0);
  });

  it('late failures (beyond max_lateness_ms) do not count', async () => {
    const { out, d } = await feed([
      auth('srv', 1_000_000, 'FAILURE'),
      ...fails('srv', 100_000, 6, 100), // 900 s behind
    ]);
    expect(signalsOf(out)).toHaveLength(0);
    expect(d.dropped).toEqual({ no_signal: 1, late: 6 });
  });

  it('out-of-order failures within the lateness still form a burst', async () => {
    const { out } = await feed([
      auth('srv', 50_000, 'FAILURE', { id: 'f1' }),
      auth('srv', 40_000, 'FAILURE', { id: 'f2' }),
      auth('srv', 45_000, 'FAILURE', { id: 'f3' }),
      auth('srv', 30_000, 'FAILURE', { id: 'f4' }),
      auth('srv', 52_000, 'FAILURE', { id: 'f5' }),
    ]);
    expect(signalsOf(out).map((s) => [s.event_id, s.evidence_event_ids, s.first_evidence_time])).toEqual([
      ['f5', ['f4', 'f2', 'f3', 'f1', 'f5'], 30_000],
    ]);
  });
});
