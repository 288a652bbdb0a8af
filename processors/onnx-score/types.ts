import type { Severity, TelemetryEvent } from '../../lib/events.js';

/** A rule that fired in correlate (schemas/avro/types/Signal.avsc). */
export interface Signal {
  rule_id: string;
  category: string;
  severity: Severity | string;
  title: string;
  description: string;
  techniques: string[];
  evidence_event_ids: string[];
  first_evidence_time: number;
  metadata: Record<string, string>;
}

/** Value of rbp.correlated (schemas/avro/correlated-event.avsc), as the codec decodes it. */
export interface CorrelatedEvent {
  event: TelemetryEvent;
  traffic_features: 'NONE' | 'SENSOR' | 'COMPUTED';
  signals: Signal[];
}
