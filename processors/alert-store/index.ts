import { migrate } from '../../lib/db/migrate.js';
import { createPool } from '../../lib/db/pool.js';
import type { Alert } from '../../lib/events.js';
import { avroDecoder } from '../../lib/stream/decoders.js';
import { runSink } from '../../lib/stream/sinkRuntime.js';
import type { ProcessorDefinition } from '../definition.js';
import { createAlertStore } from './store.js';

export const definition: ProcessorDefinition = {
  name: 'alert-store',
  description: 'rbp.alerts → PostgreSQL alerts (idempotent upsert by alert id, audit row on creation)',
  inputs: ['rbp.alerts'],
  metricsPort: 9104,
  async start({ instanceId, metricsPort }) {
    const pool = createPool(4);
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    const running = await runSink(createAlertStore(pool), await avroDecoder<Alert>('rbp.alerts'), { instanceId, metricsPort });
    return { ...running, stop: async () => { await running.stop(); await pool.end(); } };
  },
};
