import type { Batch } from 'kafkajs';
import type { DeadLetter, Decoded, Decoder, InputRecord } from './stage.js';

/** The value of a *.dlq record (schemas/avro/dead-letter.avsc). */
export interface DeadLetterValue {
  stage: string;
  reason: string;
  error: string;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  value_size: number;
  failed_at: number;
}

export interface DeadLetterRecord {
  key: string;
  value: DeadLetterValue;
}

const MAX_ERROR_CHARS = 2000;

export function deadLetterValue(stage: string, dl: DeadLetter): DeadLetterRecord {
  const { record } = dl;
  return {
    key: record.key ?? '',
    value: {
      stage,
      reason: dl.reason,
      error: dl.error.slice(0, MAX_ERROR_CHARS),
      topic: record.topic,
      partition: record.partition,
      offset: Number(record.offset),
      timestamp: record.timestamp,
      key: record.key === null ? null : Buffer.from(record.key),
      value: record.raw,
      value_size: record.raw?.length ?? 0,
      failed_at: Date.now(),
    },
  };
}

// A decoder that throws synchronously fails the batch as one that rejects does (Promise.all observes every
// pending decode, so none is left to reject unhandled).
function decodeOne<T>(decode: Decoder<T>, bytes: Buffer, topic: string): Decoded<T> | Promise<Decoded<T>> {
  try {
    return decode(bytes, topic);
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Decodes a kafkajs batch; records that do not decode become dead letters with the decoder's reason. Every
 * decode is started at once and awaited together (one await per batch, not per record); records and dead
 * letters keep the batch's order, and a decoder that throws (registry outage) still fails the whole batch.
 */
export async function decodeBatch<T>(batch: Pick<Batch, 'topic' | 'partition' | 'messages'>, decode: Decoder<T>): Promise<{ records: InputRecord<T>[]; failures: DeadLetter[] }> {
  const { topic, partition, messages } = batch;
  const records: InputRecord<T>[] = [];
  const failures: DeadLetter[] = [];
  const started = messages.map((m) => (m.value === null ? null : decodeOne(decode, m.value, topic)));
  const decoded = started.some((d) => d instanceof Promise) ? await Promise.all(started) : (started as (Decoded<T> | null)[]);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const d = decoded[i];
    const record: InputRecord<T | null> = { topic, partition, offset: BigInt(m.offset), key: m.key === null ? null : m.key.toString(), timestamp: Number(m.timestamp), raw: m.value, value: null };
    if (d === null) failures.push({ record, reason: 'empty', error: 'record has no value (tombstone)' });
    else if (d.ok) {
      record.value = d.value;
      records.push(record as InputRecord<T>);
    } else failures.push({ record, reason: d.reason, error: d.error });
  }
  return { records, failures };
}
