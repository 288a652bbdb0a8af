import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../lib/paths.js';
import type { StackComponent } from './component.js';

/** The embedded ClickHouse engine (chdb) behind ClickHouse's HTTP interface, owned by one front process. */
export const clickhouseComponent: StackComponent = {
  name: 'clickhouse',
  envVar: 'CLICKHOUSE_URL',
  address: (ctx) => `http://127.0.0.1:${ctx.ports.clickhouse}`,
  ports: (ctx) => [ctx.ports.clickhouse],
  startTimeoutMs: 60_000,
  prepare() {},
  command(ctx) {
    const dataPath = join(ctx.stackDir, 'clickhouse');
    mkdirSync(dataPath, { recursive: true });
    return {
      command: process.execPath,
      args: [fromRoot('dist/infra/clickhouse/front/main.js'), '--path', dataPath, '--port', String(ctx.ports.clickhouse)],
    };
  },
  async healthy(address) {
    const res = await fetch(`${address}/ping`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  },
};
