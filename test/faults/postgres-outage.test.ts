import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { stackContext } from '../../infra/stack/context.js';
import { postgresComponent } from '../../infra/stack/postgres.js';
import { startComponent, stopComponent } from '../../infra/stack/stack.js';
import { FaultRun, faultsContext, log, randomFor } from './harness.js';

const OUTAGE_MS = 30_000;

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

describe('fault: PostgreSQL outage', () => {
  it('loses and duplicates nothing when PostgreSQL is down for 30 s mid-stream', async (ctx) => {
    const { mode } = faultsContext();
    if (mode !== 'local') {
      const why = `skipped: stopping PostgreSQL needs the local stack; the services come from the ${mode === 'environment' ? 'environment (DATABASE_URL etc.)' : 'Docker containers'}`;
      log(`PostgreSQL outage ${why}`);
      ctx.skip(why);
    }
    const { random, seed } = randomFor('postgres-outage');
    run = await FaultRun.start('PostgreSQL down 30 s');
    const stack = stackContext((line) => log(`postgres outage:${line}`));
    const afterBatch = 200 * (2 + Math.floor(random() * 9));
    log(`postgres outage (seed ${seed}): stopped after ${afterBatch} events sent, for ${OUTAGE_MS / 1000} s`);
    let outage: Promise<void> | undefined;
    await run.replay(async (sent) => {
      if (outage || sent < afterBatch) return;
      const t0 = Date.now();
      expect(await stopComponent(stack, postgresComponent)).toBe(true);
      log(`postgres outage: stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // The replay goes on while the database is down: the stages must hold their place, not skip.
      outage = sleep(OUTAGE_MS).then(async () => {
        await startComponent(stack, postgresComponent);
      });
      outage.catch(() => undefined); // awaited (and so reported) after the replay

    }, { batchSize: 100, pauseMs: 400 });
    expect(outage).toBeDefined();
    await outage;

    const { rows, problems } = await run.verify();
    expect(problems).toEqual([]);
    for (const r of rows) expect({ output: r.output, lost: r.lost, duplicated: r.duplicated }).toEqual({ output: r.output, lost: 0, duplicated: 0 });
  });
});
