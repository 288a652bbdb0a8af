import { describe, expect, it } from 'vitest';
import { decodeBatch } from './records.js';
import type { Decoder } from './stage.js';

const batch = (values: (string | null)[]) => ({
  topic: 't',
  partition: 2,
  messages: values.map((v, i) => ({ offset: String(10 + i), timestamp: String(1_000 + i), key: Buffer.from(`k${i}`), value: v === null ? null : Buffer.from(v), headers: {}, attributes: 0 })),
});

describe('decodeBatch', () => {
  it('takes synchronous and asynchronous decoder results alike, in batch order, with dead letters for the failures', async () => {
    const decode: Decoder<string> = (bytes) => {
      const s = bytes.toString();
      if (s === 'bad') return { ok: false, reason: 'invalid_avro', error: 'no' };
      return s.startsWith('later') ? Promise.resolve({ ok: true, value: s.toUpperCase() }) : { ok: true, value: s };
    };
    const { records, failures } = await decodeBatch(batch(['a', 'later-b', 'bad', null, 'c']), decode);
    expect(records.map((r) => [r.offset, r.value, r.key, r.timestamp])).toEqual([[10n, 'a', 'k0', 1_000], [11n, 'LATER-B', 'k1', 1_001], [14n, 'c', 'k4', 1_004]]);
    expect(failures.map((f) => [f.record.offset, f.reason])).toEqual([[12n, 'invalid_avro'], [13n, 'empty']]);
  });

  it('fails the whole batch when a decoder throws, and leaves no pending decode to reject unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const decode: Decoder<string> = (bytes) => {
        if (bytes.toString() === 'throw') throw new Error('registry down');
        return new Promise((_, reject) => setTimeout(() => reject(new Error('registry down too')), 10));
      };
      await expect(decodeBatch(batch(['a', 'throw', 'b']), decode)).rejects.toThrow('registry down');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
