import type { Command } from 'commander';
import { stackContext } from './context.js';
import { describeFailure, stackDown, stackStatus, stackUp } from './stack.js';

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('Run the local stack without Docker: Kafka (KRaft), Apicurio schema registry, PostgreSQL, ClickHouse (chdb)');

  stack
    .command('up')
    .description('Start every part not given by KAFKA_BROKERS / SCHEMA_REGISTRY_URL / DATABASE_URL / CLICKHOUSE_URL, wait until healthy, write .stack/stack.env')
    .action(async () => {
      const ctx = stackContext();
      ctx.progress('socflow stack up');
      try {
        const env = await stackUp(ctx);
        ctx.progress(`stack ready; variables in ${ctx.stackDir}/stack.env:`);
        for (const [k, v] of Object.entries(env)) ctx.progress(`  ${k}=${v.replace(/\/\/([^:/]+):[^@]+@/, '//$1:***@')}`);
      } catch (err) {
        process.stderr.write(`socflow stack up: ${describeFailure(err)}\n`);
        process.exitCode = 1;
      }
    });

  stack
    .command('down')
    .description('Stop everything `stack up` started (data is kept unless --wipe)')
    .option('--wipe', 'also delete the stack data directory')
    .action(async (opts: { wipe?: boolean }) => {
      await stackDown(stackContext(), opts);
    });

  stack
    .command('status')
    .description('Show each part: pid, running, healthy, address')
    .action(async () => {
      const rows = await stackStatus();
      for (const r of rows) {
        process.stdout.write(`${r.name.padEnd(16)} ${r.healthy ? 'healthy  ' : 'unhealthy'} ${String(r.pid ?? '-').padEnd(8)} ${r.address}\n`);
      }
      if (rows.some((r) => !r.healthy)) process.exitCode = 1;
    });
}
