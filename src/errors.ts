/**
 * One error tree for the whole product (modelled on kafkajs' KafkaJSError): every error we throw
 * carries a stable `code` for machines and a `retriable` flag that tells the caller whether waiting
 * and trying again can help. Callers branch on these, never on message text.
 */
export class RollupsError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(message: string, opts: { code: string; retriable?: boolean; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.retriable = opts.retriable ?? false;
  }
}

/** A configuration variable has a value we cannot use. The message names the variable. */
export class ConfigError extends RollupsError {
  constructor(message: string) {
    super(message, { code: 'CONFIG_INVALID' });
  }
}

/** The local stack (Kafka, registry) could not be prepared or started. */
export class StackError extends RollupsError {
  constructor(message: string, code = 'STACK_FAILED', cause?: unknown) {
    super(message, { code, cause });
  }
}

/** The schema registry did not answer; waiting may help. */
export class RegistryUnavailableError extends RollupsError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'REGISTRY_UNAVAILABLE', retriable: true, cause });
  }
}

/** ClickHouse refused or did not answer a write or read. */
export class SinkError extends RollupsError {
  constructor(message: string, retriable: boolean, cause?: unknown) {
    super(message, { code: 'SINK_FAILED', retriable, cause });
  }
}

/** A command exists in the contract but is not built yet. */
export class NotImplementedError extends RollupsError {
  constructor(what: string) {
    super(`${what} is not built yet`, { code: 'NOT_IMPLEMENTED' });
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The schema registry answered, and refused: an incompatible schema (`SCHEMA_INCOMPATIBLE`, HTTP 409), a
 * schema it cannot parse (`SCHEMA_INVALID`, 422), an unknown subject, version or id (`SCHEMA_NOT_FOUND`,
 * 404), or any other client error (`REGISTRY_REJECTED`). Trying again unchanged does not help.
 */
export class SchemaRegistryError extends RollupsError {
  /** The HTTP status the registry answered with, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, code: string, status?: number, cause?: unknown) {
    super(message, { code, retriable: false, cause });
    this.status = status;
  }
}

/** A Kafka topic we were asked to use does not exist (the broker does not create topics on demand). */
export class TopicMissingError extends RollupsError {
  readonly topic: string;

  constructor(topic: string, message: string) {
    super(message, { code: 'TOPIC_MISSING' });
    this.topic = topic;
  }
}

/** Kafka did not take the events (or could not be reached); `retriable` follows what kafkajs knows. */
export class ProduceError extends RollupsError {
  constructor(message: string, retriable: boolean, cause?: unknown) {
    super(message, { code: 'PRODUCE_FAILED', retriable, cause });
  }
}
