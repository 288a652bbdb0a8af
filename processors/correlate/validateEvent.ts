import { SEVERITIES, type TelemetryEvent } from '../../lib/events.js';

const TYPES = ['METRIC', 'AUTH', 'CONNECTION', 'FINDING', 'COMPLIANCE'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * What the detectors rely on, checked before anything touches state: a record that fails goes to the
 * dead-letter topic with the reason, never half-way into a window. Null when the event is usable.
 */
export function eventProblem(v: unknown): string | null {
  if (!isObj(v)) return 'event is not a record';
  if (!isStr(v.event_id) || !v.event_id) return 'event_id missing';
  if (!isStr(v.agent_id) || !v.agent_id) return 'agent_id missing';
  if (!isNum(v.event_time)) return 'event_time is not a finite number';
  if (!isStr(v.type) || !TYPES.includes(v.type)) return `unknown event type ${JSON.stringify(v.type)}`;
  const p = v.payload;
  if (!isObj(p)) return `${v.type} event without payload`;
  switch (v.type as TelemetryEvent['type']) {
    case 'CONNECTION':
      if (!isStr(p.dst_ip)) return 'connection.dst_ip must be a string';
      if (!isStr(p.service)) return 'connection.service must be a string';
      if (!isStr(p.flag)) return 'connection.flag must be a string';
      if (!isNum(p.src_port)) return 'connection.src_port must be a number';
      return null;
    case 'AUTH':
      if (!isStr(p.source_ip)) return 'auth.source_ip must be a string';
      if (!isStr(p.user)) return 'auth.user must be a string';
      if (p.outcome !== 'SUCCESS' && p.outcome !== 'FAILURE') return `auth.outcome must be SUCCESS or FAILURE, got ${JSON.stringify(p.outcome)}`;
      return null;
    case 'METRIC':
      return isObj(p.metrics) ? null : 'metric.metrics must be a map';
    case 'FINDING':
      if (!isStr(p.severity) || !(SEVERITIES as readonly string[]).includes(p.severity)) return `finding.severity invalid: ${JSON.stringify(p.severity)}`;
      for (const k of ['scanner', 'scanner_id', 'rule_id', 'title']) if (!isStr(p[k])) return `finding.${k} must be a string`;
      if (!Array.isArray(p.cve)) return 'finding.cve must be a list';
      return null;
    case 'COMPLIANCE':
      if (!isNum(p.score)) return 'compliance.score must be a number';
      if (!isStr(p.benchmark)) return 'compliance.benchmark must be a string';
      return null;
  }
}
