import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config/load.js';
import { stackDown, stackStatus, stackUp } from '../../src/stack/index.js';
import { dockerAnswers, startContainers, type StartedServices } from '../support/containers.js';

/**
 * Where the integration tests find real services, in this order:
 *  1. KAFKA_BROKERS and SCHEMA_REGISTRY_URL given in the environment: used as they are;
 *  2. a Docker engine answers: Kafka and Apicurio in testcontainers;
 *  3. otherwise the local stack (`rollups stack up`), stopped again afterwards if we started it.
 * ClickHouse is the server at CLICKHOUSE_URL when given, else the embedded engine in each test process.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    registryUrl: string;
    clickhouseUrl: string;
    servicesFrom: string;
  }
}

let teardown: (() => Promise<void>) | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (l: string) => process.stderr.write(`[integration setup] ${l}\n`);
  let brokers: string[];
  let registryUrl: string;
  let from: string;
  if (process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL) {
    const cfg = loadConfig();
    brokers = cfg.KAFKA_BROKERS;
    registryUrl = cfg.SCHEMA_REGISTRY_URL;
    from = 'environment';
  } else if (await dockerAnswers()) {
    const started: StartedServices = await startContainers(log);
    brokers = started.brokers;
    registryUrl = started.registryUrl;
    teardown = started.stop;
    from = 'testcontainers';
  } else {
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    delete env.SCHEMA_REGISTRY_URL;
    const cfg = loadConfig(env);
    const before = await stackStatus(cfg);
    const wasRunning = before.services.every((s) => s.pid !== undefined);
    const status = await stackUp(cfg, log);
    brokers = [status.services.find((s) => s.name === 'kafka')?.address ?? ''];
    registryUrl = status.services.find((s) => s.name === 'registry')?.address ?? '';
    from = wasRunning ? 'local stack (already running)' : 'local stack (started for this run)';
    if (!wasRunning && process.env.KEEP_STACK !== '1') teardown = () => stackDown(cfg, log);
  }
  log(`Kafka ${brokers.join(',')}, registry ${registryUrl}, from the ${from}; ClickHouse ${process.env.CLICKHOUSE_URL ? 'server' : 'embedded'}`);
  project.provide('kafkaBrokers', brokers);
  project.provide('registryUrl', registryUrl);
  project.provide('clickhouseUrl', process.env.CLICKHOUSE_URL ?? '');
  project.provide('servicesFrom', from);
  return async () => {
    if (teardown) await teardown();
  };
}
