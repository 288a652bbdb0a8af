import { services, uniqueName } from '../../test/kit.js';
import { createClickhouse, quoteIdentifier } from './client.js';

/** A fresh database name on the test ClickHouse (CLICKHOUSE_URL from the global setup) and a way to drop it. */
export function testDatabase(stem = 'chtest'): { database: string; drop(): Promise<void> } {
  services();
  const database = uniqueName(`socflow_${stem}`).replace(/-/g, '_');
  return {
    database,
    async drop() {
      const admin = createClickhouse({ noDatabase: true });
      try {
        await admin.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)}` });
      } finally {
        await admin.close();
      }
    },
  };
}

/** Rows of a read query as objects (64-bit integers as strings, as ClickHouse sends them). */
export async function rowsOf<T = Record<string, unknown>>(database: string, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const client = createClickhouse({ database });
  try {
    const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
    return await rs.json<T>();
  } finally {
    await client.close();
  }
}
