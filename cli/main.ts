import { programWith, registrationsFor } from './commands.js';

try {
  const program = programWith(await registrationsFor(process.argv[2]));
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`socflow: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
