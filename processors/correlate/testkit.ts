/** Event builders and a driver harness for the correlate tests (no broker: the in-memory driver). */
import {
  CONNECTION_BASIC_ATTRIBUTES,
  CONNECTION_STRING_ATTRIBUTES,
  CONNECTION_TRAFFIC_ATTRIBUTES,
  type NetworkConnection,
  type Severity,
  type TelemetryEvent,
} from '../../lib/events.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import type { OutputRecord } from '../../lib/stream/stage.js';
import { type CorrelateRules, loadRules } from './rules.js';
import type { CorrelatedEvent } from './signal.js';
import { createCorrelateStage, type CorrelateState, INPUT_TOPIC } from './transform.js';

export const rules = (): CorrelateRules => loadRules();

/** The shipped rules with short windows, so a test scenario spans many rebuild look-backs (330 s). */
export function shortRules(): CorrelateRules {
  const r = loadRules();
  return {
    ...r,
    traffic: { ...r.traffic, host_window_max_age_ms: 60_000 },
    metrics: { ...r.metrics, window_ms: 300_000 },
    findings: { ...r.findings, window_ms: 120_000, max_lateness_ms: 30_000 },
  };
}

let seq = 0;
const nextId = (p: string) => `${p}-${++seq}`;

function envelope(agent: string, t: number, id?: string) {
  return {
    event_id: id ?? nextId('ev'),
    agent_id: agent,
    host: `${agent}.example`,
    source: 'test',
    event_time: t,
    metadata: { exercise: 'red-team-42', tag: 'x' } as Record<string, string>,
    asset: null,
    ingest_time: null,
  };
}

export interface ConnOpts {
  dst?: string;
  service?: string;
  flag?: string;
  sport?: number;
  id?: string;
  traffic?: Partial<Record<(typeof CONNECTION_TRAFFIC_ATTRIBUTES)[number], number>>;
}

export function conn(agent: string, t: number, o: ConnOpts = {}): TelemetryEvent {
  const basic = Object.fromEntries(
    CONNECTION_BASIC_ATTRIBUTES.filter((k) => !(CONNECTION_STRING_ATTRIBUTES as readonly string[]).includes(k)).map((k) => [k, 0]),
  );
  const traffic = Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((k) => [k, o.traffic?.[k] ?? null]));
  const payload = {
    ...basic,
    ...traffic,
    src_ip: '10.9.9.9',
    src_port: o.sport ?? 40000,
    dst_ip: o.dst ?? '10.0.0.1',
    dst_port: 80,
    protocol_type: 'tcp',
    service: o.service ?? 'http',
    flag: o.flag ?? 'SF',
  } as NetworkConnection;
  return { ...envelope(agent, t, o.id), type: 'CONNECTION', payload };
}

export function auth(agent: string, t: number, outcome: 'SUCCESS' | 'FAILURE', o: { ip?: string; user?: string; id?: string } = {}): TelemetryEvent {
  return { ...envelope(agent, t, o.id), type: 'AUTH', payload: { user: o.user ?? 'alice', source_ip: o.ip ?? '203.0.113.7', method: 'ssh', outcome } };
}

export function metric(agent: string, t: number, metrics: Record<string, number>, id?: string): TelemetryEvent {
  return { ...envelope(agent, t, id), type: 'METRIC', payload: { metrics } };
}

export function finding(
  agent: string,
  t: number,
  o: { severity?: Severity; asset?: string; rule?: string; scannerId?: string; scanner?: string; id?: string } = {},
): TelemetryEvent {
  return {
    ...envelope(agent, t, o.id),
    type: 'FINDING',
    payload: {
      scanner: o.scanner ?? 'trivy',
      scanner_id: o.scannerId ?? nextId('sid'),
      rule_id: o.rule ?? 'CVE-2021-44228',
      title: 'log4j RCE',
      description: null,
      severity: o.severity ?? 'critical',
      cve: ['CVE-2021-44228'],
      cwe: [],
      asset: o.asset ?? 'registry/app:1.0',
      location: null,
      line: null,
      package: 'log4j-core',
      installed_version: '2.14.0',
      fixed_version: '2.17.1',
      url: null,
    },
  };
}

export function compliance(agent: string, t: number, score: number): TelemetryEvent {
  return {
    ...envelope(agent, t),
    type: 'COMPLIANCE',
    payload: { benchmark: 'xccdf_org.ssgproject.content_benchmark_UBUNTU2204', profile: 'cis_level1_server', score, counts: { pass: 10, fail: 5 }, attestation_id: null },
  };
}

export type Driver = MemoryDriver<TelemetryEvent, CorrelateState>;

export function driver(r: CorrelateRules = rules(), opts: { batchSize?: number; partitions?: number } = {}): Driver {
  return new MemoryDriver(createCorrelateStage(r), { now: () => 0, ...opts });
}

/** Sends events with Kafka timestamp = event time + lag (monotone per call order assumed by callers). */
export function send(d: Driver, events: TelemetryEvent[], lag = 5): void {
  for (const e of events) d.send(INPUT_TOPIC, e.agent_id, e, e.event_time + lag);
}

export async function feed(events: TelemetryEvent[], r: CorrelateRules = rules()): Promise<{ d: Driver; out: CorrelatedEvent[] }> {
  const d = driver(r);
  send(d, events);
  await d.run();
  return { d, out: values(d.outputs) };
}

export const values = (outputs: OutputRecord[]): CorrelatedEvent[] => outputs.map((o) => o.value as CorrelatedEvent);

export const signalsOf = (out: CorrelatedEvent[], ruleId?: string) =>
  out.flatMap((o) => o.signals.map((s) => ({ ...s, event_id: o.event.event_id }))).filter((s) => !ruleId || s.rule_id === ruleId);

export const byId = (out: CorrelatedEvent[], id: string): CorrelatedEvent => {
  const hit = out.find((o) => o.event.event_id === id);
  if (!hit) throw new Error(`no output for ${id}`);
  return hit;
};

