import type { Alert } from '../../lib/events.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import type { RunningStage } from '../../lib/stream/kafkaRuntime.js';
import type { Sink } from '../../lib/stream/sink.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { RunOptions } from '../../processors/definition.js';
import { parseSiemConfig, type SiemConfig } from './config.js';
import { deliverWithRetry, type RetryPolicy } from './delivery.js';
import { ENABLED_BY, type SiemTarget } from './processor.js';
import { createSyslogSink, type SiemSink, SplunkHecSink, WebhookSink } from './sinks.js';

const BUILD: Record<SiemTarget, (c: SiemConfig) => SiemSink | undefined> = {
  splunk: (c) => (c.splunk ? new SplunkHecSink(c.splunk) : undefined),
  syslog: (c) => (c.syslog ? createSyslogSink(c.syslog) : undefined),
  webhook: (c) => (c.webhook ? new WebhookSink(c.webhook) : undefined),
};

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

export async function startSiem(target: SiemTarget, name: string, { instanceId, metricsPort }: RunOptions): Promise<RunningStage> {
  const config = parseSiemConfig(process.env);
  const sink = BUILD[target](config);
  if (!sink) throw new Error(`${name}: ${ENABLED_BY[target]} is not set, so there is nothing to deliver to`);
  return runSink(siemSink(name, sink, { ...config.retry }), await avroDecoder<Alert>('rbp.alerts'), { instanceId, metricsPort });
}
