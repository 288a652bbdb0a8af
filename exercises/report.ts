import type { Alert } from '../lib/events.js';
import type { BlueResponse, PurpleGap, RedScenario } from '../processors/purple/model.js';

/** What a report is made of: the exercise's start records, its results, and the alerts/responses on its entities. */
export interface ReportInput {
  exerciseId: string;
  scenarios: RedScenario[];
  gaps: PurpleGap[];
  alerts: Alert[];
  responses: BlueResponse[];
  /** The purple stage's grace (for drawing the decision point). */
  graceMs: number;
  generatedAt: number;
}

export interface Outcome {
  scenarios: number;
  detected: number;
  late: number;
  missed: number;
}

export interface ScenarioReport {
  scenario: RedScenario;
  result: PurpleGap | null;
  /** detected | late | missed | pending (no result yet). */
  outcome: 'detected' | 'late' | 'missed' | 'pending';
  /** Evasive scenarios are expected to be missed; others to be detected. */
  asExpected: boolean | null;
  alerts: { alert_id: string; category: string; severity: string; title: string; event_time: number; detector: string; matching: boolean; unmatched: boolean; responded_at: number | null }[];
}

export interface ExerciseReport {
  exercise_id: string;
  generated_at: string;
  summary: Outcome & {
    pending: number;
    no_response: number;
    evasive: number;
    evasive_missed: number;
    techniques: number;
    techniques_detected: number;
    median_time_to_detect_ms: number | null;
    median_time_to_respond_ms: number | null;
    possible_false_positives: number;
  };
  by_technique: ({ technique: string } & Outcome)[];
  by_category: ({ category: string } & Outcome)[];
  scenarios: ScenarioReport[];
  gaps: { scenario_id: string; agent_id: string; gap: string; techniques: string[]; evasive: boolean; detail: string; matching_alert_ids: string[]; unmatched_alert_ids: string[] }[];
}

const outcomeOf = (g: PurpleGap | null): ScenarioReport['outcome'] => (!g ? 'pending' : g.detected ? 'detected' : g.gap === 'late' ? 'late' : 'missed');

function tally<K extends string>(items: { keys: string[]; outcome: ScenarioReport['outcome'] }[], name: K): ({ [P in K]: string } & Outcome)[] {
  const by = new Map<string, Outcome>();
  for (const it of items) {
    for (const k of it.keys) {
      const o = by.get(k) ?? { scenarios: 0, detected: 0, late: 0, missed: 0 };
      o.scenarios += 1;
      if (it.outcome === 'detected') o.detected += 1;
      else if (it.outcome === 'late') o.late += 1;
      else if (it.outcome === 'missed') o.missed += 1;
      by.set(k, o);
    }
  }
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, o]) => ({ [name]: k, ...o }) as { [P in K]: string } & Outcome);
}

const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};

export function buildReport(input: ReportInput): ExerciseReport {
  const gapBy = new Map(input.gaps.map((g) => [g.scenario_id, g]));
  const respondedAt = new Map<string, number>();
  for (const r of input.responses) if (!respondedAt.has(r.alert_id) || r.responded_at < respondedAt.get(r.alert_id)!) respondedAt.set(r.alert_id, r.responded_at);
  const scenarios = [...input.scenarios].sort((a, b) => (a.scenario_id < b.scenario_id ? -1 : 1));
  const reports: ScenarioReport[] = scenarios.map((s) => {
    const result = gapBy.get(s.scenario_id) ?? null;
    const outcome = outcomeOf(result);
    const from = s.start_time - 60_000;
    const to = s.start_time + s.deadline_ms + input.graceMs;
    const matching = new Set(result?.matching_alert_ids ?? []);
    const unmatched = new Set(result?.unmatched_alert_ids ?? []);
    const alerts = input.alerts
      .filter((a) => a.agent_id === s.agent_id && a.event_time >= from && a.event_time <= to)
      .sort((a, b) => a.event_time - b.event_time)
      .map((a) => ({ alert_id: a.alert_id, category: a.category, severity: a.severity, title: a.title, event_time: a.event_time, detector: a.detector, matching: matching.has(a.alert_id), unmatched: unmatched.has(a.alert_id), responded_at: respondedAt.get(a.alert_id) ?? null }));
    const asExpected = outcome === 'pending' ? null : s.evasive ? outcome === 'missed' : outcome === 'detected';
    return { scenario: s, result, outcome, asExpected, alerts };
  });
  const items = reports.map((r) => ({ keys: r.scenario.techniques, outcome: r.outcome }));
  const byTechnique = tally(items, 'technique');
  const byCategory = tally(reports.map((r) => ({ keys: [r.scenario.expected_category ?? 'any'], outcome: r.outcome })), 'category');
  const count = (o: ScenarioReport['outcome']) => reports.filter((r) => r.outcome === o).length;
  const decided = reports.filter((r) => r.result);
  return {
    exercise_id: input.exerciseId,
    generated_at: new Date(input.generatedAt).toISOString(),
    summary: {
      scenarios: reports.length,
      detected: count('detected'),
      late: count('late'),
      missed: count('missed'),
      pending: count('pending'),
      no_response: decided.filter((r) => r.result!.gap === 'no_response').length,
      evasive: reports.filter((r) => r.scenario.evasive).length,
      evasive_missed: reports.filter((r) => r.scenario.evasive && r.outcome === 'missed').length,
      techniques: byTechnique.length,
      techniques_detected: byTechnique.filter((t) => t.detected > 0).length,
      median_time_to_detect_ms: median(decided.filter((r) => r.result!.detected && r.result!.time_to_detect_ms !== null).map((r) => r.result!.time_to_detect_ms!)),
      median_time_to_respond_ms: median(decided.filter((r) => r.result!.time_to_respond_ms !== null).map((r) => r.result!.time_to_respond_ms!)),
      possible_false_positives: new Set(decided.flatMap((r) => r.result!.unmatched_alert_ids)).size,
    },
    by_technique: byTechnique,
    by_category: byCategory,
    scenarios: reports,
    gaps: reports
      .filter((r) => r.result?.gap || r.outcome === 'pending')
      .map((r) => ({
        scenario_id: r.scenario.scenario_id,
        agent_id: r.scenario.agent_id,
        gap: r.result?.gap ?? 'pending',
        techniques: r.scenario.techniques,
        evasive: r.scenario.evasive,
        detail: gapDetail(r),
        matching_alert_ids: r.result?.matching_alert_ids ?? [],
        unmatched_alert_ids: r.result?.unmatched_alert_ids ?? [],
      })),
  };
}

function gapDetail(r: ScenarioReport): string {
  const s = r.scenario;
  const g = r.result;
  const want = s.expected_category ? `a ${s.expected_category} alert` : 'an alert';
  const seen = r.alerts.length ? `alerts seen on ${s.agent_id}: ${summarizeCategories(r.alerts)}` : `no alert at all on ${s.agent_id}`;
  if (!g) return `no result yet (decided once event time passes start + ${secs(s.deadline_ms)} + grace)`;
  if (g.gap === 'missed') return `no ${want.slice(2)} on ${s.agent_id} within ${secs(s.deadline_ms)} (+ grace) of the start${s.evasive ? ' — expected: built to evade' : ''}; ${seen}`;
  if (g.gap === 'late') return `${want} came ${secs(g.time_to_detect_ms ?? 0)} after the start, past the ${secs(s.deadline_ms)} deadline`;
  if (g.gap === 'no_response') return `detected after ${secs(g.time_to_detect_ms ?? 0)}, but no blue response to a matching alert by the decision`;
  return '';
}

const summarizeCategories = (alerts: { category: string }[]): string => {
  const c = new Map<string, number>();
  for (const a of alerts) c.set(a.category, (c.get(a.category) ?? 0) + 1);
  return [...c].map(([k, n]) => `${n} ${k}`).join(', ');
};

const secs = (ms: number): string => (Math.abs(ms) >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

/** The ATT&CK coverage table, as printed by `socflow exercise report`. */
export function formatCoverage(r: ExerciseReport): string {
  const rows = [['technique', 'scenarios', 'detected', 'late', 'missed'], ...r.by_technique.map((t) => [t.technique, t.scenarios, t.detected, t.late, t.missed].map(String))];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const s = r.summary;
  return [
    `exercise ${r.exercise_id}: ${s.scenarios} scenarios — ${s.detected} detected, ${s.late} late, ${s.missed} missed${s.pending ? `, ${s.pending} pending` : ''} (${s.evasive_missed}/${s.evasive} evasive missed as built); ${s.techniques_detected}/${s.techniques} techniques detected`,
    line(rows[0]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------- HTML

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const COLORS = { detected: '#2e7d32', late: '#f9a825', missed: '#c62828', pending: '#9e9e9e' };
const time = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

function coverageChart(rows: ({ technique: string } & Outcome)[]): string {
  const barH = 22;
  const labelW = 110;
  const width = 640;
  const max = Math.max(1, ...rows.map((r) => r.scenarios));
  const scale = (width - labelW - 40) / max;
  const bars = rows
    .map((r, i) => {
      const y = 10 + i * (barH + 6);
      let x = labelW;
      const seg = (n: number, color: string, label: string) => {
        if (!n) return '';
        const w = n * scale;
        const out = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"><title>${esc(r.technique)}: ${n} ${label}</title></rect>`;
        x += w;
        return out;
      };
      return `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" class="lbl">${esc(r.technique)}</text>${seg(r.detected, COLORS.detected, 'detected')}${seg(r.late, COLORS.late, 'late')}${seg(r.missed, COLORS.missed, 'missed')}${seg(r.scenarios - r.detected - r.late - r.missed, COLORS.pending, 'pending')}<text x="${(x + 6).toFixed(1)}" y="${y + 15}" class="lbl">${r.detected}/${r.scenarios}</text>`;
    })
    .join('');
  const h = 20 + rows.length * (barH + 6);
  return `<svg id="coverage-chart" role="img" aria-label="ATT&amp;CK coverage per technique" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}">${bars}</svg>`;
}

function timeline(r: ScenarioReport, graceMs: number): string {
  const s = r.scenario;
  const from = s.start_time - Math.max(5000, s.deadline_ms * 0.1);
  const to = s.start_time + s.deadline_ms + graceMs + Math.max(5000, s.deadline_ms * 0.05);
  const W = 720;
  const x = (t: number) => 10 + ((t - from) / (to - from)) * (W - 20);
  const clampX = (t: number) => Math.min(W - 10, Math.max(10, x(t)));
  const parts = [
    `<rect x="${x(s.start_time).toFixed(1)}" y="18" width="${Math.max(2, x(s.end_time) - x(s.start_time)).toFixed(1)}" height="14" fill="#b71c1c" opacity="0.55"><title>red activity ${time(s.start_time)} – ${time(s.end_time)}</title></rect>`,
    `<rect x="${x(s.start_time + s.deadline_ms).toFixed(1)}" y="10" width="${(x(s.start_time + s.deadline_ms + graceMs) - x(s.start_time + s.deadline_ms)).toFixed(1)}" height="50" fill="#fff3e0"><title>grace</title></rect>`,
    `<line x1="${x(s.start_time + s.deadline_ms).toFixed(1)}" x2="${x(s.start_time + s.deadline_ms).toFixed(1)}" y1="8" y2="62" stroke="#333" stroke-dasharray="4 3"><title>deadline ${time(s.start_time + s.deadline_ms)}</title></line>`,
    `<line x1="10" x2="${W - 10}" y1="46" y2="46" stroke="#bbb"/>`,
    ...r.alerts.map((a) => {
      const color = a.matching ? COLORS.detected : a.unmatched ? '#6a1b9a' : '#757575';
      const resp = a.responded_at !== null ? `<line x1="${clampX(a.event_time).toFixed(1)}" x2="${clampX(a.responded_at).toFixed(1)}" y1="54" y2="54" stroke="#1565c0" stroke-width="2"><title>response at ${time(a.responded_at)}</title></line>` : '';
      return `<circle cx="${clampX(a.event_time).toFixed(1)}" cy="46" r="5" fill="${color}"><title>${esc(a.category)} ${esc(a.severity)} ${esc(a.alert_id)} at ${time(a.event_time)}: ${esc(a.title)}</title></circle>${resp}`;
    }),
    `<text x="${x(s.start_time).toFixed(1)}" y="76" class="lbl">start ${time(s.start_time)}</text>`,
    `<text x="${x(s.start_time + s.deadline_ms).toFixed(1)}" y="76" class="lbl">deadline +${secs(s.deadline_ms)}</text>`,
  ];
  return `<svg class="timeline" viewBox="0 0 ${W} 82" width="${W}" height="82">${parts.join('')}</svg>`;
}

export function renderHtml(r: ExerciseReport, graceMs: number): string {
  const s = r.summary;
  const ms = (v: number | null) => (v === null ? '—' : secs(v));
  const cell = (v: unknown) => `<td>${esc(v)}</td>`;
  const outcomeCell = (o: ScenarioReport['outcome']) => `<td><span class="badge" style="background:${COLORS[o]}">${o}</span></td>`;
  const coverageRows = (rows: ({ technique?: string; category?: string } & Outcome)[], key: 'technique' | 'category') =>
    rows.map((t) => `<tr>${cell(t[key])}${cell(t.scenarios)}${cell(t.detected)}${cell(t.late)}${cell(t.missed)}${cell(`${Math.round((100 * t.detected) / Math.max(1, t.scenarios))}%`)}</tr>`).join('');
  const scenarioBlocks = r.scenarios
    .map((sr) => {
      const g = sr.result;
      return `<section class="scenario" id="scenario-${esc(sr.scenario.scenario_id)}">
<h3>${esc(sr.scenario.scenario_id)} <small>${esc(sr.scenario.name)}</small> <span class="badge" style="background:${COLORS[sr.outcome]}">${sr.outcome}</span>${sr.scenario.evasive ? ' <span class="badge ev">evasive</span>' : ''}${sr.asExpected === false ? ' <span class="badge warn">not as expected</span>' : ''}</h3>
<p>${esc(sr.scenario.agent_id)} (${esc(sr.scenario.host)}) · ${sr.scenario.techniques.map(esc).join(', ')} · expects ${esc(sr.scenario.expected_category ?? 'any')} within ${secs(sr.scenario.deadline_ms)} · time to detect ${ms(g?.time_to_detect_ms ?? null)} · time to respond ${ms(g?.time_to_respond_ms ?? null)}${g?.gap ? ` · gap <b>${esc(g.gap)}</b>` : ''}</p>
${timeline(sr, graceMs)}
${sr.alerts.length ? `<table class="alerts"><tr><th>time</th><th>alert</th><th>category</th><th>severity</th><th>detector</th><th>join</th></tr>${sr.alerts.map((a) => `<tr>${cell(time(a.event_time))}${cell(a.alert_id)}${cell(a.category)}${cell(a.severity)}${cell(a.detector)}${cell(a.matching ? 'matching' : a.unmatched ? 'unmatched' : 'other scenario / outside')}</tr>`).join('')}</table>` : '<p class="muted">no alert on this entity around the scenario</p>'}
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Purple-team exercise ${esc(r.exercise_id)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f5f5f5}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:90px}.card b{display:block;font-size:22px}
.badge{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px}.badge.ev{background:#455a64}.badge.warn{background:#6a1b9a}
.lbl{font-size:11px;fill:#333}.muted{color:#777}small{color:#666;font-weight:normal}table.alerts{font-size:12px}
</style></head><body>
<h1>Purple-team exercise <code>${esc(r.exercise_id)}</code></h1>
<p class="muted">generated ${esc(r.generated_at)} · times are event times (UTC) · a scenario is decided when event time passes start + deadline + ${secs(graceMs)} grace</p>
<section id="summary"><h2>Summary</h2><div class="cards">
<div class="card"><b id="n-scenarios">${s.scenarios}</b>scenarios</div>
<div class="card"><b id="n-detected" style="color:${COLORS.detected}">${s.detected}</b>detected</div>
<div class="card"><b id="n-late" style="color:${COLORS.late}">${s.late}</b>late</div>
<div class="card"><b id="n-missed" style="color:${COLORS.missed}">${s.missed}</b>missed</div>
<div class="card"><b id="n-pending">${s.pending}</b>pending</div>
<div class="card"><b id="n-no-response">${s.no_response}</b>no response</div>
<div class="card"><b id="n-techniques">${s.techniques_detected}/${s.techniques}</b>techniques detected</div>
<div class="card"><b>${s.evasive_missed}/${s.evasive}</b>evasive missed as built</div>
<div class="card"><b>${ms(s.median_time_to_detect_ms)}</b>median time to detect</div>
<div class="card"><b>${ms(s.median_time_to_respond_ms)}</b>median time to respond</div>
<div class="card"><b>${s.possible_false_positives}</b>unmatched alerts</div>
</div></section>
<section id="coverage"><h2>ATT&amp;CK coverage per technique</h2>
${coverageChart(r.by_technique)}
<p class="muted"><span style="color:${COLORS.detected}">■</span> detected <span style="color:${COLORS.late}">■</span> late <span style="color:${COLORS.missed}">■</span> missed <span style="color:${COLORS.pending}">■</span> pending</p>
<table id="coverage-techniques"><tr><th>technique</th><th>scenarios</th><th>detected</th><th>late</th><th>missed</th><th>coverage</th></tr>${coverageRows(r.by_technique, 'technique')}</table>
<h3>per expected alert category</h3>
<table id="coverage-categories"><tr><th>category</th><th>scenarios</th><th>detected</th><th>late</th><th>missed</th><th>coverage</th></tr>${coverageRows(r.by_category, 'category')}</table>
</section>
<section id="results"><h2>Results</h2>
<table><tr><th>scenario</th><th>entity</th><th>techniques</th><th>outcome</th><th>time to detect</th><th>time to respond</th><th>gap</th></tr>
${r.scenarios.map((sr) => `<tr>${cell(sr.scenario.scenario_id)}${cell(sr.scenario.agent_id)}${cell(sr.scenario.techniques.join(', '))}${outcomeCell(sr.outcome)}${cell(ms(sr.result?.time_to_detect_ms ?? null))}${cell(ms(sr.result?.time_to_respond_ms ?? null))}${cell(sr.result?.gap ?? '')}</tr>`).join('')}
</table></section>
<section id="timelines"><h2>Timelines</h2>
<p class="muted">red bar: red activity · dashed line: deadline · shaded: grace · dots: alerts on the entity (green matching, purple unmatched, grey other) · blue: time to response</p>
${scenarioBlocks}
</section>
<section id="gaps"><h2>Gaps</h2>
${r.gaps.length ? `<table><tr><th>scenario</th><th>gap</th><th>evidence</th><th>matching alerts</th><th>unmatched alerts</th></tr>${r.gaps.map((g) => `<tr>${cell(g.scenario_id)}${cell(g.gap + (g.evasive ? ' (evasive)' : ''))}${cell(g.detail)}${cell(g.matching_alert_ids.join(' ') || '—')}${cell(g.unmatched_alert_ids.join(' ') || '—')}</tr>`).join('')}</table>` : '<p>No gaps.</p>'}
</section>
</body></html>
`;
}
