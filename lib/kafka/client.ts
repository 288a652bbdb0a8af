import kafkajs, { type KafkaConfig, type LogEntry } from 'kafkajs';
import { requireSetting } from '../config.js';
import { createLogger } from '../log.js';

const { Kafka, logLevel } = kafkajs;
// We pick the partitioner explicitly (producers use the Java-compatible default), so the v2 notice is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
const kafkaLog = createLogger('kafkajs');

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through pino, so every process writes one JSON log stream. */
const logCreator = () => ({ namespace, level, log }: LogEntry) => {
  const { message, ...extra } = log;
  kafkaLog[LEVELS[level] ?? 'info']({ namespace, ...extra }, message);
};

export function brokers(): string[] {
  return requireSetting('KAFKA_BROKERS', 'comma-separated Kafka bootstrap servers').split(',').map((b) => b.trim()).filter(Boolean);
}

export function createKafka(clientId: string, overrides: Partial<KafkaConfig> = {}): kafkajs.Kafka {
  return new Kafka({
    clientId,
    brokers: brokers(),
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 10, maxRetryTime: 10_000 },
    ...overrides,
  });
}

/**
 * A transactional producer for back-to-back transactions. Right after a commit the coordinator answers
 * CONCURRENT_TRANSACTIONS until its markers are written; kafkajs retries that with the client's backoff
 * (kafkajs #304), which at 200 ms put a 200–400 ms stall into a hop's latency tail. Java's client retries it
 * after 20 ms (KAFKA-5477); more retries keep about the same total budget (~50 s) for a broker outage.
 */
/** How long the broker lets a transaction stay open before it aborts it (a copy that died mid-transaction). */
export const TRANSACTION_TIMEOUT_MS = 30_000;

export function transactionalProducer(kafka: kafkajs.Kafka, transactionalId: string, createPartitioner: kafkajs.ICustomPartitioner = CachedDefaultPartitioner): kafkajs.Producer {
  return kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: TRANSACTION_TIMEOUT_MS,
    createPartitioner,
    retry: { initialRetryTime: 20, retries: 13, maxRetryTime: 10_000 },
  });
}

/**
 * kafkajs's DefaultPartitioner (Java-compatible murmur2 of the key) with each key's partition remembered per
 * topic and partition count: the default hashes a fresh Buffer of the key and filters the partition metadata
 * for every message. Same partition for every message as DefaultPartitioner.
 */
export const CachedDefaultPartitioner: kafkajs.ICustomPartitioner = () => {
  const inner = kafkajs.Partitioners.DefaultPartitioner();
  const byTopic = new Map<string, { partitions: number; keys: Map<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (typeof message.key !== 'string') return inner(args);
    let cache = byTopic.get(topic);
    if (!cache || cache.partitions !== partitionMetadata.length || cache.keys.size >= 100_000) byTopic.set(topic, (cache = { partitions: partitionMetadata.length, keys: new Map() }));
    let partition = cache.keys.get(message.key);
    if (partition === undefined) cache.keys.set(message.key, (partition = inner(args)));
    return partition;
  };
};
