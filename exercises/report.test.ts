import { describe, expect, it } from 'vitest';
import type { Alert } from '../lib/events.js';
import type { PurpleGap, RedScenario } from '../processors/purple/model.js';
import { buildReport, formatCoverage, renderHtml } from './report.js';
import { summaryLine } from './run.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const scen = (id: string, over: Partial<RedScenario> = {}): RedScenario => ({
  exercise_id: 'ex-r', scenario_id: id, name: `name of ${id}`, techniques: ['T1046'], agent_id: `agent-${id}`, host: 'h', start_time: T0, end_time: T0 + 3000,
  expected_category: 'probe', deadline_ms: 60_000, evasive: false, ...over,
});
const gap = (s: RedScenario, over: Partial<PurpleGap>): PurpleGap => ({
  result_id: `r-${s.scenario_id}`, exercise_id: 'ex-r', scenario_id: s.scenario_id, techniques: s.techniques, agent_id: s.agent_id, detected: true, time_to_detect_ms: 1500,
  time_to_respond_ms: null, matching_alert_ids: [], unmatched_alert_ids: [], gap: 'no_response', start_time: s.start_time, decided_at: s.start_time + 90_000, ...over,
});
const alert = (id: string, agent: string, t: number, category = 'probe'): Alert => ({
  alert_id: id, agent_id: agent, host: 'h', severity: 'high', category, title: `<b>${id}</b>`, description: '', remediation: '', detector: 'model:m@1', score: 0.9, model_version: 'm@1',
  techniques: [], evidence_event_ids: [], first_evidence_time: t, event_time: t, detected_at: t, asset_criticality: 'high', metadata: {},
});

describe('exercise report', () => {
  const a = scen('scan');
  const b = scen('flood', { techniques: ['T1498', 'T1499'], expected_category: 'dos' });
  const c = scen('slow', { evasive: true, deadline_ms: 300_000 });
  const d = scen('late-one', { techniques: ['T1110.001'], expected_category: 'brute_force' });
  const e = scen('pending-one', { techniques: ['T1496'], expected_category: null });
  const input = {
    exerciseId: 'ex-r',
    scenarios: [a, b, c, d, e],
    gaps: [
      gap(a, { matching_alert_ids: ['a1'], time_to_respond_ms: 20_000, gap: null }),
      gap(b, { matching_alert_ids: ['b1'], unmatched_alert_ids: ['b2'], time_to_detect_ms: 2500 }),
      gap(c, { detected: false, time_to_detect_ms: null, gap: 'missed' }),
      gap(d, { detected: false, time_to_detect_ms: 70_000, gap: 'late', matching_alert_ids: ['d1'] }),
    ],
    alerts: [alert('a1', a.agent_id, T0 + 1500), alert('b1', b.agent_id, T0 + 2500, 'dos'), alert('b2', b.agent_id, T0 + 4000, 'r2l'), alert('d1', d.agent_id, T0 + 70_000, 'brute_force'), alert('far', a.agent_id, T0 + 3_600_000)],
    responses: [{ response_id: 'x', alert_id: 'a1', agent_id: a.agent_id, action: 'acknowledged', actor: 'ann', responded_at: T0 + 21_500 }],
    graceMs: 30_000,
    generatedAt: T0 + 600_000,
  };
  const report = buildReport(input);

  it('counts outcomes, techniques and categories', () => {
    expect(report.summary).toMatchObject({ scenarios: 5, detected: 2, late: 1, missed: 1, pending: 1, no_response: 1, evasive: 1, evasive_missed: 1, techniques: 5, techniques_detected: 3, median_time_to_detect_ms: 2000, median_time_to_respond_ms: 20_000, possible_false_positives: 1 });
    expect(report.by_technique.find((t) => t.technique === 'T1046')).toEqual({ technique: 'T1046', scenarios: 2, detected: 1, late: 0, missed: 1 });
    expect(report.by_category.map((c) => c.category)).toEqual(['any', 'brute_force', 'dos', 'probe']);
    expect(report.scenarios.find((s) => s.scenario.scenario_id === 'scan')!.alerts.map((x) => x.alert_id)).toEqual(['a1']); // 'far' is outside the window
    expect(report.gaps.map((g) => [g.scenario_id, g.gap])).toEqual([['flood', 'no_response'], ['late-one', 'late'], ['pending-one', 'pending'], ['slow', 'missed']]);
    expect(report.gaps.find((g) => g.scenario_id === 'slow')!.detail).toMatch(/built to evade/);
  });

  it('prints the coverage table and the summary line', () => {
    const table = formatCoverage(report);
    expect(table).toMatch(/5 scenarios — 2 detected, 1 late, 1 missed, 1 pending/);
    expect(table).toMatch(/^T1046\s+2\s+1\s+0\s+1$/m);
    const line = JSON.parse(summaryLine(report, '/tmp/r.html'));
    expect(line).toEqual({ exercise_id: 'ex-r', scenarios: 5, detected: 2, late: 1, missed: 1, techniques: 5, techniques_detected: 3, report: '/tmp/r.html' });
  });

  it('renders one self-contained HTML file with every section, the chart and the numbers', () => {
    const html = renderHtml(report, 30_000);
    for (const id of ['summary', 'coverage', 'coverage-chart', 'coverage-techniques', 'coverage-categories', 'results', 'timelines', 'gaps']) expect(html).toContain(`id="${id}"`);
    expect(html).toMatch(/<b id="n-scenarios">5<\/b>/);
    expect(html).toMatch(/<b id="n-detected"[^>]*>2<\/b>/);
    expect(html).toMatch(/<b id="n-late"[^>]*>1<\/b>/);
    expect(html).toMatch(/<b id="n-missed"[^>]*>1<\/b>/);
    expect(html).toMatch(/<b id="n-techniques">3\/5<\/b>/);
    expect((html.match(/<svg class="timeline"/g) ?? []).length).toBe(5);
    expect(html).toContain('<svg id="coverage-chart"');
    expect(html).not.toMatch(/<script|<link|src=|href="http/); // nothing external
    expect(html).toContain('&lt;b&gt;a1&lt;/b&gt;'); // alert titles are escaped
    expect(html).not.toContain('<b>a1</b>');
  });
});
