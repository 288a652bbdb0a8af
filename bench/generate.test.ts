import { describe, expect, it } from 'vitest';
import { fromRoot } from '../lib/paths.js';
import { ClonePlan, cloneEvents, loadSample } from './generate.js';

describe('ClonePlan', async () => {
  const sample = await loadSample(fromRoot('samples/demo/telemetry.jsonl'));
  const count = sample.length * 3 + 17;

  it('is the merged timeline of enough clones: event-time order, each clone its own entities and ids', () => {
    const plan = ClonePlan.of(sample, count, 'x');
    expect(plan.length).toBe(count);
    const events = Array.from({ length: plan.length }, (_, i) => plan.event(i));
    for (let i = 1; i < events.length; i++) expect(events[i].offsetMs).toBeGreaterThanOrEqual(events[i - 1].offsetMs);
    const clones = new Set(events.map((e) => /-xc(\d+)$/.exec(e.event.agent_id)?.[1]));
    expect(clones).toEqual(new Set(['0', '1', '2', '3']));
    for (const e of events) expect(e.event.host.endsWith(e.event.agent_id.slice(e.event.agent_id.lastIndexOf('-')))).toBe(true);
    // Distinct per clone: a sample event's clones never share an id (the sample's own retried duplicates may).
    const sampleIds = new Set(sample.map((e) => e.event.event_id)).size;
    expect(new Set(events.map((e) => e.event.event_id)).size).toBeGreaterThanOrEqual(sampleIds * 3);
  });

  it('makes the same events on every call and for every caller, and a new object each time', () => {
    const plan = ClonePlan.of(sample, count, 'x');
    const i = Math.floor(count / 2);
    expect(plan.event(i)).toEqual(ClonePlan.of(sample, count, 'x').event(i));
    expect(plan.event(i).event).not.toBe(plan.event(i).event);
    expect(cloneEvents(sample, count, 'x')[i]).toEqual(plan.event(i));
  });

  it('separates the entity sets of two tags', () => {
    const a = new Set(cloneEvents(sample, 500, 'a').map((e) => e.event.agent_id));
    const b = cloneEvents(sample, 500, 'b').map((e) => e.event.agent_id);
    expect(b.some((id) => a.has(id))).toBe(false);
  });
});
