import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { topicPrefix } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { serveMetrics, stageMetrics } from '../metrics.js';
import { codecFor } from '../serde/codecs.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec } from '../topics/catalog.js';
import { groupLiveness, type RunningStage } from './kafkaRuntime.js';
import { deadLetterValue, decodeBatch } from './records.js';
import type { Sink } from './sink.js';
import type { Decoder } from './stage.js';
import { keepRunning } from './keepRunning.js';

/**
 * Runs a sink in its consumer group, at-least-once into an idempotent store: write the batch, then commit
 * its offsets. A failed write is retried from the same offset with backoff; the partition never skips.
 */
export async function runSink<In>(sink: Sink<In>, decode: Decoder<In>, opts: { instanceId: string; metricsPort?: number }): Promise<RunningStage> {
  const log = createLogger(`socflow-${sink.name}`, { stage: sink.name, instance: opts.instanceId });
  const metrics = stageMetrics(sink.name);
  const catalog = loadTopicCatalog();
  const dlqSpec = topicSpec(catalog, sink.deadLetterTopic);
  const dlqCodec = await codecFor<unknown>(new SchemaRegistryClient(), dlqSpec);
  const groupId = `${topicPrefix()}socflow-${sink.name}`;
  const kafka = createKafka(`socflow-${sink.name}-${opts.instanceId}`);
  const consumer = kafka.consumer({ groupId, readUncommitted: false, ...groupLiveness(), maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await Promise.all([consumer.connect(), producer.connect()]);
  let consecutiveFailures = 0;
  await consumer.subscribe({ topics: sink.inputs.map((t) => topicSpec(catalog, t).name), fromBeginning: true });
  const consuming = await keepRunning(consumer, {
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
      if (isStale() || batch.isEmpty()) return;
      const started = process.hrtime.bigint();
      try {
        const { records, failures: undecodable } = await decodeBatch(batch, decode);
        const written = records.length ? await sink.write(records) : undefined;
        const bad = [...undecodable, ...(written?.deadLetters ?? [])];
        if (bad.length) {
          await producer.send({ topic: dlqSpec.name, messages: bad.map((d) => deadLetterValue(sink.name, d)).map((d) => ({ key: d.key, value: dlqCodec.encode(d.value) })) });
          for (const d of bad) metrics.deadLetters.inc({ reason: d.reason });
        }
        const last = batch.messages[batch.messages.length - 1].offset;
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        resolveOffset(last);
        consecutiveFailures = 0;
        metrics.recordsIn.inc({ topic: batch.topic }, batch.messages.length);
        metrics.batchSize.observe(batch.messages.length);
        metrics.latency.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
        await heartbeat();
      } catch (err) {
        consecutiveFailures += 1;
        const backoff = Math.min(10_000, 250 * 2 ** Math.min(consecutiveFailures, 6));
        await heartbeat().catch(() => undefined);
        log.error({ err: String(err), topic: batch.topic, partition: batch.partition, offset: batch.firstOffset(), retryInMs: backoff }, 'sink write failed; will retry the batch');
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset()! });
        await sleep(backoff);
      }
    },
  }, log);
  const server = await serveMetrics(metrics.registry, opts.metricsPort, log);
  log.info({ groupId }, 'sink running');
  return {
    metricsPort: (server?.address() as AddressInfo | undefined)?.port,
    async stop() {
      await consuming.stop();
      await producer.disconnect();
      await sink.close?.();
      server?.close();
    },
  };
}
