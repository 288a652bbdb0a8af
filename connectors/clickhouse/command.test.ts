import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chTime, createClickhouse } from './client.js';
import { registerClickhouseCommands, renderTable } from './command.js';
import { alert, delivered, HOUR } from './fixtures.js';
import { ALERTS, createTableSink } from './sink.js';
import { rowsOf, testDatabase } from './testutil.js';

const db = testDatabase('query');
const h = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;

/** Runs `socflow <args>` through commander, capturing what the command writes. */
async function socflow(...args: string[]): Promise<string> {
  let out = '';
  const program = new Command().name('socflow').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  registerClickhouseCommands(program, (s) => (out += s));
  try {
    await program.parseAsync(['node', 'socflow', ...args]);
  } catch (err) {
    if ((err as { code?: string }).code !== 'commander.helpDisplayed') throw err;
  }
  return out;
}

beforeAll(async () => {
  expect(await socflow('clickhouse', 'migrate', '--database', db.database)).toMatch(/3 migration\(s\) applied to socflow_query/);
  const client = createClickhouse({ database: db.database });
  try {
    await createTableSink(client, ALERTS).write(
      delivered('rbp.alerts', [
        alert({ alert_id: 'x1', severity: 'critical', category: 'u2r', event_time: h + 60_000 }),
        alert({ alert_id: 'x2', severity: 'low', category: 'probe', event_time: h + 120_000 }),
        alert({ alert_id: 'x3', severity: 'low', category: 'probe', event_time: h + 180_000 }),
      ]),
    );
  } finally {
    await client.close();
  }
});
afterAll(() => db.drop());

describe('socflow clickhouse migrate', () => {
  it('a second run reports the schema up to date', async () => {
    expect(await socflow('clickhouse', 'migrate', '--database', db.database)).toBe(`schema of ${db.database} up to date\n`);
  });
});

describe('socflow query', () => {
  const hour = chTime(h).slice(0, 19);

  it('prints a saved query as an aligned table (numbers right-aligned)', async () => {
    const out = await socflow('query', 'alerts_per_hour', '--param', 'hours=6', '--database', db.database);
    expect(out).toBe(
      [
        'hour                 severity  category  alerts',
        '-------------------  --------  --------  ------',
        `${hour}  critical  u2r            1`,
        `${hour}  low       probe          2`,
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });

  it('prints csv and json', async () => {
    expect(await socflow('query', 'alerts_per_hour', '--format', 'csv', '--database', db.database)).toBe(
      `"hour","severity","category","alerts"\n"${hour}","critical","u2r",1\n"${hour}","low","probe",2\n`,
    );
    expect(JSON.parse(await socflow('query', 'alerts_per_hour', '--format', 'json', '--database', db.database))).toEqual([
      { hour, severity: 'critical', category: 'u2r', alerts: 1 },
      { hour, severity: 'low', category: 'probe', alerts: 2 },
    ]);
  });

  it('runs ad-hoc SQL with parameters, and refuses writes (readonly=1)', async () => {
    const out = await socflow('query', '--sql', 'SELECT severity, count() AS n FROM alerts FINAL WHERE severity = {s:String} GROUP BY severity', '--param', 's=low', '--format', 'json', '--database', db.database);
    expect(JSON.parse(out)).toEqual([{ severity: 'low', n: 2 }]);
    await expect(socflow('query', '--sql', "INSERT INTO alerts (alert_id) VALUES ('evil')", '--database', db.database)).rejects.toThrow(/readonly/i);
    await expect(socflow('query', '--sql', 'DROP TABLE alerts', '--database', db.database)).rejects.toThrow(/readonly/i);
    await expect(socflow('query', '--sql', "SELECT 1 SETTINGS readonly = 0", '--database', db.database)).rejects.toThrow(/readonly/i);
    expect(await rowsOf(db.database, "SELECT count() AS n FROM alerts WHERE alert_id = 'evil'")).toEqual([{ n: '0' }]);
  });

  it('says how to create a missing database', async () => {
    await expect(socflow('query', 'top_agents', '--database', 'socflow_does_not_exist')).rejects.toThrow(/socflow clickhouse migrate/);
  });

  it('rejects unknown queries, unknown parameters, both a name and --sql, and bad formats', async () => {
    await expect(socflow('query', 'nope', '--database', db.database)).rejects.toThrow(/unknown saved query "nope"; saved queries: alerts_per_hour/);
    await expect(socflow('query', 'top_agents', '--param', 'days=3', '--database', db.database)).rejects.toThrow(/has no parameter days/);
    await expect(socflow('query', 'top_agents', '--sql', 'SELECT 1', '--database', db.database)).rejects.toThrow(/not both/);
    await expect(socflow('query', 'top_agents', '--format', 'xml')).rejects.toThrow(/Allowed choices are table, csv, json/);
  });

  it('--list lists the saved queries with descriptions and parameters; every subcommand has --help', async () => {
    const list = await socflow('query', '--list');
    expect(list).toMatch(/^alerts_per_hour +Alerts per hour by severity and category/m);
    expect(list).toMatch(/--param hours=<UInt32> \(default 24\)/);
    expect(list).toMatch(/^top_hosts /m);
    const help = await socflow('query', '--help');
    for (const option of ['--sql <sql>', '--param <key=value>', '--format <format>', '--list', '--database <name>']) expect(help).toContain(option);
    expect(help).toContain('socflow query alerts_per_hour --param hours=48');
    expect(await socflow('clickhouse', '--help')).toContain('migrate');
    expect(await socflow('clickhouse', 'migrate', '--help')).toContain('--ttl-days <days>');
  });
});

describe('renderTable', () => {
  it('aligns columns, renders NULL, arrays and maps, and counts rows', () => {
    expect(
      renderTable({
        names: ['name', 'n', 'tags'],
        types: ['String', 'UInt64', 'Array(String)'],
        rows: [
          ['a', '1', ['x']],
          ['longer', '1234', []],
          [null, '7', ['y', 'z']],
        ],
      }),
    ).toBe(['name       n  tags', '------  ----  ---------', 'a          1  ["x"]', 'longer  1234  []', 'NULL       7  ["y","z"]', '(3 rows)', ''].join('\n'));
  });
});
