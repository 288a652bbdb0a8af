import { describe, expect, it } from 'vitest';
import { loadTopicCatalog } from '../../lib/topics/catalog.js';
import { processorNamed } from '../../processors/index.js';
import { clickhouseProcessors } from './processors.js';
import { DLQ_TOPICS } from './sink.js';

describe('clickhouse sink definitions', () => {
  it('are registered with their names, ports and input topics', () => {
    expect(clickhouseProcessors.map((p) => [p.name, p.metricsPort, [...p.inputs]])).toEqual([
      ['clickhouse-telemetry', 9111, ['rbp.normalized']],
      ['clickhouse-alerts', 9112, ['rbp.alerts']],
      ['clickhouse-quota', 9113, ['rbp.quota_updates']],
      ['clickhouse-dlq', 9114, DLQ_TOPICS],
      ['clickhouse-purple', 9115, ['purple-gaps']],
      ['clickhouse-drift', 9116, ['rbp.model_drift']],
    ]);
    for (const p of clickhouseProcessors) expect(processorNamed(p.name)).toBe(p);
  });

  it('clickhouse-dlq reads every dead-letter topic of the catalog', () => {
    const catalog = loadTopicCatalog(undefined, '');
    expect([...DLQ_TOPICS].sort()).toEqual([...catalog.keys()].filter((t) => t.endsWith('.dlq')).sort());
    for (const p of clickhouseProcessors) for (const t of p.inputs) expect(catalog.has(t)).toBe(true);
  });
});
