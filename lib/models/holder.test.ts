import { describe, expect, it, vi } from 'vitest';
import { ModelHolder } from './holder.js';
import { ModelIntegrityError } from './registry.js';
import { addVersion, copyRegistry, MODEL_NAME, promote, tamper } from './testkit.js';

const quietLog = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

describe('ModelHolder', () => {
  it('swaps a promoted version at the next lease, never under a held lease', async () => {
    const reg = copyRegistry();
    const log = quietLog();
    const holder = await ModelHolder.open({ registryDir: reg, name: MODEL_NAME, log });
    try {
      const during = holder.lease();
      expect(during.scorer.ref).toBe('nslkdd-binary@1.0.0');
      addVersion(reg, '1.1.0', 'staging');
      await holder.check();
      expect(holder.ref).toBe('nslkdd-binary@1.0.0'); // staging does not count
      promote(reg, '1.0.0', '1.1.0');
      await holder.check();
      expect(holder.ref).toBe('nslkdd-binary@1.1.0'); // pending
      expect(during.scorer.ref).toBe('nslkdd-binary@1.0.0'); // the batch in flight keeps its model
      // the old session is still usable by the batch that holds it
      const rows = await during.scorer.score([]);
      expect(rows.labels.length).toBe(0);
      during.release();
      const next = holder.lease();
      expect(next.scorer.ref).toBe('nslkdd-binary@1.1.0');
      next.release();
      expect(holder.history).toEqual(['nslkdd-binary@1.0.0', 'nslkdd-binary@1.1.0']);
    } finally {
      await holder.close();
    }
  });

  it('refuses a tampered promoted version, logs it once and keeps serving the previous model', async () => {
    const reg = copyRegistry();
    const log = quietLog();
    const rejected: Error[] = [];
    const holder = await ModelHolder.open({ registryDir: reg, name: MODEL_NAME, log, onRejected: (e) => rejected.push(e) });
    try {
      addVersion(reg, '1.1.0', 'staging');
      tamper(reg, '1.1.0');
      promote(reg, '1.0.0', '1.1.0');
      await holder.check();
      await holder.check();
      expect(holder.lastError).toBeInstanceOf(ModelIntegrityError);
      expect(holder.lastError!.message).toMatch(/nslkdd-binary@1\.1\.0: refusing .*does not match the manifest's model_sha256/);
      expect(rejected).toHaveLength(1);
      expect(log.error).toHaveBeenCalledTimes(1);
      const lease = holder.lease();
      expect(lease.scorer.ref).toBe('nslkdd-binary@1.0.0');
      lease.release();
    } finally {
      await holder.close();
    }
  });

  it('refuses to open on a tampered production model', async () => {
    const reg = copyRegistry();
    tamper(reg, '1.0.0');
    await expect(ModelHolder.open({ registryDir: reg, name: MODEL_NAME })).rejects.toThrow(ModelIntegrityError);
  });

  it('polls the registry on its own', async () => {
    const reg = copyRegistry();
    const holder = await ModelHolder.open({ registryDir: reg, name: MODEL_NAME, pollMs: 50, log: quietLog() });
    try {
      addVersion(reg, '1.2.0', 'staging');
      promote(reg, '1.0.0', '1.2.0');
      await vi.waitFor(() => expect(holder.ref).toBe('nslkdd-binary@1.2.0'), { timeout: 10_000, interval: 50 });
    } finally {
      await holder.close();
    }
  });
});
