import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultRun, log, PIPELINE, randomFor } from './harness.js';

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

/** The replay is paced over about this long, so a kill at a random instant in it finds every stage busy. */
const WINDOW_MS = 12_000;

describe('fault: SIGKILL of each stage process', () => {
  it('loses and duplicates nothing when every stage is SIGKILLed once at a random instant and restarted', async () => {
    const { random, seed } = randomFor('sigkill');
    run = await FaultRun.start('SIGKILL each stage');
    const plan = PIPELINE.map((stage) => ({ stage, atMs: Math.round(1000 + random() * (WINDOW_MS - 1000)), downMs: Math.round(random() * 2000) })).sort((a, b) => a.atMs - b.atMs);
    log(`sigkill (seed ${seed}): ${plan.map((p) => `${p.stage} at +${(p.atMs / 1000).toFixed(1)} s (down ${p.downMs} ms)`).join(', ')}`);
    const current = run;
    const started = Date.now();
    const killer = (async () => {
      for (const p of plan) {
        const wait = started + p.atMs - Date.now();
        if (wait > 0) await sleep(wait);
        await current.killAndRestart(p.stage, p.downMs);
      }
    })();
    await run.replay(undefined, { batchSize: 100, pauseMs: Math.round(WINDOW_MS / 26) });
    await killer;
    expect(Object.fromEntries(run.kills)).toEqual(Object.fromEntries(PIPELINE.map((s) => [s, 1])));

    const { rows, problems } = await run.verify();
    expect(problems).toEqual([]);
    for (const r of rows) expect({ output: r.output, lost: r.lost, duplicated: r.duplicated }).toEqual({ output: r.output, lost: 0, duplicated: 0 });
  });
});
