import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Producer } from 'kafkajs';
import type { TelemetryEvent } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { type Codec, codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { withPayloadDefaults } from '../../lib/serde/telemetry.js';
import { loadTopicCatalog, topicSpec } from '../../lib/topics/catalog.js';

export interface AgentClientOptions {
  /** Events held while they wait to be sent; `send` throws BufferFullError beyond this. */
  maxBufferedEvents?: number;
  /** Events per produce request. */
  batchSize?: number;
  /** How long an event may wait for a fuller batch. */
  lingerMs?: number;
  /** Attempts per batch before the error is reported through `onError` (the batch stays buffered). */
  maxAttempts?: number;
  /** Backoff between attempts: base, doubled each time up to the cap, with full jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  onError?: (err: Error) => void;
  /** kafkajs client id. */
  clientId?: string;
}

export class BufferFullError extends Error {
  constructor(readonly capacity: number) {
    super(`telemetry buffer full (${capacity} events waiting to be sent); the broker is unreachable or slower than the producer`);
    this.name = 'BufferFullError';
  }
}

export class EventRejectedError extends Error {
  constructor(readonly problems: string[]) {
    super(`event does not fit the telemetry schema: ${problems.join('; ')}`);
    this.name = 'EventRejectedError';
  }
}

export type AgentEvent = Omit<TelemetryEvent, 'event_id' | 'event_time' | 'metadata' | 'asset' | 'ingest_time'> &
  Partial<Pick<TelemetryEvent, 'event_id' | 'event_time' | 'metadata'>>;

/**
 * The agent SDK: agents and devices send metric samples and events as Avro through the registry, batched,
 * retried with backoff, held in a bounded buffer whose overflow the caller sees as an error.
 */
export class AgentClient {
  private readonly buffer: TelemetryEvent[] = [];
  private readonly opts: Required<Omit<AgentClientOptions, 'onError' | 'clientId'>> & Pick<AgentClientOptions, 'onError'>;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly producer: Producer,
    private readonly codec: Codec<TelemetryEvent>,
    private readonly topic: string,
    opts: AgentClientOptions,
  ) {
    this.opts = {
      maxBufferedEvents: opts.maxBufferedEvents ?? 10_000,
      batchSize: opts.batchSize ?? 500,
      lingerMs: opts.lingerMs ?? 100,
      maxAttempts: opts.maxAttempts ?? 8,
      retryBaseMs: opts.retryBaseMs ?? 100,
      retryMaxMs: opts.retryMaxMs ?? 5000,
      onError: opts.onError,
    };
  }

  static async connect(opts: AgentClientOptions = {}): Promise<AgentClient> {
    const spec = topicSpec(loadTopicCatalog(), 'rbp.metrics');
    const codec = await codecFor<TelemetryEvent>(new SchemaRegistryClient(), spec);
    // Our own retry loop keeps the batch buffered; the client itself fails fast so the loop stays in charge.
    const producer = createKafka(opts.clientId ?? 'socflow-agent', { retry: { retries: 2, initialRetryTime: 100 } }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new AgentClient(producer, codec, spec.name, opts);
  }

  /** Number of events accepted but not yet acknowledged by the broker. */
  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * Queues one event (event_id and event_time are filled in when absent). Throws EventRejectedError for
   * an event that does not fit the schema and BufferFullError when the buffer is full; never blocks.
   */
  send(input: AgentEvent): string {
    if (this.closed) throw new Error('AgentClient is closed');
    const event = {
      ...input,
      event_id: input.event_id ?? randomUUID(),
      event_time: input.event_time ?? Date.now(),
      metadata: input.metadata ?? {},
      asset: null,
      ingest_time: null,
      payload: withPayloadDefaults(input.type, input.payload),
    } as TelemetryEvent;
    const problems = this.codec.validate(event);
    if (problems.length) throw new EventRejectedError(problems);
    if (this.buffer.length >= this.opts.maxBufferedEvents) throw new BufferFullError(this.opts.maxBufferedEvents);
    this.buffer.push(event);
    if (this.buffer.length >= this.opts.batchSize) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.opts.lingerMs);
    return event.event_id;
  }

  /** Sends everything buffered; rejects if a batch still fails after every attempt (it stays buffered). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushing ??= this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.producer.disconnect();
    }
  }

  private async drain(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.slice(0, this.opts.batchSize);
      await this.sendWithRetry(batch);
      this.buffer.splice(0, batch.length);
    }
  }

  private async sendWithRetry(batch: TelemetryEvent[]): Promise<void> {
    const messages = batch.map((e) => ({ key: e.agent_id, value: this.codec.encode(e), timestamp: String(e.event_time) }));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.send({ topic: this.topic, messages });
        return;
      } catch (err) {
        if (attempt >= this.opts.maxAttempts) {
          this.opts.onError?.(err as Error);
          throw err;
        }
        const cap = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
        await sleep(Math.random() * cap);
      }
    }
  }
}
