/**
 * Schema governance of the events topic (contract 4.3): the value schema of topic `T` lives under the
 * subject `T-value` (TopicNameStrategy) with compatibility BACKWARD. `rollups schemas register` and
 * `rollups schemas check`, and the producer helper's first send, go through here.
 */
import avsc, { type Schema, type Type } from 'avsc';
import { eventSchemaText } from '../contract/avro.js';
import { RollupsError, SchemaRegistryError, errorMessage } from '../errors.js';
import type { RegistryClient } from './registry.js';

/** The compatibility level every events subject is kept at. */
export const SUBJECT_COMPATIBILITY = 'BACKWARD';

/** The value subject of a topic (TopicNameStrategy). */
export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

/**
 * Parses Avro schema text with avsc, so a broken file is reported here, in one line, rather than as
 * whatever the registry makes of it. `origin` names the text in the message (a file path).
 */
export function parseAvroSchema(text: string, origin: string): Type {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RollupsError(`${origin} is not valid JSON, so not an Avro schema`, { code: 'SCHEMA_INVALID' });
  }
  try {
    return avsc.Type.forSchema(json as Schema);
  } catch (err) {
    throw new RollupsError(`${origin} is not a valid Avro schema: ${errorMessage(err)}`, { code: 'SCHEMA_INVALID', cause: err });
  }
}

export interface RegisterResult {
  subject: string;
  /** The id the wire format carries for this schema. */
  id: number;
  version: number;
  compatibility: typeof SUBJECT_COMPATIBILITY;
  /** The subject already held this schema (the registry matches it canonically, not byte for byte). */
  alreadyRegistered: boolean;
}

/**
 * Sets the subject's compatibility to BACKWARD (`PUT /config/{subject}`), then registers the schema unless
 * the subject already holds it. A schema that is not BACKWARD compatible with the latest version is refused
 * by the registry: {@link SchemaRegistryError} with code `SCHEMA_INCOMPATIBLE` and the registry's message.
 */
export async function registerSchema(
  client: RegistryClient,
  subject: string,
  schemaText: string = eventSchemaText(),
  origin = 'the schema',
): Promise<RegisterResult> {
  parseAvroSchema(schemaText, origin);
  await client.setCompatibility(subject, SUBJECT_COMPATIBILITY);
  const before = await client.lookup(subject, schemaText);
  if (before !== undefined) {
    return { subject, id: before.id, version: before.version, compatibility: SUBJECT_COMPATIBILITY, alreadyRegistered: true };
  }
  const id = await client.register(subject, schemaText);
  const after = await client.lookup(subject, schemaText);
  if (after === undefined || after.id !== id) {
    throw new SchemaRegistryError(
      `registered the schema under subject "${subject}" as id ${id}, but the registry does not find it there again`,
      'REGISTRY_REJECTED',
    );
  }
  return { subject, id, version: after.version, compatibility: SUBJECT_COMPATIBILITY, alreadyRegistered: false };
}

export type CheckResult =
  | { subject: string; status: 'unregistered' }
  | {
      subject: string;
      status: 'compatible' | 'incompatible';
      /** The version the schema was checked against. */
      latest: { id: number; version: number };
      /** The registry's own reasons (Apicurio gives none). */
      messages: string[];
      /** avsc's reason, when the registry says incompatible: reading the latest version's data with the new schema fails. */
      localReasons: string[];
    };

/**
 * Asks the registry whether the schema may follow the latest version of the subject
 * (`POST /compatibility/subjects/{subject}/versions/latest`). A subject with no version is reported as
 * `unregistered` (anything may be registered first); Apicurio would answer "compatible" there, Confluent 404.
 */
export async function checkSchema(
  client: RegistryClient,
  subject: string,
  schemaText: string = eventSchemaText(),
  origin = 'the schema',
): Promise<CheckResult> {
  const type = parseAvroSchema(schemaText, origin);
  const latest = await client.latest(subject);
  if (latest === undefined) return { subject, status: 'unregistered' };
  const answer = await client.testCompatibility(subject, schemaText);
  const localReasons: string[] = [];
  if (!answer.compatible) {
    // BACKWARD: the new schema, as reader, must read what the latest version wrote.
    try {
      type.createResolver(avsc.Type.forSchema(JSON.parse(latest.schema) as Schema));
    } catch (err) {
      localReasons.push(errorMessage(err));
    }
  }
  return {
    subject,
    status: answer.compatible ? 'compatible' : 'incompatible',
    latest: { id: latest.id, version: latest.version },
    messages: answer.messages,
    localReasons,
  };
}
