import type { Batch } from 'kafkajs';
import type { DeadLetter, Decoder, InputRecord } from './stage.js';

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

/** Decodes a kafkajs batch; records that do not decode become dead letters with the decoder's reason. */
export async function decodeBatch<T>(batch: Batch, decode: Decoder<T>): Promise<{ records: InputRecord<T>[]; failures: DeadLetter[] }> {
  const records: InputRecord<T>[] = [];
  const failures: DeadLetter[] = [];
  for (const m of batch.messages) {
    const base = {
      topic: batch.topic,
      partition: batch.partition,
      offset: BigInt(m.offset),
      key: m.key === null ? null : m.key.toString(),
      timestamp: Number(m.timestamp),
      raw: m.value,
    };
    if (m.value === null) {
      failures.push({ record: { ...base, value: null }, reason: 'empty', error: 'record has no value (tombstone)' });
      continue;
    }
    const decoded = await decode(m.value, batch.topic);
    if (decoded.ok) records.push({ ...base, value: decoded.value });
    else failures.push({ record: { ...base, value: null }, reason: decoded.reason, error: decoded.error });
  }
  return { records, failures };
}
