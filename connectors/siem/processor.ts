import type { ProcessorDefinition } from '../../processors/definition.js';

export type SiemTarget = 'splunk' | 'syslog' | 'webhook';

export const ENABLED_BY: Record<SiemTarget, string> = { splunk: 'SIEM_SPLUNK_URL', syslog: 'SIEM_SYSLOG_HOST', webhook: 'SIEM_WEBHOOK_URL' };

function siemDefinition(target: SiemTarget, metricsPort: number): ProcessorDefinition {
  const name = `siem-${target}`;
  return {
    name,
    description: `rbp.alerts → ${target} (at least once, idempotency key = alert id; permanent rejections → rbp.alerts.dlq); enabled by ${ENABLED_BY[target]}`,
    inputs: ['rbp.alerts'],
    metricsPort,
    start: async (opts) => (await import('./start.js')).startSiem(target, name, opts),
  };
}

export const siemDefinitions: readonly ProcessorDefinition[] = [siemDefinition('splunk', 9121), siemDefinition('syslog', 9122), siemDefinition('webhook', 9123)];
