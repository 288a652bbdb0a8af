import type { Alert } from '../../lib/events.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import type { Sink } from '../../lib/stream/sink.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { ProcessorDefinition } from '../../processors/definition.js';
import { parseSiemConfig, type SiemConfig } from './config.js';
import { deliverWithRetry, type RetryPolicy } from './delivery.js';
import { createSyslogSink, type SiemSink, SplunkHecSink, WebhookSink } from './sinks.js';

type Target = 'splunk' | 'syslog' | 'webhook';

const BUILD: Record<Target, (c: SiemConfig) => SiemSink | undefined> = {
  splunk: (c) => (c.splunk ? new SplunkHecSink(c.splunk) : undefined),
  syslog: (c) => (c.syslog ? createSyslogSink(c.syslog) : undefined),
  webhook: (c) => (c.webhook ? new WebhookSink(c.webhook) : undefined),
};

const ENABLED_BY: Record<Target, string> = { splunk: 'SIEM_SPLUNK_URL', syslog: 'SIEM_SYSLOG_HOST', webhook: 'SIEM_WEBHOOK_URL' };

/**
 * rbp.alerts → one SIEM, at least once: a batch is committed only after delivery returns; an alert the
 * target rejects for good goes to rbp.alerts.dlq with the reason; a target that stays down stops the
 * partition (retried with backoff) instead of dead-lettering everything. Receivers dedupe by alert id.
 */
export function siemSink(name: string, target: SiemSink, retry: RetryPolicy): Sink<Alert> {
  return {
    name,
    inputs: ['rbp.alerts'],
    deadLetterTopic: 'rbp.alerts.dlq',
    async write(records) {
      const byId = new Map(records.map((r) => [r.value.alert_id, r]));
      const { deadLettered } = await deliverWithRetry(target, records.map((r) => r.value), retry);
      return { deadLetters: deadLettered.map((d) => ({ record: byId.get(d.alert.alert_id)!, reason: 'rejected_by_target', error: d.reason })) };
    },
    close: () => target.close(),
  };
}

function siemDefinition(target: Target, metricsPort: number): ProcessorDefinition {
  const name = `siem-${target}`;
  return {
    name,
    description: `rbp.alerts → ${target} (at least once, idempotency key = alert id; permanent rejections → rbp.alerts.dlq); enabled by ${ENABLED_BY[target]}`,
    inputs: ['rbp.alerts'],
    metricsPort,
    async start({ instanceId, metricsPort: port }) {
      const config = parseSiemConfig(process.env);
      const sink = BUILD[target](config);
      if (!sink) throw new Error(`${name}: ${ENABLED_BY[target]} is not set, so there is nothing to deliver to`);
      return runSink(siemSink(name, sink, { ...config.retry }), await avroDecoder<Alert>('rbp.alerts'), { instanceId, metricsPort: port });
    },
  };
}

export const siemDefinitions: readonly ProcessorDefinition[] = [siemDefinition('splunk', 9121), siemDefinition('syslog', 9122), siemDefinition('webhook', 9123)];
