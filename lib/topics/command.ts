import type { Command } from 'commander';
import { createKafka } from '../kafka/client.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { applyCatalog, changedAnything } from './apply.js';
import { loadTopicCatalog } from './catalog.js';

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('The topic catalog (topics/catalog.yaml) and its value schemas');

  topics
    .command('apply')
    .description('Create missing topics, register value schemas (BACKWARD), report drift; never deletes or shrinks')
    .option('--grow-partitions', 'add partitions where the cluster has fewer than the catalog')
    .option('--update-configs', 'set topic configs that differ from the catalog')
    .action(async (opts: { growPartitions?: boolean; updateConfigs?: boolean }) => {
      const catalog = loadTopicCatalog();
      const admin = createKafka('socflow-topics').admin();
      await admin.connect();
      try {
        const report = await applyCatalog(catalog, admin, new SchemaRegistryClient(), opts);
        const out = (label: string, items: string[]) => items.forEach((i) => process.stdout.write(`${label.padEnd(18)} ${i}\n`));
        out('created', report.created);
        out('partitions grown', report.grown);
        out('configs updated', report.configsUpdated);
        out('schema registered', report.schemasRegistered);
        out('drift', report.drift);
        process.stdout.write(
          changedAnything(report)
            ? `applied: ${report.created.length} created, ${report.schemasRegistered.length} schemas registered, ${report.unchanged.length} unchanged\n`
            : `no change: ${catalog.size} topics match the catalog${report.drift.length ? `, ${report.drift.length} drift reported` : ''}\n`,
        );
      } finally {
        await admin.disconnect();
      }
    });

  topics
    .command('list')
    .description('Print the catalog: topic, partitions, value subject, producers, consumers')
    .action(() => {
      for (const t of loadTopicCatalog().values()) {
        process.stdout.write(`${t.name.padEnd(22)} ${String(t.partitions).padStart(3)}  ${t.valueSubject.padEnd(30)} ${t.producers.join(',')} -> ${t.consumers.join(',')}\n`);
      }
    });
}
