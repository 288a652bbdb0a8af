import type { AssetContext, NetworkConnection, TelemetryEvent } from '../../lib/events.js';
import type { CorrelatedEvent, Signal } from './types.js';

/** Builders of rbp.correlated values for onnx-score tests. */
export function connectionEvent(
  id: string,
  agent: string,
  time: number,
  attrs: Record<string, string | number>,
  opts: { criticality?: AssetContext['criticality']; signals?: Signal[]; dstPort?: number } = {},
): CorrelatedEvent {
  const payload = { src_ip: '203.0.113.7', src_port: 40000, dst_ip: '10.0.0.5', dst_port: opts.dstPort ?? 80, ...attrs } as unknown as NetworkConnection;
  const event: TelemetryEvent = {
    event_id: id,
    agent_id: agent,
    host: `${agent}.example`,
    source: 'agent',
    event_time: time,
    // onnx-score never reads metadata: a value here must not change any decision
    metadata: { exercise: 'red-team', severity: 'critical' },
    asset: opts.criticality ? { criticality: opts.criticality, owner: 'ops' } : null,
    ingest_time: time + 5,
    type: 'CONNECTION',
    payload,
  };
  return { event, traffic_features: 'SENSOR', signals: opts.signals ?? [] };
}

export function authEvent(id: string, agent: string, time: number, signals: Signal[] = []): CorrelatedEvent {
  return {
    event: {
      event_id: id,
      agent_id: agent,
      host: `${agent}.example`,
      source: 'agent',
      event_time: time,
      metadata: {},
      asset: null,
      ingest_time: null,
      type: 'AUTH',
      payload: { user: 'root', source_ip: '198.51.100.9', method: 'ssh', outcome: 'FAILURE' },
    },
    traffic_features: 'NONE',
    signals,
  };
}

export function signal(rule: string, evidence: string[], first: number, over: Partial<Signal> = {}): Signal {
  return {
    rule_id: rule,
    category: 'brute_force',
    severity: 'high',
    title: `Rule ${rule}`,
    description: 'five failures in 60 s',
    techniques: ['T1110'],
    evidence_event_ids: evidence,
    first_evidence_time: first,
    metadata: { failures: '5' },
    ...over,
  };
}
