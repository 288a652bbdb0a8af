import { describe, expect, it } from 'vitest';
import type { AssetContext, TelemetryEvent } from '../../lib/events.js';
import { DecodeError } from '../../lib/serde/avro.js';
import { MemoryDriver } from '../../lib/stream/memoryDriver.js';
import { normalizeDecoder, type NormalizeInput } from './decode.js';
import { createNormalizeStage, DEFAULT_NORMALIZE_CONFIG } from './transform.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const assets = async (ids: string[]) => {
  const inventory: Record<string, AssetContext> = { 'db-01': { criticality: 'critical', owner: 'dba-team' } };
  return new Map(ids.filter((id) => inventory[id]).map((id) => [id, inventory[id]]));
};

const auth = (id: string, over: Record<string, unknown> = {}) => ({
  event_id: id,
  agent_id: ' Agent-7 ',
  host: 'DB-01',
  source: 'agent',
  event_time: NOW - 1000,
  type: 'AUTH',
  payload: { user: 'alice', source_ip: '10.0.0.9', method: 'Password', outcome: 'FAILURE' },
  ...over,
});

function driver() {
  return new MemoryDriver(createNormalizeStage(assets, DEFAULT_NORMALIZE_CONFIG), { now: () => NOW });
}
const json = (value: unknown): NormalizeInput => ({ format: 'json', event: value });

describe('normalize transform', () => {
  it('canonicalizes, enriches from the asset inventory and keys by entity', async () => {
    const d = driver();
    d.send('rbp.metrics', 'agent-7', json(auth('e1', { event_time: new Date(NOW - 1000).toISOString() })), NOW);
    const { outputs } = await d.run();
    expect(outputs).toHaveLength(1);
    const event = outputs[0].value as TelemetryEvent;
    expect(outputs[0].key).toBe('agent-7');
    expect(event).toMatchObject({ agent_id: 'agent-7', host: 'db-01', event_time: NOW - 1000, asset: { criticality: 'critical', owner: 'dba-team' }, ingest_time: NOW });
    expect(event.payload).toMatchObject({ method: 'password', outcome: 'FAILURE' });
  });

  it('accepts seconds-since-epoch and maps finding severities to the one scale', async () => {
    const d = driver();
    const finding = {
      event_id: 'f1', agent_id: 'repo-x', host: 'repo-x', source: 'scanner:semgrep', event_time: Math.floor((NOW - 5000) / 1000), type: 'FINDING',
      payload: { scanner: 'Semgrep', scanner_id: 'abc', rule_id: 'r1', title: ' SQLi ', severity: 'ERROR', asset: 'repo-x', cve: ['cve-2021-1'] },
    };
    d.send('rbp.metrics', 'repo-x', json(finding), NOW);
    const { outputs } = await d.run();
    const event = outputs[0].value as Extract<TelemetryEvent, { type: 'FINDING' }>;
    expect(event.event_time).toBe(Math.floor((NOW - 5000) / 1000) * 1000);
    expect(event.payload).toMatchObject({ severity: 'high', scanner: 'semgrep', title: 'SQLi', cve: ['CVE-2021-1'], location: null });
    expect(event.asset).toEqual({ criticality: 'unknown', owner: null });
  });

  it('dead-letters every invalid input with a reason naming the failing field', async () => {
    const d = driver();
    const cases: [unknown, string, RegExp][] = [
      [auth('w1', { payload: { user: 'a', source_ip: 1, method: 'x', outcome: 'FAILURE' } }), 'invalid_event', /auth\.source_ip: expected string/],
      [auth('w2', { type: 'TELEPATHY' }), 'invalid_event', /type/],
      [auth('w3', { event_time: 'yesterday-ish' }), 'invalid_event', /event_time/],
      [auth('w4', { event_time: NOW + 10 * 365 * 86_400_000 }), 'time_out_of_range', /in the future/],
      [auth('w5', { event_time: NOW - 90 * 86_400_000 }), 'time_out_of_range', /older than/],
      [auth('w6', { payload: null }), 'invalid_event', /payload/],
      [auth('w7', { event_id: '   ' }), 'invalid_event', /event_id: must not be empty/],
      [{ ...auth('w8'), type: 'METRIC', payload: { metrics: {} } }, 'invalid_event', /at least one metric/],
      [{ ...auth('w9'), type: 'FINDING', payload: { scanner: 's', scanner_id: 'i', rule_id: 'r', title: 't', severity: 'apocalyptic', asset: 'a' } }, 'invalid_event', /unknown severity/],
      [[1, 2, 3], 'invalid_event', /must be an object/],
    ];
    for (const [value] of cases) d.send('rbp.metrics', 'agent-7', json(value), NOW);
    const { outputs, deadLetters } = await d.run();
    expect(outputs).toHaveLength(0);
    expect(deadLetters).toHaveLength(cases.length);
    const byOffset = [...deadLetters].sort((a, b) => Number(a.record.offset - b.record.offset));
    byOffset.forEach((dl, i) => {
      expect(dl.reason).toBe(cases[i][1]);
      expect(dl.error).toMatch(cases[i][2]);
    });
  });

  it('drops exact duplicates by event id within the window and counts reconcile: in = out + dlq + duplicates', async () => {
    const d = driver();
    const inputs = [auth('a'), auth('b'), auth('a'), auth('c', { event_time: 'bad' }), auth('b')];
    inputs.forEach((v, i) => d.send('rbp.metrics', 'agent-7', json(v), NOW + i));
    const { outputs, deadLetters } = await d.run();
    expect(outputs.map((o) => (o.value as TelemetryEvent).event_id)).toEqual(['a', 'b']);
    expect(deadLetters).toHaveLength(1);
    expect(d.dropped.duplicate).toBe(2);
    expect(outputs.length + deadLetters.length + d.dropped.duplicate).toBe(inputs.length);
  });

  it('forgets ids older than the window, and rebuilds its memory from the log after a restart', async () => {
    const d = driver();
    d.send('rbp.metrics', 'agent-7', json(auth('x')), NOW);
    await d.run();
    d.restart();
    d.send('rbp.metrics', 'agent-7', json(auth('x')), NOW + 1000);
    d.send('rbp.metrics', 'agent-7', json(auth('x')), NOW + DEFAULT_NORMALIZE_CONFIG.dedupWindowMs + 5000);
    const { outputs } = await d.run();
    // The first repeat is a duplicate even after the restart; the second is outside the window.
    expect(outputs).toHaveLength(1);
    expect(d.dropped.duplicate).toBe(1);
  });
});

describe('normalize decoder', () => {
  const codec = {
    decode: async (bytes: Buffer): Promise<TelemetryEvent> => {
      if (bytes.length < 6) throw new DecodeError('truncated Avro record', 'truncated');
      throw new DecodeError('unknown schema id 999', 'unknown_schema');
    },
  };
  const decode = normalizeDecoder(codec, 1024);

  it('gives each undecodable input its reason', async () => {
    expect(await decode(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 't')).toMatchObject({ ok: false, reason: 'not_avro' });
    expect(await decode(Buffer.from([0, 0, 0, 3]), 't')).toMatchObject({ ok: false, reason: 'truncated' });
    expect(await decode(Buffer.from([0, 0, 0, 3, 231, 1, 2]), 't')).toMatchObject({ ok: false, reason: 'unknown_schema' });
    expect(await decode(Buffer.from('{"event_id": '), 't')).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(await decode(Buffer.alloc(2048, 1), 't')).toMatchObject({ ok: false, reason: 'too_large' });
    expect(await decode(Buffer.from(' {"a":1}'), 't')).toEqual({ ok: true, value: { format: 'json', event: { a: 1 } } });
  });
});
