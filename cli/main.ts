import { Command } from 'commander';
import { registerClickhouseCommands } from '../connectors/clickhouse/command.js';
import { registerApiCommand, registerTokenCommand } from '../api/command.js';
import { registerProduceCommand } from '../connectors/agent/command.js';
import { registerBenchCommand } from '../bench/command.js';
import { registerAttestCommand } from '../connectors/compliance/command.js';
import { registerImportWithServices } from '../connectors/import/wiring.js';
import { registerDemoCommand } from '../demo/command.js';
import { registerExerciseCommand } from '../exercises/command.js';
import { registerStackCommand } from '../infra/stack/command.js';
import { registerDbCommand } from '../lib/db/command.js';
import { registerModelCommand } from '../lib/models/command.js';
import { registerTopicsCommand } from '../lib/topics/command.js';
import { registerRunCommand } from '../processors/command.js';

const program = new Command()
  .name('socflow')
  .description('Real-time security telemetry pipeline: Kafka stream processors, ONNX scoring, PostgreSQL alert state, ClickHouse analytics')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerStackCommand(program);
registerTopicsCommand(program);
registerDbCommand(program);
registerRunCommand(program);
registerDemoCommand(program);
registerExerciseCommand(program);
registerClickhouseCommands(program);
registerApiCommand(program);
registerTokenCommand(program);
registerImportWithServices(program);
registerAttestCommand(program);
registerBenchCommand(program);
registerProduceCommand(program);
registerModelCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`socflow: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
