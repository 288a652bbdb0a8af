export type { Alert, AlertSeverity } from './alert.js';
export { ALERT_SEVERITIES } from './alert.js';
export * from './errors.js';
export * from './formatters.js';
export * from './sinks.js';
export * from './delivery.js';
export * from './config.js';
