/**
 * The same statements, run by @clickhouse/client through the front (HTTP) and directly through
 * chdb (chdb/connection), give the same results. chdb binds one data directory per process, so
 * the direct side runs in a child process (fixtures/direct-chdb.mjs) on its own directory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STEPS, runSteps, type Outcome } from './fixtures/parity-steps.mjs';
import { startClickhouseFront, type ClickhouseFront } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
let frontDir: string;
let directDir: string;
let front: ClickhouseFront;

beforeAll(async () => {
  frontDir = mkdtempSync(join(tmpdir(), 'ch-parity-front-'));
  directDir = mkdtempSync(join(tmpdir(), 'ch-parity-direct-'));
  front = await startClickhouseFront({ dataPath: frontDir, port: 0 });
});

afterAll(async () => {
  await front?.close();
  for (const d of [frontDir, directDir]) if (d) rmSync(d, { recursive: true, force: true });
});

it('gives the same results through the front as directly through chdb', async () => {
  const directRun = promisify(execFile)(process.execPath, [join(here, 'fixtures', 'direct-chdb.mjs'), directDir], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 60_000,
  });
  const client = createClient({ url: front.url });
  let viaFront: Outcome[];
  try {
    viaFront = await runSteps(client);
  } finally {
    await client.close();
  }
  const direct = JSON.parse((await directRun).stdout) as Outcome[];

  expect(viaFront).toHaveLength(STEPS.length);
  for (let i = 0; i < STEPS.length; i++) {
    expect({ step: i, ...viaFront[i] }, `step ${i}: ${STEPS[i]?.op} ${STEPS[i]?.query ?? STEPS[i]?.table}`).toEqual({ step: i, ...direct[i] });
  }
  // sanity: the run exercised successes and the expected failures
  expect(viaFront.filter((o) => o.ok).length).toBeGreaterThan(20);
  expect(viaFront.filter((o) => !o.ok).map((o) => o.type)).toEqual(['SYNTAX_ERROR', 'UNKNOWN_TABLE', 'TABLE_ALREADY_EXISTS', 'CANNOT_PARSE_DATETIME']);
});
