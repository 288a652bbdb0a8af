import { afterEach, describe, expect, it } from 'vitest';
import { copyRegistry, tamper } from '../../lib/models/testkit.js';
import { definition } from './index.js';

describe('onnx-score definition', () => {
  const saved = process.env.SOCFLOW_MODEL_REGISTRY;
  afterEach(() => {
    if (saved === undefined) delete process.env.SOCFLOW_MODEL_REGISTRY;
    else process.env.SOCFLOW_MODEL_REGISTRY = saved;
  });

  it('is the onnx-score processor on port 9103', () => {
    expect(definition.name).toBe('onnx-score');
    expect(definition.metricsPort).toBe(9103);
  });

  it('refuses to start on a tampered production model, before touching Kafka', async () => {
    const reg = copyRegistry();
    tamper(reg, '1.0.0');
    process.env.SOCFLOW_MODEL_REGISTRY = reg;
    await expect(definition.start({ instanceId: 'test', metricsPort: -1 })).rejects.toThrow(/nslkdd-binary@1\.0\.0: refusing .*does not match the manifest's model_sha256/);
  });
});
