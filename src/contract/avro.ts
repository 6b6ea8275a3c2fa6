/**
 * The Avro side of the contract (contract 4.3): the one value schema of the topic, and the mapping between
 * a valid event and the record avsc encodes or decodes.
 *
 * avsc is a CommonJS package: from ESM only its default export is reliable at run time, so it is imported
 * as `avsc` and used as `avsc.Type`.
 */
import { readFileSync } from 'node:fs';
import avsc, { type Schema, type Type } from 'avsc';
import { FIELD_TYPES, type AnalyticsEvent, type FieldName } from './catalog.js';

/** Where the schema lives: `avro/` at the package root, from `src/contract/` and from `dist/contract/`. */
export const EVENT_SCHEMA_URL = new URL('../../avro/analytics-event.avsc', import.meta.url);

/** Full name of the envelope record. */
export const EVENT_RECORD_NAME = 'ai.support.analytics.AnalyticsEvent';

/** Every top-level field name of the contract (and of the schema). */
export const CONTRACT_FIELD_NAMES: ReadonlySet<string> = new Set(Object.keys(FIELD_TYPES));

/** The field names of the `GateCheck` record. */
export const GATE_CHECK_FIELD_NAMES: ReadonlySet<string> = new Set([
  'gate', 'passed', 'score', 'word_count', 'claims', 'banned_phrases',
]);

const RECORD_FIELDS = Object.keys(FIELD_TYPES) as FieldName[];

let schemaText: string | undefined;
let eventType: Type | undefined;

/** The schema of `avro/analytics-event.avsc`, parsed; a fresh object on every call (callers may mutate it). */
export function loadEventSchema(): Schema {
  schemaText ??= readFileSync(EVENT_SCHEMA_URL, 'utf8');
  return JSON.parse(schemaText) as Schema;
}

/** The schema's text exactly as in the file: what is registered with the registry. */
export function eventSchemaText(): string {
  schemaText ??= readFileSync(EVENT_SCHEMA_URL, 'utf8');
  return schemaText;
}

/** The avsc type of the schema, built once. */
export function getEventType(): Type {
  eventType ??= avsc.Type.forSchema(loadEventSchema());
  return eventType;
}

/**
 * The record avsc encodes for a valid event: every field of the schema present, absent optional ones as
 * null (avsc requires each field of a record, and a union value of null for "absent").
 */
export function toAvroRecord(event: AnalyticsEvent): Record<string, unknown> {
  const src = event as unknown as Record<string, unknown>;
  const rec: Record<string, unknown> = {};
  for (let i = 0; i < RECORD_FIELDS.length; i++) {
    const name = RECORD_FIELDS[i]!;
    const value = src[name];
    rec[name] = value === undefined ? null : value;
  }
  if (event.gates !== undefined) {
    const gates = new Array<Record<string, unknown>>(event.gates.length);
    for (let i = 0; i < event.gates.length; i++) {
      const g = event.gates[i]!;
      gates[i] = {
        gate: g.gate,
        passed: g.passed,
        score: g.score ?? null,
        word_count: g.word_count ?? null,
        claims: g.claims ?? null,
        banned_phrases: g.banned_phrases ?? null,
      };
    }
    rec['gates'] = gates;
  }
  return rec;
}

/**
 * The raw object `validateEvent` expects, from a record avsc decoded (with this schema, or with a newer
 * writer's schema): null fields are dropped, inside gate checks too; keys the contract does not know are
 * kept, so the PII guard of the validator sees them and rejects the event.
 */
export function fromAvroRecord(rec: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const keys = Object.keys(rec);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = rec[key];
    if (value === null || value === undefined) continue;
    raw[key] = key === 'gates' && Array.isArray(value) ? gatesFromAvro(value) : value;
  }
  return raw;
}

function gatesFromAvro(gates: unknown[]): unknown[] {
  const out = new Array<unknown>(gates.length);
  for (let i = 0; i < gates.length; i++) {
    const g: unknown = gates[i];
    if (typeof g !== 'object' || g === null || Array.isArray(g)) {
      out[i] = g;
      continue;
    }
    const check = g as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    const keys = Object.keys(check);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const value = check[key];
      if (value !== null && value !== undefined) copy[key] = value;
    }
    out[i] = copy;
  }
  return out;
}

/**
 * Top-level field names of a writer schema that are not in the contract: a producer with a newer schema
 * may write fields this worker does not know, and the decoder's PII guard must not let them through
 * unseen (reading with the contract's schema as reader would silently drop them). `writerSchema` is the
 * schema text as the registry returns it, a parsed schema, or an avsc Type. Anything that is not a record
 * schema has no fields, hence none outside the contract.
 */
export function extraWriterFields(writerSchema: string | object): string[] {
  return extraNames(recordFields(writerSchema), CONTRACT_FIELD_NAMES);
}

/**
 * Field names of the writer schema's `GateCheck` record (the items of `gates`) that are not in the
 * contract, as `gates.<name>`. Complements {@link extraWriterFields}, which looks at the top level only.
 */
export function extraWriterGateFields(writerSchema: string | object): string[] {
  const gatesField = recordFields(writerSchema).find((f) => f.name === 'gates');
  if (gatesField === undefined) return [];
  const item = arrayItems(gatesField.type);
  if (item === undefined) return [];
  return extraNames(recordFields(item), GATE_CHECK_FIELD_NAMES).map((n) => `gates.${n}`);
}

interface SchemaField {
  name: string;
  type: unknown;
}

function extraNames(fields: SchemaField[], known: ReadonlySet<string>): string[] {
  const extra: string[] = [];
  for (const f of fields) if (!known.has(f.name)) extra.push(f.name);
  return extra;
}

function recordFields(schema: unknown): SchemaField[] {
  let s: unknown = schema;
  if (typeof s === 'string') s = JSON.parse(s);
  if (avsc.Type.isType(s)) s = (s as Type).schema();
  if (typeof s !== 'object' || s === null) return [];
  const fields = (s as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return [];
  const out: SchemaField[] = [];
  for (const f of fields) {
    if (typeof f === 'object' && f !== null && typeof (f as { name?: unknown }).name === 'string') {
      out.push({ name: (f as { name: string }).name, type: (f as { type?: unknown }).type });
    }
  }
  return out;
}

/** The item schema of an array type, looking through a `["null", {type: array}]` union. */
function arrayItems(type: unknown): unknown {
  if (Array.isArray(type)) {
    for (const branch of type) {
      const items = arrayItems(branch);
      if (items !== undefined) return items;
    }
    return undefined;
  }
  if (typeof type === 'object' && type !== null && (type as { type?: unknown }).type === 'array') {
    return (type as { items?: unknown }).items;
  }
  return undefined;
}
