import avsc, { type Type } from 'avsc';
import { extraWriterFields, extraWriterGateFields, getEventType } from '../contract/avro.js';
import type { RejectReason } from '../contract/catalog.js';
import { UnknownSchemaError, type SchemaSource } from './registry-client.js';
import { HEADER_LENGTH, asBuffer, schemaIdOf } from '../contract/wire.js';

export type DecodeResult =
  | { ok: true; raw: Record<string, unknown>; schemaId: number }
  | { ok: false; reason: RejectReason; detail: string };

/** What one writer schema id compiles to, once. */
type Compiled =
  | { kind: 'reader'; type: Type; resolver: avsc.Resolver | undefined }
  | { kind: 'unknown' };

const UNKNOWN_TTL_MS = 60_000;

/**
 * Turns Confluent-framed Avro into the raw object the validator checks. Schemas are fetched by id once
 * and compiled once: a writer schema that only holds contract fields is read through an avsc resolver
 * into the worker's reader schema (so older and newer writers both decode); one that carries fields
 * outside the contract is read with the writer schema itself, so the PII guard sees those fields and
 * rejects the event instead of the resolver silently dropping them.
 *
 * `prepare()` is the only async part and runs once per batch for the ids the batch needs; `decode()` is
 * synchronous, so the per-message path allocates no promise.
 */
export class Decoder {
  private readonly compiled = new Map<number, Compiled>();
  private readonly unknownUntil = new Map<number, number>();
  private readonly reader: Type;

  constructor(
    private readonly source: SchemaSource,
    private readonly now: () => number = Date.now,
  ) {
    this.reader = getEventType();
  }

  /** Fetches and compiles every schema id the buffers need that is not cached. Throws only retriable registry errors. */
  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    const missing = new Set<number>();
    const now = this.now();
    let last = -1;
    for (const v of values) {
      const id = v === null ? undefined : schemaIdOf(v);
      // A batch is mostly one schema id: check each run of the same id once.
      if (id === undefined || id === last) continue;
      last = id;
      const c = this.compiled.get(id);
      if (c === undefined || (c.kind === 'unknown' && (this.unknownUntil.get(id) ?? 0) <= now)) missing.add(id);
    }
    for (const id of missing) await this.load(id);
  }

  private async load(id: number): Promise<void> {
    let text: string;
    try {
      text = await this.source.schemaText(id);
    } catch (err) {
      if (err instanceof UnknownSchemaError) {
        this.compiled.set(id, { kind: 'unknown' });
        // A producer may register the schema a moment after producing: forget the miss after a while.
        this.unknownUntil.set(id, this.now() + UNKNOWN_TTL_MS);
        return;
      }
      throw err;
    }
    this.unknownUntil.delete(id);
    this.compiled.set(id, this.compile(text));
  }

  private compile(text: string): Compiled {
    let writer: Type;
    try {
      writer = avsc.Type.forSchema(JSON.parse(text) as avsc.Schema);
    } catch {
      return { kind: 'unknown' };
    }
    if (extraWriterFields(writer).length > 0 || extraWriterGateFields(writer).length > 0) {
      return { kind: 'reader', type: writer, resolver: undefined };
    }
    let resolver: avsc.Resolver;
    try {
      resolver = this.reader.createResolver(writer);
    } catch {
      // Not resolvable into the contract's schema (e.g. a field changed type): read with the writer
      // schema and let validation say which field is wrong.
      return { kind: 'reader', type: writer, resolver: undefined };
    }
    return { kind: 'reader', type: this.reader, resolver };
  }

  decode(value: Buffer | null): DecodeResult {
    const schemaId = value === null ? undefined : schemaIdOf(value);
    if (value === null || schemaId === undefined) return { ok: false, reason: 'not_avro', detail: 'value is not in the Confluent wire format (magic byte 0 + schema id)' };
    const c = this.compiled.get(schemaId);
    if (c === undefined) throw new Error(`schema id ${schemaId} was not prepared`);
    if (c.kind === 'unknown') return { ok: false, reason: 'unknown_schema', detail: `schema id ${schemaId} is not in the registry` };
    let rec: unknown;
    try {
      const buf = asBuffer(value);
      // The body is read in place after the 5-byte header (no slice of it per message). Like
      // `fromBuffer`, a truncated body (offset -1) or bytes after the record are a decode error.
      const r = c.type.decode(buf, HEADER_LENGTH, c.resolver);
      if (r.offset !== buf.length) throw new Error('truncated or trailing data');
      rec = r.value;
    } catch {
      return { ok: false, reason: 'decode_error', detail: `Avro body does not decode with schema id ${schemaId}` };
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      return { ok: false, reason: 'decode_error', detail: `schema id ${schemaId} is not a record schema` };
    }
    // avsc's record goes to the validator as it is: `validateEvent` treats null as absent (top level and
    // inside gate checks) and builds its own null-free output, so a null-free copy here would be a third
    // object tree per event for nothing.
    return { ok: true, raw: rec as Record<string, unknown>, schemaId };
  }
}
