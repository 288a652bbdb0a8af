import { describe, expect, it } from 'vitest';
import { compliance, feed, finding, metric, signalsOf } from './testkit.js';

// rules.yaml: window 30 samples / 1 h, min 10 prior samples, z ≥ 4.
const steady = (agent: string, name: string, n: number, base: number, start = 0) =>
  Array.from({ length: n }, (_, i) => metric(agent, start + i * 60_000, { [name]: base + ((i * 7) % 5) - 2 }, `${name}${i}`));

describe('metric z-scores', () => {
  it('a steady series does not fire', async () => {
    const { out, d } = await feed([...steady('m', 'cpu', 60, 50), ...steady('m2', 'tokens_used', 60, 1000)]);
    expect(out).toHaveLength(0);
    expect(d.dropped).toEqual({ no_signal: 120 });
  });

  it('a spike fires with mean / std / z in metadata, category from the rule', async () => {
    const { out } = await feed([
      ...steady('m', 'tokens_used', 20, 1000),
      metric('m', 20 * 60_000, { tokens_used: 5000, cpu: 50 }, 'spike'),
      metric('m', 21 * 60_000, { tokens_used: 1001 }, 'after'),
    ]);
    const s = signalsOf(out);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ event_id: 'spike', rule_id: 'metric-resource-abuse', category: 'resource_abuse', techniques: ['T1496'], evidence_event_ids: ['spike'] });
    // The 20 prior samples: 1000 + ((i*7)%5) − 2 → mean 1000, sample std √(40/19).
    expect(Number(s[0].metadata.mean)).toBeCloseTo(1000, 6);
    expect(Number(s[0].metadata.std)).toBeCloseTo(Math.sqrt(40 / 19), 3);
    expect(Number(s[0].metadata.z)).toBeCloseTo(4000 / Math.sqrt(40 / 19), 1);
    expect(s[0].metadata).toMatchObject({ metric: 'tokens_used', value: '5000', samples: '20' });
  });

  it('two metrics of one sample tripping the same rule make one signal naming both (one alert id downstream)', async () => {
    const { out } = await feed([
      ...Array.from({ length: 20 }, (_, i) => metric('m', i * 60_000, { tokens_used: 1000 + ((i * 7) % 5), actions: 8 + (i % 3) }, `s${i}`)),
      metric('m', 20 * 60_000, { tokens_used: 14_000, actions: 90 }, 'runaway'),
    ]);
    const s = signalsOf(out);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ rule_id: 'metric-resource-abuse', evidence_event_ids: ['runaway'] });
    expect(s[0].metadata.metric).toBe('actions,tokens_used');
    expect(Number(s[0].metadata['tokens_used.value'])).toBe(14_000);
    expect(Number(s[0].metadata['actions.value'])).toBe(90);
    expect(s[0].description).toMatch(/actions = 90 .*; tokens_used = 14000/);
  });

  it('cpu spikes map to anomaly; a drop fires only where the rule looks both ways', async () => {
    const { out } = await feed([
      ...steady('m', 'cpu', 15, 50),
      ...steady('m', 'tokens_used', 15, 1000),
      metric('m', 15 * 60_000, { cpu: 0, tokens_used: 0 }, 'drop'),
    ]);
    expect(signalsOf(out).map((s) => [s.event_id, s.rule_id, s.category])).toEqual([['drop', 'metric-anomaly', 'anomaly']]);
  });

  it('needs min_samples prior samples, and ignores metrics no rule names', async () => {
    const { out } = await feed([...steady('m', 'cpu', 9, 50), metric('m', 9 * 60_000, { cpu: 500, disk_weird: 1e9 })]);
    expect(out).toHaveLength(0);
  });

  it('the window is time-bounded: samples older than window_ms are not the baseline', async () => {
    const { out } = await feed([...steady('m', 'cpu', 12, 50), metric('m', 12 * 60_000 + 3_600_000, { cpu: 500 })]);
    expect(out).toHaveLength(0);
  });
});

describe('findings', () => {
  it('a new critical finding fires once; re-imports (same event id / scanner id / rule) do not', async () => {
    const { out, d } = await feed([
      finding('scanner', 1000, { id: 'f1', scannerId: 'T-1', severity: 'high', rule: 'CVE-2020-1' }),
      finding('scanner', 2000, { id: 'c1', scannerId: 'T-2' }),
      finding('scanner', 2000, { id: 'c1', scannerId: 'T-2' }), // same record again
      finding('scanner', 3000, { id: 'c1-reimport', scannerId: 'T-2' }), // next import of the same report
      finding('scanner', 4000, { id: 'c1-other-scanner', scanner: 'grype', scannerId: 'G-9' }), // same CVE on the asset
      finding('scanner', 5000, { id: 'c2', scannerId: 'T-3', rule: 'CVE-2022-22965' }), // a different critical
      finding('scanner', 6000, { id: 'c3', scannerId: 'T-2', asset: 'registry/other:2.0' }), // another asset
    ]);
    const s = signalsOf(out);
    expect(s.map((x) => x.event_id)).toEqual(['c1', 'c2', 'c3']);
    expect(s[0]).toMatchObject({ rule_id: 'finding-new-critical', category: 'vulnerability', severity: 'critical', techniques: ['T1190'], first_evidence_time: 2000 });
    expect(s[1].metadata).toMatchObject({ asset: 'registry/app:1.0', findings_critical: '3', findings_high: '1', rule_id: 'CVE-2022-22965' });
    expect(d.dropped).toEqual({ no_signal: 4 });
  });

  it('fires again once the finding has not been seen for the whole window', async () => {
    const day = 86_400_000;
    const { out } = await feed([finding('s', day, { id: 'a', scannerId: 'X' }), finding('s', 2 * day, { id: 'b', scannerId: 'X' })]);
    expect(signalsOf(out).map((x) => x.event_id)).toEqual(['a', 'b']);
  });
});

describe('compliance', () => {
  it('a score below the threshold is forwarded with a signal, otherwise dropped', async () => {
    const { out, d } = await feed([compliance('h', 0, 0.55), compliance('h', 1, 0.95)]);
    expect(signalsOf(out)).toHaveLength(1);
    expect(signalsOf(out)[0]).toMatchObject({ category: 'compliance', rule_id: 'compliance-low-score' });
    expect(signalsOf(out)[0].metadata).toMatchObject({ score: '0.55', min_score: '0.7', failed_rules: '5' });
    expect(d.dropped).toEqual({ no_signal: 1 });
  });
});
