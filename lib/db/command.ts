import type { Command } from 'commander';
import { migrate } from './migrate.js';
import { createPool } from './pool.js';

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('PostgreSQL schema (infra/postgres/migrations)');
  db.command('migrate')
    .description('Apply pending migrations in order, each once')
    .action(async () => {
      const pool = createPool(1);
      const client = await pool.connect();
      try {
        const applied = await migrate(client, (line) => process.stdout.write(`${line}\n`));
        process.stdout.write(applied.length ? `${applied.length} migration(s) applied\n` : 'schema up to date\n');
      } finally {
        client.release();
        await pool.end();
      }
    });
}
