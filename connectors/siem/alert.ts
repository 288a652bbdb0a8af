/** The SIEM outputs deliver the pipeline's alerts (schemas/avro/alert.avsc), typed once in lib/events. */
export type { Alert, Severity as AlertSeverity } from '../../lib/events.js';
export { SEVERITIES as ALERT_SEVERITIES } from '../../lib/events.js';
