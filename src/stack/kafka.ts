import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { StackError, errorMessage } from '../errors.js';
import type { JavaRuntime } from './java.js';
import type { StackLayout } from './layout.js';
import { startDetached, type TrackedProcess } from './processes.js';

const run = promisify(execFile);

export function kafkaProcess(l: StackLayout): TrackedProcess {
  return { name: 'kafka', pidFile: join(l.pids, 'kafka.pid'), marker: `-Drollups.stack=kafka:${l.dir}` };
}

export function kafkaAddress(l: StackLayout): string {
  return `localhost:${l.kafkaPort}`;
}

/** Resolves the broker's jars from Maven Central through stack/kafka/pom.xml, once per version. */
export async function ensureKafkaJars(l: StackLayout, mvn: string): Promise<void> {
  if (existsSync(l.kafkaLibs) && readdirSync(l.kafkaLibs).some((f) => f.startsWith('kafka_2.13-'))) return;
  mkdirSync(l.kafkaLibs, { recursive: true });
  try {
    await run(mvn, ['-B', '-q', '-f', l.kafkaPom, 'dependency:copy-dependencies', `-Dkafka.version=${l.kafkaVersion}`,
      `-DoutputDirectory=${l.kafkaLibs}`, '-DincludeScope=runtime'], { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new StackError(`could not resolve Apache Kafka ${l.kafkaVersion} from Maven Central: ${errorMessage(err).split('\n')[0]}`, 'KAFKA_DOWNLOAD_FAILED', err);
  }
}

function serverProperties(l: StackLayout): string {
  return [
    '# Written by `rollups stack up`: a single KRaft node (broker and controller) on loopback.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${l.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${l.kafkaPort},CONTROLLER://127.0.0.1:${l.controllerPort}`,
    `advertised.listeners=PLAINTEXT://localhost:${l.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${l.kafkaData}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Producers must create topics on purpose (rollups produce / tests do), so a typo never makes one.
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

const LOG4J = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.started.name = kafka.server.KafkaRaftServer',
  'logger.started.level = INFO',
  '',
].join('\n');

function javaArgs(l: StackLayout, marker: string): string[] {
  return [marker, '-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(l.kafkaHome, 'log4j2.properties')}`, '-cp', `${l.kafkaLibs}/*`];
}

/** Formats the KRaft storage on first start only; later starts keep the topics. */
export async function prepareKafka(l: StackLayout, java: JavaRuntime): Promise<void> {
  mkdirSync(l.kafkaHome, { recursive: true });
  writeFileSync(join(l.kafkaHome, 'server.properties'), serverProperties(l));
  writeFileSync(join(l.kafkaHome, 'log4j2.properties'), LOG4J);
  if (existsSync(join(l.kafkaData, 'meta.properties'))) return;
  const base = javaArgs(l, '-Drollups.stack=kafka-format');
  try {
    const { stdout } = await run(java.bin, [...base, 'kafka.tools.StorageTool', 'random-uuid']);
    const clusterId = stdout.trim().split('\n').pop() ?? '';
    await run(java.bin, [...base, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(l.kafkaHome, 'server.properties')]);
  } catch (err) {
    throw new StackError(`could not format the Kafka storage in ${l.kafkaData}: ${errorMessage(err).split('\n')[0]}`, 'KAFKA_FORMAT_FAILED', err);
  }
}

export function startKafka(l: StackLayout, java: JavaRuntime): number {
  const p = kafkaProcess(l);
  return startDetached(p, java.bin, [...javaArgs(l, p.marker), 'kafka.Kafka', join(l.kafkaHome, 'server.properties')], {
    cwd: l.kafkaHome,
    logFile: join(l.logs, 'kafka.log'),
  });
}

/** True when the broker answers a metadata request. */
export async function kafkaAnswers(address: string, timeoutMs = 3000): Promise<boolean> {
  const kafka = new Kafka({ brokers: [address], clientId: 'rollups-stack-probe', logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
