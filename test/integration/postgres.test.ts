import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../kit.js';

describe('PostgreSQL (real server)', () => {
  it('writes and reads with parameterized SQL as the least-privileged application role', async () => {
    const client = new pg.Client({ connectionString: await freshDatabase('pg') });
    await client.connect();
    try {
      await client.query('CREATE TABLE probe (id text PRIMARY KEY, body jsonb NOT NULL)');
      const hostile = "x'); DROP TABLE probe; --";
      await client.query('INSERT INTO probe (id, body) VALUES ($1, $2)', [hostile, { n: 1 }]);
      const { rows } = await client.query('SELECT id, body FROM probe WHERE id = $1', [hostile]);
      expect(rows).toEqual([{ id: hostile, body: { n: 1 } }]);
      const { rows: role } = await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
      expect(role[0].rolsuper).toBe(false);
    } finally {
      await client.end();
    }
  });
});
