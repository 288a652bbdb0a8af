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
  onProgress?: (sent: number) => void;
}

/**
 * Replays a telemetry JSONL file (one event per line with `offset_ms` instead of `event_time`) to
 * rbp.metrics, keyed by entity, Avro-encoded except for JSON-speaking sources. Returns the count sent.
 */
export async function replayFile(file: string, opts: ReplayOptions): Promise<number> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let pending: { key: string; value: Buffer; timestamp: string }[] = [];
  let sent = 0;
  const flush = async () => {
    if (!pending.length) return;
    await opts.producer.send({ topic: opts.topic, messages: pending });
    sent += pending.length;
    pending = [];
    opts.onProgress?.(sent);
  };
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
    const event = { ...rest, event_time: opts.baseTime + offset_ms, asset: null, ingest_time: null } as TelemetryEvent;
    const value = opts.jsonSources?.has(event.source) ? Buffer.from(JSON.stringify(event)) : opts.codec.encode({ ...event, metadata: event.metadata ?? {}, payload: withPayloadDefaults(event.type, event.payload) } as TelemetryEvent);
    pending.push({ key: event.agent_id, value, timestamp: String(event.event_time) });
    if (pending.length >= (opts.batchSize ?? 500)) await flush();
  }
  await flush();
  return sent;
}
