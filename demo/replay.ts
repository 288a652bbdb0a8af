import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Producer } from 'kafkajs';
import type { TelemetryEvent } from '../lib/events.js';
import type { Codec } from '../lib/serde/codecs.js';
import { withPayloadDefaults } from '../lib/serde/telemetry.js';

export interface ReplayOptions {
  producer: Producer;
  codec: Codec<TelemetryEvent>;
  topic: string;
  /** Event time of offset 0. */
  baseTime: number;
  batchSize?: number;
  /** Sources that send JSON instead of Avro (agents without a registry client). */
  jsonSources?: Set<string>;
  /** Called after each batch is sent; may be async (tests inject faults here). */
  onProgress?: (sent: number) => void | Promise<void>;
}

/**
 * Reads a telemetry JSONL file (one event per line with `offset_ms` instead of `event_time`), rebasing
 * offsets onto `baseTime`. Optional fields are filled as an Avro reader would.
 */
export async function* readSampleEvents(file: string, baseTime: number): AsyncGenerator<TelemetryEvent> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (!line.trim()) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${lineNo}: not JSON: ${(err as Error).message}`);
    }
    const { offset_ms, duplicate_of: _dup, ...rest } = parsed;
    if (typeof offset_ms !== 'number') throw new Error(`${file}:${lineNo}: offset_ms must be a number`);
    const event = { ...rest, event_time: baseTime + offset_ms, asset: null, ingest_time: null } as TelemetryEvent;
    yield { ...event, metadata: event.metadata ?? {}, payload: withPayloadDefaults(event.type, event.payload) } as TelemetryEvent;
  }
}

/**
 * Replays a telemetry JSONL file to rbp.metrics, keyed by entity, with the event time as record time,
 * Avro-encoded except for JSON-speaking sources. Returns the count sent.
 */
export async function replayFile(file: string, opts: ReplayOptions): Promise<number> {
  let pending: { key: string; value: Buffer; timestamp: string }[] = [];
  let sent = 0;
  const flush = async () => {
    if (!pending.length) return;
    await opts.producer.send({ topic: opts.topic, messages: pending });
    sent += pending.length;
    pending = [];
    await opts.onProgress?.(sent);
  };
  for await (const event of readSampleEvents(file, opts.baseTime)) {
    const value = opts.jsonSources?.has(event.source) ? Buffer.from(JSON.stringify(event)) : opts.codec.encode(event);
    pending.push({ key: event.agent_id, value, timestamp: String(event.event_time) });
    if (pending.length >= (opts.batchSize ?? 500)) await flush();
  }
  await flush();
  return sent;
}
