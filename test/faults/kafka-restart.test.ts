import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { stackContext } from '../../infra/stack/context.js';
import { kafkaComponent } from '../../infra/stack/kafka.js';
import { startComponent, stopComponent } from '../../infra/stack/stack.js';
import { FaultRun, faultsContext, log, randomFor } from './harness.js';

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

describe('fault: Kafka broker restart', () => {
  it('loses and duplicates nothing when the broker is stopped and started mid-stream', async (ctx) => {
    const { mode } = faultsContext();
    if (mode !== 'local') {
      const why = `skipped: restarting the broker needs the local stack; the services come from the ${mode === 'environment' ? 'environment (KAFKA_BROKERS etc.)' : 'Docker containers'}`;
      log(`Kafka restart ${why}`);
      ctx.skip(why);
    }
    const { random, seed } = randomFor('kafka-restart');
    run = await FaultRun.start('Kafka broker restart');
    const stack = stackContext((line) => log(`kafka restart:${line}`));
    const afterBatch = 200 * (3 + Math.floor(random() * 8));
    const downMs = Math.round(random() * 5000);
    log(`kafka restart (seed ${seed}): broker stopped after ${afterBatch} events sent, down ${downMs} ms plus stop and start`);
    let restarted = false;
    await run.replay(async (sent) => {
      if (restarted || sent < afterBatch) return;
      restarted = true;
      const t0 = Date.now();
      expect(await stopComponent(stack, kafkaComponent)).toBe(true);
      log(`kafka restart: broker stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(downMs);
      await startComponent(stack, kafkaComponent);
    });
    expect(restarted).toBe(true);

    const { rows, problems } = await run.verify();
    expect(problems).toEqual([]);
    for (const r of rows) expect({ output: r.output, lost: r.lost, duplicated: r.duplicated }).toEqual({ output: r.output, lost: 0, duplicated: 0 });
  });
});
