import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// patches/kafkajs+2.2.4.patch (applied by `npm ci` through patch-package): kafkajs grouped a send's messages
// per partition by copying the partition's list for every message, O(n²) per send; and its protocol Encoder
// zero-filled every buffer and grew each to the next power of two (a 1 MB batch in up to 2 MB, once per
// nested encoder). These assert the installed copy is the patched one and still encodes correctly.
const require = createRequire(import.meta.url);
const groupingFile = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
type Grouper = (args: { topic: string; partitionMetadata: { partitionId: number }[]; messages: { key: string; value: string }[]; partitioner: (a: { message: { key: string } }) => number }) => Record<string, { key: string; value: string }[]>;
const group: Grouper = require('kafkajs/src/producer/groupMessagesPerPartition.js');
const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId }));

describe('kafkajs send grouping (patched)', () => {
  it('keeps every message, in send order, under its partition', () => {
    const messages = Array.from({ length: 30_000 }, (_, i) => ({ key: `agent-${i % 7}`, value: String(i) }));
    const byPartition = group({ topic: 't', partitionMetadata, messages, partitioner: ({ message }) => Number(message.key.slice(6)) % 3 });
    expect(Object.keys(byPartition).sort()).toEqual(['0', '1', '2']);
    for (const [p, list] of Object.entries(byPartition)) {
      const values = list.map((m) => Number(m.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(list.every((m) => Number(m.key.slice(6)) % 3 === Number(p))).toBe(true);
    }
    expect(Object.values(byPartition).reduce((n, l) => n + l.length, 0)).toBe(messages.length);
  });

  it('is the patched, one-pass grouping (no per-message copy of the list)', () => {
    const source = readFileSync(groupingFile, 'utf8');
    expect(source).not.toContain('[...current, message]');
    expect(source).toContain('current.push(message)');
  });

  it('returns no groups without partition metadata', () => {
    expect(group({ topic: 't', partitionMetadata: [], messages: [{ key: 'k', value: 'v' }], partitioner: () => 0 })).toEqual({});
  });
});

interface KafkaEncoder {
  buf: Buffer;
  buffer: Buffer;
  writeInt32(v: number): KafkaEncoder;
  writeString(v: string): KafkaEncoder;
  writeBytes(v: Buffer): KafkaEncoder;
  writeEncoder(v: KafkaEncoder): KafkaEncoder;
}
const Encoder: new (initialSize?: number) => KafkaEncoder = require('kafkajs/src/protocol/encoder.js');

describe('kafkajs protocol Encoder (patched)', () => {
  it('encodes nested writes byte for byte, across growth from 512 bytes to megabytes', () => {
    const big = Buffer.alloc(1_200_001, 7);
    const inner = new Encoder().writeString('batch').writeBytes(big).writeInt32(-5);
    const outer = new Encoder().writeInt32(42).writeEncoder(inner).writeString('é');
    const int32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v);
      return b;
    };
    const str = (v: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(v)]), Buffer.from(v)]);
    const expected = Buffer.concat([int32(42), str('batch'), int32(big.length), big, int32(-5), str('é')]);
    expect(outer.buffer.equals(expected)).toBe(true);
  });

  it('grows a large write to the size it needs, not the next power of two', () => {
    const encoder = new Encoder().writeBytes(Buffer.alloc(1_100_000));
    expect(encoder.buffer.length).toBe(1_100_004);
    expect(encoder.buf.length).toBe(1_100_004);
    expect(new Encoder().writeBytes(Buffer.alloc(600)).buf.length).toBe(1024);
  });
});

// Produce encoding: one buffer per partition batch instead of an Encoder per record copied through five nested
// encoders, and CRC32C by slicing eight bytes at a time. The generic Record + RecordBatch path stays for what
// the direct one declines (headers, huge timestamp deltas) and is the reference it must equal byte for byte.
type Message = { key?: Buffer | string | null; value: Buffer | string | null; timestamp?: number | string; headers?: Record<string, string> };
type PartitionArgs = { partition: number; messages: Message[]; firstTimestamp: number; maxTimestamp: number; dateNow: number; transactional: boolean; producerId?: unknown; producerEpoch?: number; firstSequence?: number };
const directPartition: (args: PartitionArgs) => KafkaEncoder | null = require('kafkajs/src/protocol/requests/produce/v3/uncompressedPartition.js');
const Record: (args: object) => KafkaEncoder = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const { RecordBatch }: { RecordBatch: (args: object) => Promise<KafkaEncoder & { size(): number }> } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const crc32C: (b: Buffer) => number = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
const Long: { fromValue(v: unknown): unknown } = require('kafkajs/src/utils/long.js');
const Decoder: new (b: Buffer) => unknown = require('kafkajs/src/protocol/decoder.js');
const decodeRecordBatch: (d: unknown) => Promise<{ records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null }[] }> = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');

async function genericPartition(a: PartitionArgs): Promise<Buffer> {
  const records = a.messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: (Number(m.timestamp) || a.dateNow) - a.firstTimestamp }));
  const batch = await RecordBatch({ compression: 0, records, firstTimestamp: a.firstTimestamp, maxTimestamp: a.maxTimestamp, producerId: a.producerId, producerEpoch: a.producerEpoch, firstSequence: a.firstSequence, transactional: a.transactional, lastOffsetDelta: records.length - 1 });
  return new Encoder().writeInt32(a.partition).writeInt32(batch.size()).writeEncoder(batch).buffer;
}

function bitwiseCrc32C(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs produce encoding (patched)', () => {
  it('computes CRC32C: the check value, and a bit-by-bit reference at every length modulo 8', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    for (let length = 0; length < 600; length += 7) {
      const buffer = Buffer.from(Array.from({ length }, (_, i) => (i * 131 + length) & 0xff));
      expect(crc32C(buffer)).toBe(bitwiseCrc32C(buffer));
    }
  });

  it('writes a partition batch byte for byte as the generic record path does', async () => {
    const now = 1_796_000_000_000;
    const messages: Message[] = Array.from({ length: 300 }, (_, i) => ({
      key: i % 11 === 0 ? null : i % 3 === 0 ? `agent-é-${i}` : Buffer.from(`agent-${i}`),
      value: i % 13 === 0 ? null : i % 5 === 0 ? 'x'.repeat(i) : Buffer.alloc(i * 7, i & 0xff),
      ...(i % 4 === 0 ? { timestamp: now - 100_000 + i * 1_000 } : {}),
      ...(i === 9 ? { timestamp: String(now + 5) } : {}),
    }));
    const cases: PartitionArgs[] = [
      { partition: 2, messages, firstTimestamp: now - 100_000, maxTimestamp: now + 5, dateNow: now, transactional: true, producerId: Long.fromValue(4711), producerEpoch: 3, firstSequence: 120 },
      { partition: 0, messages: messages.slice(0, 1), firstTimestamp: now, maxTimestamp: now, dateNow: now, transactional: false },
    ];
    for (const args of cases) {
      const direct = directPartition(args);
      expect(direct).not.toBeNull();
      expect(direct!.buffer.equals(await genericPartition(args))).toBe(true);
    }
  });

  it('reads back through kafkajs as the same keys, values, offsets and timestamps', async () => {
    const now = 1_796_000_000_000;
    const messages = [{ key: 'a', value: Buffer.from('one') }, { key: null, value: null, timestamp: now + 2 }, { key: Buffer.from('c'), value: 'three' }];
    const direct = directPartition({ partition: 1, messages, firstTimestamp: now, maxTimestamp: now + 2, dateNow: now, transactional: true, producerId: Long.fromValue(9) })!;
    const { records } = await decodeRecordBatch(new Decoder(direct.buffer.subarray(8)));
    expect(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      ['0', String(now), 'a', 'one'],
      ['1', String(now + 2), null, null],
      ['2', String(now), 'c', 'three'],
    ]);
  });

  it('leaves headers, timestamp deltas beyond 2^30 ms and empty batches to the generic path', () => {
    const now = 1_796_000_000_000;
    const base = { partition: 0, firstTimestamp: now, maxTimestamp: now, dateNow: now, transactional: false };
    expect(directPartition({ ...base, messages: [{ value: 'v', headers: { trace: 'x' } }] })).toBeNull();
    expect(directPartition({ ...base, messages: [{ value: 'v', timestamp: now + 2 ** 30 }] })).toBeNull();
    expect(directPartition({ ...base, messages: [] })).toBeNull();
  });

  it('is wired into the produce request', () => {
    expect(readFileSync(require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js'), 'utf8')).toContain("require('./uncompressedPartition')");
  });
});

// Fetch decoding: an uncompressed batch's records read with number arithmetic instead of a Decoder and four
// BigInt-backed Longs per record; the generic path stays for headers and offsets beyond 2^53.
type DecodedRecord = { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, unknown>; attributes: number; isControlRecord: boolean; magicByte: number };
const readBatch = async (partitionEntry: Buffer, firstOffset: bigint) => {
  const batch = Buffer.from(partitionEntry.subarray(8));
  batch.writeBigInt64BE(firstOffset, 0);
  return (await decodeRecordBatch(new Decoder(batch))).records as unknown as DecodedRecord[];
};

describe('kafkajs fetch decoding (patched)', () => {
  const now = 1_796_000_000_000;
  const messages: Message[] = Array.from({ length: 400 }, (_, i) => ({
    key: i % 9 === 0 ? null : `k${i}`,
    value: i % 17 === 0 ? null : Buffer.alloc(i * 3, i & 0xff),
    ...(i % 3 === 0 ? { timestamp: now + i * 50_000 } : {}),
  }));
  const args = { partition: 0, messages, firstTimestamp: now, maxTimestamp: now + 399 * 50_000, dateNow: now + 7, transactional: true, producerId: Long.fromValue(3) };

  it('reads every offset, timestamp, key and value of a batch, with a first offset far above 2^32', async () => {
    const records = await readBatch(directPartition(args)!.buffer, 2n ** 40n + 5n);
    expect(records).toHaveLength(messages.length);
    records.forEach((r, i) => {
      const m = messages[i];
      expect(r.offset).toBe(String(2n ** 40n + 5n + BigInt(i)));
      expect(r.timestamp).toBe(String(m.timestamp ?? now + 7));
      expect(r.key === null ? null : r.key.toString()).toBe(m.key ?? null);
      expect(r.value === null ? null : Buffer.compare(r.value, m.value as Buffer)).toBe(m.value === null ? null : 0);
      expect([r.headers, r.attributes, r.isControlRecord, r.magicByte]).toEqual([{}, 0, false, 2]);
    });
  });

  it('gives the same records as the generic path, which still reads headers and offsets beyond 2^53', async () => {
    const entry = directPartition(args)!.buffer;
    const beyond = await readBatch(entry, 2n ** 60n);
    expect(beyond[399].offset).toBe(String(2n ** 60n + 399n));
    const fast = await readBatch(entry, 2n ** 52n);
    const strip = (r: DecodedRecord, shift: bigint) => ({ ...r, offset: String(BigInt(r.offset) + shift), batchContext: undefined });
    expect(fast.map((r) => strip(r, 2n ** 60n - 2n ** 52n))).toEqual(beyond.map((r) => strip(r, 0n)));
    const withHeaders = await genericPartition({ ...args, messages: [...messages.slice(0, 3), { key: 'h', value: 'v', headers: { trace: 'abc' } }] });
    const records = await readBatch(withHeaders, 0n);
    expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.headers.trace?.toString()])).toEqual([['0', null, undefined], ['1', 'k1', undefined], ['2', 'k2', undefined], ['3', 'h', 'abc']]);
  });
});

// The transaction manager looks its coordinators up once and again only after a request to one failed.
type EosManager = {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  addPartitionsToTransaction(topics: { topic: string; partitions: { partition: number }[] }[]): Promise<void>;
  sendOffsets(args: { consumerGroupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  commit(): Promise<void>;
};
const createEosManager: (args: object) => EosManager = require('kafkajs/src/producer/eosManager/index.js');

function fakeBroker(name: string, calls: string[], failTxnOffsetCommit = false) {
  const call = (api: string) => async () => {
    calls.push(`${name}:${api}`);
    if (api === 'txnOffsetCommit' && failTxnOffsetCommit) throw Object.assign(new Error('not the coordinator'), { type: 'NOT_COORDINATOR' });
    return { producerId: 7, producerEpoch: 0 };
  };
  return Object.fromEntries(['initProducerId', 'addPartitionsToTxn', 'addOffsetsToTxn', 'txnOffsetCommit', 'endTxn'].map((api) => [api, call(api)]));
}

describe('kafkajs transaction coordinators (patched)', () => {
  it('finds each coordinator once across transactions, and again after it answered NOT_COORDINATOR', async () => {
    const calls: string[] = [];
    const txnBroker = fakeBroker('txn', calls);
    const staleGroupBroker = fakeBroker('stale', calls, true);
    const groupBroker = fakeBroker('group', calls);
    const lookups: string[] = [];
    let groupLookups = 0;
    const cluster = {
      retry: { retries: 2, initialRetryTime: 1 },
      refreshMetadataIfNecessary: async () => undefined,
      findGroupCoordinator: async ({ groupId, coordinatorType }: { groupId: string; coordinatorType: number }) => {
        lookups.push(`${coordinatorType}:${groupId}`);
        if (coordinatorType === 1) return txnBroker;
        return groupLookups++ === 0 ? staleGroupBroker : groupBroker;
      },
    };
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const eos = createEosManager({ logger: { ...quiet, namespace: () => quiet }, cluster, transactional: true, transactionalId: 'tx' });
    await eos.initProducerId();
    for (let i = 0; i < 5; i++) {
      eos.beginTransaction();
      await eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 0 }] }]);
      await eos.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: String(i + 1) }] }] });
      await eos.commit();
    }
    expect(lookups).toEqual(['1:tx', '1:tx', '0:g', '0:g']);
    expect(calls.filter((c) => c.endsWith('txnOffsetCommit'))).toEqual(['stale:txnOffsetCommit', ...Array(5).fill('group:txnOffsetCommit')]);
    expect(calls.filter((c) => c === 'txn:endTxn')).toHaveLength(5);
  });
});

// The request queue re-armed a 1 ms timer for good once a request had waited (kafkajs #1556/#1704): an idle
// idempotent producer cost 38 ms of CPU per second. Patched: a timer only while a request waits.
interface QueuedRequest { entry: { correlationId: number; resolve: () => void; reject: (e: Error) => void }; expectResponse: boolean; sendRequest: () => void }
interface KafkajsRequestQueue {
  push(r: QueuedRequest): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
  throttleCheckTimeoutId: unknown;
  pending: unknown[];
}
const RequestQueue: new (opts: Record<string, unknown>) => KafkajsRequestQueue = require('kafkajs/src/network/requestQueue/index.js');

describe('kafkajs request queue (patched)', () => {
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const newQueue = () => new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'c', broker: 'b', logger: quiet });
  const request = (correlationId: number, sent: number[]): QueuedRequest => ({
    entry: { correlationId, resolve: () => undefined, reject: () => undefined },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  });

  it('sends a queued request when the one in flight is answered, then arms no timer', async () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.push(request(2, sent));
    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).not.toBeNull(); // a request waits
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    queue.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    await new Promise((r) => setTimeout(r, 30)); // the timer armed while 2 waited has fired by now
    expect(queue.pending).toHaveLength(0);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.destroy();
  });

  it('sends a request held back by broker throttling once the throttle time is over', async () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.maybeThrottle(40);
    queue.push(request(1, sent));
    expect(sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toEqual([1]);
    queue.destroy();
  });
});
