import type { TelemetryEvent } from '../../lib/events.js';
import type { Codec } from '../../lib/serde/codecs.js';
import { decodeWith } from '../../lib/stream/decoders.js';
import type { Decoder } from '../../lib/stream/stage.js';

/** What normalize reads: Confluent-framed Avro from agents that can, JSON from those that cannot. */
export type NormalizeInput = { format: 'avro'; event: TelemetryEvent } | { format: 'json'; event: unknown };

export function normalizeDecoder(codec: Pick<Codec<TelemetryEvent>, 'decode'>, maxRecordBytes: number): Decoder<NormalizeInput> {
  return (bytes) => {
    if (bytes.length > maxRecordBytes) {
      return { ok: false, reason: 'too_large', error: `record of ${bytes.length} bytes exceeds the ${maxRecordBytes}-byte limit` };
    }
    if (bytes.length > 0 && bytes[0] === 0) return decodeWith(codec, bytes, (event): NormalizeInput => ({ format: 'avro', event }));
    const text = bytes.toString('utf8').trimStart();
    if (!text.startsWith('{')) return { ok: false, reason: 'not_avro', error: 'neither Confluent-framed Avro (magic byte 0) nor a JSON object' };
    try {
      return { ok: true, value: { format: 'json', event: JSON.parse(text) } };
    } catch (err) {
      return { ok: false, reason: 'invalid_json', error: `invalid JSON: ${(err as Error).message}` };
    }
  };
}
