import type pg from 'pg';

export interface DemoSummary {
  events_in: number;
  normalized: number;
  dlq: number;
  duplicates: number;
  alerts: number;
  quota_updates: number;
  proposals: number;
  alerts_by_severity: Record<string, number>;
  alerts_by_category: Record<string, number>;
  dlq_by_reason: Record<string, number>;
}

export async function alertCounts(db: pg.Pool): Promise<Pick<DemoSummary, 'alerts' | 'alerts_by_severity' | 'alerts_by_category'>> {
  const bySeverity = await db.query<{ severity: string; n: string }>('SELECT severity, count(*) AS n FROM alerts GROUP BY severity');
  const byCategory = await db.query<{ category: string; n: string }>('SELECT category, count(*) AS n FROM alerts GROUP BY category ORDER BY category');
  const alerts_by_severity = Object.fromEntries(bySeverity.rows.map((r) => [r.severity, Number(r.n)]));
  return {
    alerts: Object.values(alerts_by_severity).reduce((a, b) => a + b, 0),
    alerts_by_severity,
    alerts_by_category: Object.fromEntries(byCategory.rows.map((r) => [r.category, Number(r.n)])),
  };
}

export async function tableCount(db: pg.Pool, table: 'quota_updates' | 'proposals'): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

export function formatSummary(s: DemoSummary): string {
  const sev = ['critical', 'high', 'medium', 'low', 'info'].map((k) => `${k} ${s.alerts_by_severity[k] ?? 0}`).join(', ');
  const cat = Object.entries(s.alerts_by_category).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const reasons = Object.entries(s.dlq_by_reason).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    '',
    'socflow demo — summary',
    `  events in           ${s.events_in}`,
    `  normalized          ${s.normalized}`,
    `  dead-lettered       ${s.dlq} (${reasons})`,
    `  duplicates dropped  ${s.duplicates}`,
    `  alerts              ${s.alerts}`,
    `    by severity       ${sev}`,
    `    by category       ${cat}`,
    `  quota updates       ${s.quota_updates}`,
    `  proposals           ${s.proposals}`,
    '',
  ].join('\n');
}
