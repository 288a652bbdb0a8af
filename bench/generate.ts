import { readFileSync } from 'node:fs';
import { readSampleEvents } from '../demo/replay.js';
import type { TelemetryEvent } from '../lib/events.js';
import type { Codec } from '../lib/serde/codecs.js';

/**
 * Benchmark telemetry, cloned deterministically from the demo sample (samples/demo/telemetry.jsonl, real
 * NSL-KDD connection rows plus auth bursts, AI-agent metric samples and scanner findings over 60 s).
 *
 * Clone c is the whole sample for its own set of entities: every agent/host name gets the suffix `-<tag>c<c>`,
 * destination addresses move to 10.<c>.x.10, event ids are re-derived from (original id, tag, clone) — so a
 * duplicate in the sample stays a duplicate of its clone — and the clone's timeline is shifted by a
 * deterministic 0–5 s. Clones are merged in event-time order, as concurrent traffic from many hosts would
 * arrive. The mix (93 % connections, auth, metrics, findings, a few retried duplicates) and every NSL-KDD
 * attribute are the sample's own; per-entity windows in correlate see exactly what one demo run sees.
 */
export interface BenchEvent {
  /** Offset in ms from the start of the merged timeline (event time = base + offset_ms). */
  offsetMs: number;
  event: TelemetryEvent;
}

export const SAMPLE_SPAN_MS = 60_000;
const SHIFT_MS = 5000;

/** The sample as (offset, event) pairs; offsets are the sample's offset_ms. */
export async function loadSample(file: string): Promise<BenchEvent[]> {
  const out: BenchEvent[] = [];
  for await (const event of readSampleEvents(file, 0)) out.push({ offsetMs: event.event_time, event });
  return out;
}

/** Asset rows (as in samples/demo/assets.json) for every clone's hosts, so normalize enriches cloned traffic too. */
export function cloneAssets(file: string, tag: string, clones: number): { asset_id: string; criticality: string; owner: string | null }[] {
  const assets = JSON.parse(readFileSync(file, 'utf8')) as { asset_id: string; criticality: string; owner: string | null }[];
  const rows = [];
  for (let c = 0; c < clones; c++) for (const a of assets) rows.push({ ...a, asset_id: entity(a.asset_id, tag, c) });
  return rows;
}

const entity = (name: string, tag: string, c: number): string => `${name}-${tag}c${c}`;

/** FNV-1a, for deterministic shifts and ids without a crypto hash per event. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function clonesFor(events: number, sampleSize: number): number {
  return Math.max(1, Math.ceil(events / sampleSize));
}

/**
 * The first `count` events of the merged timeline of enough clones of the sample; `tag` separates the entity
 * sets of two runs against the same pipeline (throughput and latency phases). Event i is made when asked
 * for: the plan holds positions only, so a phase that sends its events over minutes does not keep hundreds
 * of thousands of event objects alive (marking them stalled the benchmark's own producer for 0.4–1.2 s every
 * ~15 s of the latency phase, and with it every alert of those seconds).
 */
export class ClonePlan {
  private constructor(
    private readonly sample: BenchEvent[],
    private readonly tag: string,
    private readonly clone: Uint32Array,
    private readonly index: Uint32Array,
    private readonly offset: Float64Array,
  ) {}

  static of(sample: BenchEvent[], count: number, tag: string): ClonePlan {
    const n = clonesFor(count, sample.length) * sample.length;
    const clone = new Uint32Array(n);
    const index = new Uint32Array(n);
    const offset = new Float64Array(n);
    const ids: string[] = new Array(n);
    for (let c = 0, i = 0; i < n; c++) {
      const shift = fnv(`${tag}:${c}`) % SHIFT_MS;
      const suffix = `${tag}c${c}`;
      for (let j = 0; j < sample.length; j++, i++) {
        clone[i] = c;
        index[i] = j;
        offset[i] = sample[j].offsetMs + shift;
        ids[i] = cloneId(sample[j].event.event_id, suffix);
      }
    }
    const order = new Uint32Array(n).map((_, i) => i);
    order.sort((a, b) => offset[a] - offset[b] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
    const kept = order.subarray(0, Math.min(count, n));
    return new ClonePlan(sample, tag, kept.map((i) => clone[i]), kept.map((i) => index[i]), Float64Array.from(kept, (i) => offset[i]));
  }

  get length(): number {
    return this.clone.length;
  }

  event(i: number): BenchEvent {
    return { offsetMs: this.offset[i], event: cloneEvent(this.sample[this.index[i]].event, this.tag, this.clone[i]) };
  }
}

/** All of a plan's events at once (the throughput phases encode them before the clock starts). */
export function cloneEvents(sample: BenchEvent[], count: number, tag: string): BenchEvent[] {
  const plan = ClonePlan.of(sample, count, tag);
  return Array.from({ length: plan.length }, (_, i) => plan.event(i));
}

const cloneId = (eventId: string, suffix: string): string => `${eventId.slice(0, 16)}${fnv(`${eventId}|${suffix}`).toString(16).padStart(8, '0')}-${suffix}`;

function cloneEvent(e: TelemetryEvent, tag: string, c: number): TelemetryEvent {
  const suffix = `${tag}c${c}`;
  const base = { ...e, event_id: cloneId(e.event_id, suffix), agent_id: entity(e.agent_id, tag, c), host: entity(e.host, tag, c) };
  switch (e.type) {
    case 'CONNECTION': {
      const dst = e.payload.dst_ip.split('.');
      return { ...base, type: 'CONNECTION', payload: { ...e.payload, dst_ip: `10.${c % 256}.${dst[2] ?? '0'}.${dst[3] ?? '10'}` } } as TelemetryEvent;
    }
    case 'FINDING':
      return { ...base, type: 'FINDING', payload: { ...e.payload, asset: entity(e.payload.asset, tag, c), scanner_id: `${e.payload.scanner_id}-${suffix}` } } as TelemetryEvent;
    default:
      return base as TelemetryEvent;
  }
}

/** Sources that speak JSON instead of Avro (as in the demo: AI agents without a registry client). */
export const JSON_SOURCES = new Set(['ai-agent']);

export interface EncodedEvent {
  key: string;
  value: Buffer;
  timestamp: string;
}

export function encodeEvent(event: TelemetryEvent, codec: Codec<TelemetryEvent>): EncodedEvent {
  const value = JSON_SOURCES.has(event.source) ? Buffer.from(JSON.stringify(event)) : codec.encode(event);
  return { key: event.agent_id, value, timestamp: String(event.event_time) };
}

/** With the event time set: base + offset. */
export function at(e: BenchEvent, eventTime: number): TelemetryEvent {
  return { ...e.event, event_time: eventTime };
}
