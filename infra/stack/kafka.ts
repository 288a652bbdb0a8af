import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { fromRoot } from '../../lib/paths.js';
import { type StackContext, requireTool, runStep } from './context.js';
import type { StackComponent } from './component.js';

/** Apache Kafka, single-node KRaft (broker + controller) on 127.0.0.1, from Maven Central jars. */
export const kafkaComponent: StackComponent = {
  name: 'kafka',
  envVar: 'KAFKA_BROKERS',
  address: (ctx) => `127.0.0.1:${ctx.ports.kafka}`,
  ports: (ctx) => [ctx.ports.kafka, ctx.ports.kafkaController],
  startTimeoutMs: 90_000,

  prepare(ctx) {
    requireTool('java', 'the Kafka broker');
    const libs = kafkaLibs(ctx);
    if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('kafka_2.13'))) return;
    requireTool('mvn', 'fetching the Kafka jars from Maven Central');
    ctx.progress(`  kafka: fetching Apache Kafka ${ctx.kafkaVersion} jars from Maven Central (once)...`);
    const profile = ctx.kafkaVersion.startsWith('3.') ? 'kafka3' : 'kafka4';
    runStep('fetching the Kafka jars', 'mvn', [
      '-q', '-f', fromRoot('infra/kafka/pom.xml'), `-P${profile}`, `-Dkafka.version=${ctx.kafkaVersion}`,
      'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`,
    ]);
  },

  command(ctx) {
    const dir = join(ctx.stackDir, 'kafka');
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const config = join(dir, 'server.properties');
    writeFileSync(config, serverProperties(ctx, dataDir));
    const logConfig = writeLogConfig(ctx, dir);
    const classpath = kafkaClasspath(ctx);
    if (!existsSync(join(dataDir, 'meta.properties'))) formatStorage(classpath, logConfig, config);
    // kafka-server-start.sh's own default heap (1 GiB, fixed). At 512 MiB the old generation stood 82 % full
    // after an hour of tests and benchmarks: 618 young pauses (12.4 s) and 248 concurrent cycles; at 1 GiB,
    // 21 pauses (1.5 s) and 4 cycles over the same kind of hour.
    return {
      command: 'java',
      args: ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', ...logConfig, '-cp', classpath, 'kafka.Kafka', config],
    };
  },

  async healthy(address) {
    const kafka = new kafkajs.Kafka({ clientId: 'socflow-stack-probe', brokers: [address], logLevel: kafkajs.logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
};

/**
 * Formats the KRaft storage of `config` with our own cluster id (Kafka's Uuid is 16 random bytes, base64url):
 * StorageTool's random-uuid prints a log line on stdout under some log configs, which breaks capturing its
 * output. The id goes as `--cluster-id=<id>`: base64url may begin with '-', which as an argument of its own
 * the tool reads as an option (a fresh stack failed to start so, 1 time in 64).
 */
export function formatStorage(classpath: string, logConfig: string[], config: string, clusterId = randomBytes(16).toString('base64url')): void {
  runStep('formatting Kafka storage', 'java', [
    ...logConfig, '-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', config, '--ignore-formatted',
  ]);
}

export const kafkaClasspath = (ctx: StackContext): string => `${kafkaLibs(ctx)}/*`;

function kafkaLibs(ctx: StackContext): string {
  return join(ctx.cacheDir, `kafka-${ctx.kafkaVersion}`, 'libs');
}

export function serverProperties(ctx: StackContext, dataDir: string): string {
  const { kafka, kafkaController } = ctx.ports;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
    `listeners=PLAINTEXT://127.0.0.1:${kafka},CONTROLLER://127.0.0.1:${kafkaController}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${kafka}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // Topics come from the catalog (`socflow topics apply`), never from a typo in a client.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    // Large enough for the biggest record a topic accepts (max.message.bytes per topic in the catalog).
    'message.max.bytes=16777216',
    'replica.fetch.max.bytes=16777216',
    // KIP-890's check that a transactional produce's partition was added to the transaction costs every
    // produce an internal round trip to the coordinator (p50 latency at 5,000 events/s ~25 % lower without,
    // docs/BENCHMARKS.md). What it guards against, a late produce of an ended transaction, cannot come from
    // socflow's producers: each awaits its produce responses before EndTxn, and after any failure the
    // producer is replaced and its epoch bumped, which fences the failed transaction's writes.
    'transaction.partition.verification.enable=false',
    '',
  ].join('\n');
}

function writeLogConfig(ctx: StackContext, dir: string): string[] {
  if (ctx.kafkaVersion.startsWith('3.')) {
    const file = join(dir, 'log4j.properties');
    writeFileSync(file, [
      'log4j.rootLogger=WARN, stderr',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stderr.Target=System.err',
      'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'));
    return [`-Dlog4j.configuration=file:${file}`];
  }
  const file = join(dir, 'log4j2.properties');
  writeFileSync(file, [
    'status=warn',
    'appender.stderr.type=Console',
    'appender.stderr.name=STDERR',
    'appender.stderr.target=SYSTEM_ERR',
    'appender.stderr.layout.type=PatternLayout',
    'appender.stderr.layout.pattern=[%d] %p %m (%c)%n',
    'rootLogger.level=warn',
    'rootLogger.appenderRef.stderr.ref=STDERR',
    '',
  ].join('\n'));
  return [`-Dlog4j2.configurationFile=${file}`];
}
