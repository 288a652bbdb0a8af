import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadProduction } from './registry.js';
import { Scorer, type ScoreRow } from './scorer.js';
import { MODEL_NAME, REAL_REGISTRY, sampleRows, sessionPrototype } from './testkit.js';

describe('scorer (committed model)', () => {
  let scorer: Scorer;
  beforeAll(async () => {
    scorer = await Scorer.create(loadProduction(REAL_REGISTRY, MODEL_NAME));
  });
  afterAll(async () => {
    await scorer?.release();
  });

  it('scores a batch in one session.run and reproduces the factory predictions', async () => {
    const samples = sampleRows();
    const run = vi.spyOn(sessionPrototype(), 'run');
    try {
      const { probabilities, labels } = await scorer.score(samples.map((s) => s.input as unknown as ScoreRow));
      expect(run).toHaveBeenCalledTimes(1);
      const feeds = run.mock.calls[0][0] as Record<string, ort.Tensor>;
      expect(Object.keys(feeds)).toHaveLength(41);
      expect(feeds.service.type).toBe('string');
      expect(feeds.duration.type).toBe('float32');
      expect(feeds.duration.dims).toEqual([samples.length, 1]);
      samples.forEach((s, i) => {
        expect(Math.abs(probabilities[i] - s.expected_attack_probability)).toBeLessThan(1e-4);
        expect(labels[i]).toBe(s.expected_label);
      });
      expect(scorer.runs).toBe(1);
    } finally {
      run.mockRestore();
    }
  });

  it('labels with the manifest threshold', async () => {
    const samples = sampleRows();
    const { probabilities, labels } = await scorer.score(samples.map((s) => s.input as unknown as ScoreRow));
    probabilities.forEach((p, i) => expect(labels[i]).toBe(p >= scorer.manifest.threshold! ? 1 : 0));
  });

  it('an empty batch makes no run', async () => {
    const before = scorer.runs;
    expect((await scorer.score([])).labels.length).toBe(0);
    expect(scorer.runs).toBe(before);
  });
});
