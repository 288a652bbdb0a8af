import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each top-level command → the module that registers it. Only the command named on the command line is
 * loaded, so a stage process (`socflow run normalize`) does not carry the API server, the importers, the
 * bench and the rest in its heap (~17 MB of RSS per process); help and unknown commands load them all.
 */
const commandModules: Record<string, () => Promise<Register[]>> = {
  stack: async () => [(await import('../infra/stack/command.js')).registerStackCommand],
  topics: async () => [(await import('../lib/topics/command.js')).registerTopicsCommand],
  db: async () => [(await import('../lib/db/command.js')).registerDbCommand],
  run: async () => [(await import('../processors/command.js')).registerRunCommand],
  demo: async () => [(await import('../demo/command.js')).registerDemoCommand],
  exercise: async () => [(await import('../exercises/command.js')).registerExerciseCommand],
  clickhouse: async () => [(await import('../connectors/clickhouse/command.js')).registerClickhouseCommands],
  api: async () => [(await import('../api/command.js')).registerApiCommand],
  token: async () => [(await import('../api/command.js')).registerTokenCommand],
  import: async () => [(await import('../connectors/import/wiring.js')).registerImportWithServices],
  attest: async () => [(await import('../connectors/compliance/command.js')).registerAttestCommand],
  bench: async () => [(await import('../bench/command.js')).registerBenchCommand],
  produce: async () => [(await import('../connectors/agent/command.js')).registerProduceCommand],
  model: async () => [(await import('../lib/models/command.js')).registerModelCommand],
};
// registerClickhouseCommands also registers `query`.
commandModules.query = commandModules.clickhouse;

export async function registrationsFor(commandName: string | undefined): Promise<Register[]> {
  const load = commandName === undefined ? undefined : Object.hasOwn(commandModules, commandName) ? commandModules[commandName] : undefined;
  if (load) return load();
  const all = await Promise.all([...new Set(Object.values(commandModules))].map((loadOne) => loadOne()));
  return [...new Set(all.flat())];
}

export function programWith(registrations: Register[]): Command {
  const program = new Command()
    .name('socflow')
    .description('Real-time security telemetry pipeline: Kafka stream processors, ONNX scoring, PostgreSQL alert state, ClickHouse analytics')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  for (const register of registrations) register(program);
  return program;
}
