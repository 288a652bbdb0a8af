import { GenericContainer, Network, Wait, type StartedTestContainer } from 'testcontainers';
import type { ServiceEnv } from './services.js';

/**
 * The same four services from the images docker-compose.yml uses, for machines with a Docker engine.
 * Returns the environment and a function that stops them.
 */
export async function startContainers(): Promise<{ env: ServiceEnv; stop: () => Promise<void> }> {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const kafka = await new GenericContainer('apache/kafka:3.9.1')
    .withNetwork(network)
    .withNetworkAliases('kafka')
    .withExposedPorts({ container: 9092, host: 29092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,INTERNAL://:19092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:29092,INTERNAL://kafka:19092',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_MESSAGE_MAX_BYTES: '16777216',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  started.push(kafka);
  const [registry, postgres, clickhouse] = await Promise.all([
    new GenericContainer('confluentinc/cp-schema-registry:7.7.1')
      .withNetwork(network)
      .withExposedPorts(8081)
      .withEnvironment({
        SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
        SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:19092',
        SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
      })
      .withWaitStrategy(Wait.forHttp('/subjects', 8081))
      .start(),
    new GenericContainer('postgres:16')
      .withExposedPorts(5432)
      .withEnvironment({ POSTGRES_USER: 'socflow', POSTGRES_PASSWORD: 'socflow-test', POSTGRES_DB: 'socflow' })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
    new GenericContainer('clickhouse/clickhouse-server:24.8')
      .withExposedPorts(8123)
      .withWaitStrategy(Wait.forHttp('/ping', 8123))
      .start(),
  ]);
  started.push(registry, postgres, clickhouse);
  return {
    env: {
      KAFKA_BROKERS: '127.0.0.1:29092',
      SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
      DATABASE_URL: `postgres://socflow:socflow-test@${postgres.getHost()}:${postgres.getMappedPort(5432)}/socflow`,
      CLICKHOUSE_URL: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`,
    },
    stop: async () => {
      for (const c of started.reverse()) await c.stop().catch(() => undefined);
      await network.stop().catch(() => undefined);
    },
  };
}
