import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';

/** Where the package's own files live (the Kafka pom), wherever the CLI is run from. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StackLayout {
  dir: string;
  kafkaVersion: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  registryVersion: string;
  kafkaPom: string;
  kafkaLibs: string;
  kafkaHome: string;
  kafkaData: string;
  downloads: string;
  logs: string;
  pids: string;
}

export function stackLayout(cfg: Config): StackLayout {
  const dir = resolve(cfg.STACK_DIR);
  return {
    dir,
    kafkaVersion: cfg.STACK_KAFKA_VERSION,
    kafkaPort: cfg.STACK_KAFKA_PORT,
    controllerPort: cfg.STACK_CONTROLLER_PORT,
    registryPort: cfg.STACK_REGISTRY_PORT,
    registryVersion: cfg.STACK_REGISTRY_VERSION,
    kafkaPom: resolve(PACKAGE_ROOT, 'stack/kafka/pom.xml'),
    kafkaLibs: resolve(dir, `kafka-${cfg.STACK_KAFKA_VERSION}`, 'libs'),
    kafkaHome: resolve(dir, 'kafka'),
    kafkaData: resolve(dir, 'kafka', 'data'),
    downloads: resolve(dir, 'downloads'),
    logs: resolve(dir, 'logs'),
    pids: resolve(dir, 'pids'),
  };
}
