import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// patches/kafkajs+2.2.4.patch (applied by `npm ci` through patch-package): kafkajs grouped a send's messages
// per partition by copying the partition's list for every message, O(n²) per send. These assert the installed
// copy is the patched one and groups correctly.
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
