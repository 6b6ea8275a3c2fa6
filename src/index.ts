/**
 * The package's public API: the producer helper and the event contract (contract section 4).
 *
 * ```ts
 * import { createEventProducer } from 'analytics-rollups';
 * ```
 */
export {
  createEventProducer,
  DEFAULT_TOPIC,
  DEFAULT_MAX_BATCH,
  subjectFor,
  type EventProducer,
  type EventProducerOptions,
  type SendReport,
  type SendRejection,
} from './producer/index.js';
export {
  RollupsError,
  ProduceError,
  RegistryUnavailableError,
  SchemaRegistryError,
  TopicMissingError,
} from './errors.js';
export * from './contract/index.js';
