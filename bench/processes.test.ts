import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchProcess, cpuSecondsOf, failedBatches, processAgeSeconds, stolenCpuSeconds } from './processes.js';

const proc = (logFile: string): BenchProcess => ({ stage: 'onnx-score', logFile, alive: false, stop: async () => undefined });

describe('failedBatches', () => {
  it('counts the aborted and failed-write batches a stage logged, nothing else', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-log-')), 'onnx-score.log');
    writeFileSync(file, [
      'socflow run onnx-score: running as instance bench-0',
      '{"level":50,"name":"kafkajs","error":"The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing","msg":"Response AddOffsetsToTxn(key: 25, version: 1)"}',
      '{"level":50,"stage":"onnx-score","err":"KafkaJSProtocolError: ...","msg":"batch failed; transaction aborted, batch will be reprocessed"}',
      '{"level":50,"stage":"purple","msg":"batch failed; transaction aborted, partition will be rebuilt"}',
      '{"level":50,"stage":"alert-store","retryInMs":1000,"msg":"sink write failed; will retry the batch"}',
      '{"level":30,"msg":"stage running"}',
    ].join('\n'));
    expect(failedBatches(proc(file))).toBe(3);
  });

  it('is 0 for a process that never wrote its log', () => {
    expect(failedBatches(proc(join(tmpdir(), 'no-such-bench-log.log')))).toBe(0);
  });
});

describe('processAgeSeconds / cpuSecondsOf', () => {
  it('read a live process from /proc, and null for one that does not exist', () => {
    const age = processAgeSeconds(process.pid)!;
    expect(Math.abs(age - process.uptime())).toBeLessThan(2);
    const cpu = process.cpuUsage();
    expect(Math.abs(cpuSecondsOf(process.pid)! - (cpu.user + cpu.system) / 1e6)).toBeLessThan(0.5);
    expect(processAgeSeconds(2 ** 22 + 1)).toBeNull();
  });
});

describe('stolenCpuSeconds', () => {
  it("reads the steal ticks of /proc/stat's all-cores line, and null when the kernel gives none", () => {
    const stat = 'cpu  4705 356 584 3699176 23 0 17 1250 0 0\ncpu0 2000 100 300 1800000 10 0 9 700 0 0\nintr 1';
    expect(stolenCpuSeconds(stat)).toBe(12.5);
    expect(stolenCpuSeconds('cpu  4705 356 584 3699176\n')).toBeNull();
    expect(stolenCpuSeconds()).toBeGreaterThanOrEqual(0);
  });
});
