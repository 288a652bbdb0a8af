import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { setting } from './config.js';
import type { Logger } from './log.js';

/** One prom-client registry per process, with the metrics every stage and sink reports. */
export function stageMetrics(stage: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ stage });
  collectDefaultMetrics({ register: registry });
  const labelNames = ['topic'] as const;
  return {
    registry,
    recordsIn: new Counter({ name: 'socflow_records_in_total', help: 'Input records processed live', labelNames, registers: [registry] }),
    recordsOut: new Counter({ name: 'socflow_records_out_total', help: 'Output records committed', labelNames, registers: [registry] }),
    deadLetters: new Counter({ name: 'socflow_dead_letters_total', help: 'Input records sent to the dead-letter topic', labelNames: ['reason'], registers: [registry] }),
    dropped: new Counter({ name: 'socflow_records_dropped_total', help: 'Input records deliberately not forwarded', labelNames: ['reason'], registers: [registry] }),
    replayed: new Counter({ name: 'socflow_records_replayed_total', help: 'Records re-read to rebuild window state', labelNames, registers: [registry] }),
    aborts: new Counter({ name: 'socflow_transaction_aborts_total', help: 'Batches whose transaction was aborted and reprocessed', registers: [registry] }),
    batchSize: new Histogram({ name: 'socflow_batch_size', help: 'Records per processed batch', buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000], registers: [registry] }),
    latency: new Histogram({ name: 'socflow_batch_seconds', help: 'Time to process and commit one batch', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    lag: new Gauge({ name: 'socflow_consumer_lag', help: 'Records behind the high watermark after the last batch', labelNames: ['topic', 'partition'], registers: [registry] }),
  };
}

export type StageMetrics = ReturnType<typeof stageMetrics>;

/** Serves GET /metrics; port 0 picks a free port. Returns the server (and so its port) or undefined when disabled. */
export async function serveMetrics(registry: Registry, port: number | undefined, log: Logger): Promise<Server | undefined> {
  if (port === undefined || port < 0) return undefined;
  // Loopback unless told otherwise (containers set 0.0.0.0 so Prometheus can scrape them).
  const host = setting('SOCFLOW_METRICS_HOST') ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(await registry.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((err) => {
    log.warn({ err: String(err), port }, 'metrics port unavailable; serving metrics on a free port instead');
    return new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  });
  return server;
}
