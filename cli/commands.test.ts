import { describe, expect, it } from 'vitest';
import { programWith, registrationsFor } from './commands.js';

const names = (registrations: Awaited<ReturnType<typeof registrationsFor>>) => programWith(registrations).commands.map((c) => c.name()).sort();

describe('lazy command registration', () => {
  it('loads every command for help and unknown names', async () => {
    const all = names(await registrationsFor(undefined));
    expect(all).toEqual(['api', 'attest', 'bench', 'clickhouse', 'db', 'demo', 'exercise', 'import', 'model', 'produce', 'query', 'run', 'stack', 'token', 'topics']);
    expect(names(await registrationsFor('--help'))).toEqual(all);
    expect(names(await registrationsFor('nonsense'))).toEqual(all);
    expect(names(await registrationsFor('constructor'))).toEqual(all);
  });

  it('a named command loads only the module that registers it, and that module registers the command', async () => {
    const all = names(await registrationsFor(undefined));
    for (const name of all) {
      const loaded = names(await registrationsFor(name));
      expect(loaded, name).toContain(name);
      expect(loaded.length, name).toBeLessThanOrEqual(2);
    }
    expect(names(await registrationsFor('run'))).toEqual(['run']);
    expect(names(await registrationsFor('query'))).toEqual(['clickhouse', 'query']);
  });
});
