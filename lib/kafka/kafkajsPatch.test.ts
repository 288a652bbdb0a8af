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
