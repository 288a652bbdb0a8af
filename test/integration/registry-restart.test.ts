import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stackContext } from '../../infra/stack/context.js';
import { registryComponent } from '../../infra/stack/registry.js';
import { startComponent, stopComponent } from '../../infra/stack/stack.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { fromRoot } from '../../lib/paths.js';

const ctx = {
  ...stackContext(() => {}),
  stackDir: mkdtempSync(join(tmpdir(), 'socflow-registry-')),
  cacheDir: process.env.SOCFLOW_CACHE_DIR ?? fromRoot('.cache'),
};
ctx.ports = { ...ctx.ports, registry: 18181 };

afterAll(async () => {
  await stopComponent(ctx, registryComponent);
  rmSync(ctx.stackDir, { recursive: true, force: true });
});

describe('local schema registry storage', () => {
  it('keeps schema ids across a restart (records on disk name their writer schema by id)', async () => {
    await registryComponent.prepare(ctx);
    const url = await startComponent(ctx, registryComponent);
    const schema = { type: 'record', name: 'Kept', fields: [{ name: 'a', type: 'string' }] };
    const id = await new SchemaRegistryClient(url).register('kept-value', schema);

    await stopComponent(ctx, registryComponent);
    await startComponent(ctx, registryComponent);
    const type = await new SchemaRegistryClient(url).writerType(id);
    expect(type.toJSON()).toMatchObject({ name: 'Kept' });
  }, 240_000);
});
