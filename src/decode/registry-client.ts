import { RegistryUnavailableError, RollupsError } from '../errors.js';

/** The registry answered that it has no schema with this id: permanent for that message. */
export class UnknownSchemaError extends RollupsError {
  readonly schemaId: number;
  constructor(schemaId: number) {
    super(`schema id ${schemaId} is not in the registry`, { code: 'UNKNOWN_SCHEMA' });
    this.schemaId = schemaId;
  }
}

export interface SchemaSource {
  /** The writer schema's JSON text for a Confluent schema id. */
  schemaText(id: number): Promise<string>;
}

/**
 * A thin adapter over the Confluent-compatible REST API (`GET /schemas/ids/{id}`), the one call the
 * decode path needs. Kept apart from @kafkajs/confluent-schema-registry so that its two failure kinds stay
 * distinct: a 404 is the message's fault (dead letter), anything else is the registry's (pause, retry).
 */
export function createRegistrySource(baseUrl: string, opts: { timeoutMs?: number } = {}): SchemaSource {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    async schemaText(id: number): Promise<string> {
      let res: Response;
      try {
        res = await fetch(`${baseUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      } catch (err) {
        throw new RegistryUnavailableError(`schema registry did not answer (${(err as Error).name})`, err);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new UnknownSchemaError(id);
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new RegistryUnavailableError(`schema registry answered HTTP ${res.status} for schema id ${id}`);
      }
      const body = (await res.json()) as { schema?: unknown };
      if (typeof body.schema !== 'string') throw new RegistryUnavailableError(`schema registry answered without a schema for id ${id}`);
      return body.schema;
    },
  };
}
