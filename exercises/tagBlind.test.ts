import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../lib/events.js';
import { fromRoot } from '../lib/paths.js';
import { MemoryDriver } from '../lib/stream/memoryDriver.js';
import { loadRules } from '../processors/correlate/rules.js';
import { createCorrelateStage, INPUT_TOPIC } from '../processors/correlate/transform.js';
import { planExercise, RED_TAG } from './red.js';
import { loadScenarios } from './scenario.js';

/** Removes the red tag wherever a `metadata` map carries it (outputs echo the input event). */
function withoutTag(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTag);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'metadata' && x && typeof x === 'object') {
        const { [RED_TAG]: _tag, ...rest } = x as Record<string, unknown>;
        out[k] = rest;
      } else out[k] = withoutTag(x);
    }
    return out;
  }
  return v;
}

async function correlate(events: TelemetryEvent[]) {
  const driver = new MemoryDriver(createCorrelateStage(loadRules()), { now: () => events[events.length - 1].event_time + 1000 });
  for (const e of events) driver.send(INPUT_TOPIC, e.agent_id, e, e.event_time + 200);
  await driver.run();
  return { outputs: driver.outputs.map((o) => withoutTag(o)), deadLetters: driver.deadLetters.map((d) => d.reason), dropped: driver.dropped };
}

describe('the red scenario tag is audit only', () => {
  it('correlate (on the MemoryDriver) produces the same signals whether or not events carry the scenario tag', async () => {
    const { events } = planExercise(loadScenarios(fromRoot('exercises/scenarios')), 'ex-tag', Date.UTC(2026, 0, 1, 12));
    const normalized = events.map((e) => ({ ...e, asset: { criticality: 'high' as const, owner: null }, ingest_time: e.event_time + 100 }));
    expect(normalized.every((e) => e.metadata[RED_TAG]?.startsWith('ex-tag/'))).toBe(true);
    const tagged = await correlate(normalized);
    const untagged = await correlate(normalized.map((e) => ({ ...e, metadata: {} })));
    expect(tagged.outputs.length).toBeGreaterThan(100);
    // The library does make correlate fire (auth burst, metric spike, new critical finding), so equality means something.
    const signals = JSON.stringify(tagged.outputs);
    for (const rule of ['auth-success-after-failures', 'metric-resource-abuse', 'finding-new-critical']) expect(signals).toContain(rule);
    expect(untagged).toEqual(tagged);
  });
});
