import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../lib/events.js';
import { type BadRecord, FaultRun, log, randomFor } from './harness.js';

const TEN_YEARS_MS = 10 * 365 * 86_400_000;

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

function randomBytes(random: () => number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 4) {
    const word = Math.floor(random() * 2 ** 32);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (j * 8)) & 0xff;
  }
  return out;
}

/** The six kinds of garbage, each aimed at one DLQ reason, keyed by entities of the sample. */
function badRecords(random: () => number, run: FaultRun, encode: (e: TelemetryEvent) => Buffer): BadRecord[] {
  const agents = [...new Set(run.events.map((e) => e.agent_id))].sort();
  const key = () => agents[Math.floor(random() * agents.length)];
  const template = run.events[Math.floor(random() * run.events.length)];
  // Neither magic byte 0 nor (after whitespace) '{': 0xfe/0xff never start valid UTF-8.
  const noise = randomBytes(random, 64 + Math.floor(random() * 448));
  noise[0] = 0xfe | Math.floor(random() * 2);
  const unknownId = randomBytes(random, 40);
  unknownId[0] = 0;
  unknownId.writeUInt32BE(0x70000000 + Math.floor(random() * 0x0fffffff), 1);
  const whole = encode({ ...template, event_id: `faults-truncated-${Math.floor(random() * 1e9)}` });
  const truncated = whole.subarray(0, 6 + Math.floor(random() * (whole.length - 7)));
  const huge = randomBytes(random, 10 * 1024 * 1024);
  const wrongTypes = Buffer.from(JSON.stringify({ event_id: 12345, agent_id: ['web-01'], host: null, source: 7, event_time: 'yesterday', type: 'METRIC', payload: 'cpu=99', metadata: [] }));
  const future = encode({
    event_id: `faults-future-${Math.floor(random() * 1e9)}`,
    agent_id: key(),
    host: 'web-01',
    source: 'agent',
    event_time: Date.now() + TEN_YEARS_MS,
    type: 'METRIC',
    payload: { metrics: { cpu: 42 } },
    metadata: {},
    asset: null,
    ingest_time: null,
  } as TelemetryEvent);
  return [
    { label: 'random bytes', reason: 'not_avro', key: key(), value: noise },
    { label: 'unknown schema id', reason: 'unknown_schema', key: key(), value: unknownId },
    { label: 'truncated Avro', reason: 'truncated', key: key(), value: Buffer.from(truncated) },
    { label: '10 MB record', reason: 'too_large', key: key(), value: huge },
    { label: 'JSON with wrong types', reason: 'invalid_event', key: key(), value: wrongTypes },
    { label: 'event time 10 years ahead', reason: 'time_out_of_range', key: key(), value: future },
  ];
}

describe('fault: garbage on rbp.metrics', () => {
  it('dead-letters exactly the bad records with their reasons and bytes, and changes nothing else', async () => {
    const { random, seed } = randomFor('garbage');
    run = await FaultRun.start('garbage on rbp.metrics');
    const codec = await run.codec<TelemetryEvent>('rbp.metrics');
    const bad = badRecords(random, run, (e) => codec.encode(e));
    // Each record goes in after a random batch of the replay (13 batches of 200), between good records.
    const at = bad.map((b) => ({ b, after: 200 * (1 + Math.floor(random() * 12)) }));
    log(`garbage (seed ${seed}): ${at.map(({ b, after }) => `${b.label} after ${after}`).join(', ')}`);
    const current = run;
    await run.replay(async (sent) => {
      const due = at.filter((x) => x.after === sent).map((x) => x.b);
      if (due.length) await current.sendBad(due);
    });
    const missed = at.filter((x) => !current.injected.some((i) => i.label === x.b.label)).map((x) => x.b);
    if (missed.length) await run.sendBad(missed);
    expect(run.injected.map((i) => i.label).sort()).toEqual(bad.map((b) => b.label).sort());

    const { rows, problems } = await run.verify();
    expect(problems).toEqual([]);
    for (const r of rows) expect({ output: r.output, lost: r.lost, duplicated: r.duplicated }).toEqual({ output: r.output, lost: 0, duplicated: 0 });
  });
});
