import type pg from 'pg';
import { withTransaction } from '../../lib/db/pool.js';
import type { Alert } from '../../lib/events.js';
import type { Sink } from '../../lib/stream/sink.js';

const COLUMNS = [
  'alert_id', 'agent_id', 'host', 'severity', 'category', 'title', 'description', 'remediation', 'detector', 'score',
  'model_version', 'evidence_event_ids', 'first_evidence_time', 'event_time', 'metadata',
] as const;
const ROWS_PER_STATEMENT = 500;

/**
 * rbp.alerts → PostgreSQL alerts. Idempotent: an alert id is inserted once (ON CONFLICT DO NOTHING) and
 * only a real insert writes the 'created' audit row, so a redelivered batch changes nothing.
 */
export function createAlertStore(pool: pg.Pool): Sink<Alert> {
  return {
    name: 'alert-store',
    inputs: ['rbp.alerts'],
    deadLetterTopic: 'rbp.alerts.dlq',
    async write(records) {
      const alerts = [...new Map(records.map((r) => [r.value.alert_id, r.value])).values()];
      await withTransaction(pool, async (client) => {
        for (let i = 0; i < alerts.length; i += ROWS_PER_STATEMENT) await insertAlerts(client, alerts.slice(i, i + ROWS_PER_STATEMENT));
      });
    },
  };
}

async function insertAlerts(client: pg.PoolClient, alerts: Alert[]): Promise<void> {
  const values: unknown[] = [];
  const tuples = alerts.map((a) => {
    const row = [
      a.alert_id, a.agent_id, a.host, a.severity, a.category, a.title, a.description, a.remediation, a.detector, a.score,
      a.model_version, a.evidence_event_ids, new Date(a.first_evidence_time), new Date(a.event_time),
      JSON.stringify({ ...a.metadata, techniques: a.techniques, asset_criticality: a.asset_criticality, detected_at: a.detected_at }),
    ];
    const placeholders = row.map((_, i) => `$${values.length + i + 1}`);
    values.push(...row);
    return `(${placeholders.join(', ')})`;
  });
  await client.query(
    `WITH inserted AS (
       INSERT INTO alerts (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
       ON CONFLICT (alert_id) DO NOTHING
       RETURNING alert_id
     )
     INSERT INTO alert_audit (alert_id, from_status, to_status, actor, note)
     SELECT alert_id, NULL, 'open', 'alert-store', 'created' FROM inserted`,
    values,
  );
}
