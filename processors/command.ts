import { hostname } from 'node:os';
import type { Command } from 'commander';
import { limitHeapGrowth } from '../lib/heap.js';
import { optionalProcessors, processorNamed, processors } from './index.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(`Run one stage in its consumer group until SIGTERM; stages: ${processors.map((p) => p.name).join(', ')}; optional: ${optionalProcessors.map((p) => p.name).join(', ')}`)
    .argument('<stage>', 'stage name')
    .option('--instance <id>', 'stable id of this copy (its Kafka transactional id); default SOCFLOW_INSTANCE_ID or the host name')
    .option('--metrics-port <port>', 'Prometheus /metrics port (0: any free port, -1: off); default per stage')
    .action(async (stageName: string, opts: { instance?: string; metricsPort?: string }) => {
      const processor = processorNamed(stageName);
      limitHeapGrowth();
      const instanceId = opts.instance ?? process.env.SOCFLOW_INSTANCE_ID ?? hostname();
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(instanceId)) throw new Error(`--instance must match [A-Za-z0-9._-]{1,100}, got "${instanceId}"`);
      const metricsPort = opts.metricsPort === undefined ? processor.metricsPort : Number(opts.metricsPort);
      if (!Number.isInteger(metricsPort) || metricsPort < -1 || metricsPort > 65535) throw new Error(`--metrics-port must be -1..65535, got "${opts.metricsPort}"`);
      const running = await processor.start({ instanceId, metricsPort });
      process.stderr.write(`socflow run ${processor.name}: running as instance ${instanceId}${running.metricsPort ? `, metrics on :${running.metricsPort}/metrics` : ''}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      const forced = setTimeout(() => process.exit(1), 20_000);
      await running.stop();
      clearTimeout(forced);
    });
}
