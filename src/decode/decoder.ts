import avsc, { type Type } from 'avsc';
import { extraWriterFields, extraWriterGateFields, fromAvroRecord, getEventType } from '../contract/avro.js';
import type { RejectReason } from '../contract/catalog.js';
import { UnknownSchemaError, type SchemaSource } from './registry-client.js';
import { unframe } from '../contract/wire.js';

export type DecodeResult =
  | { ok: true; raw: Record<string, unknown>; schemaId: number }
  | { ok: false; reason: RejectReason; detail: string };

/** What one writer schema id compiles to, once. */
type Compiled =
  | { kind: 'reader'; read: (body: Buffer) => unknown }
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
    for (const v of values) {
      const f = v === null ? undefined : unframe(v);
      if (f === undefined) continue;
      const c = this.compiled.get(f.schemaId);
      if (c === undefined || (c.kind === 'unknown' && (this.unknownUntil.get(f.schemaId) ?? 0) <= now)) missing.add(f.schemaId);
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
      return { kind: 'reader', read: (body) => writer.fromBuffer(body) };
    }
    let resolver: avsc.Resolver;
    try {
      resolver = this.reader.createResolver(writer);
    } catch {
      // Not resolvable into the contract's schema (e.g. a field changed type): read with the writer
      // schema and let validation say which field is wrong.
      return { kind: 'reader', read: (body) => writer.fromBuffer(body) };
    }
    const reader = this.reader;
    return { kind: 'reader', read: (body) => reader.fromBuffer(body, resolver) };
  }

  decode(value: Buffer | null): DecodeResult {
    const f = value === null ? undefined : unframe(value);
    if (f === undefined) return { ok: false, reason: 'not_avro', detail: 'value is not in the Confluent wire format (magic byte 0 + schema id)' };
    const c = this.compiled.get(f.schemaId);
    if (c === undefined) throw new Error(`schema id ${f.schemaId} was not prepared`);
    if (c.kind === 'unknown') return { ok: false, reason: 'unknown_schema', detail: `schema id ${f.schemaId} is not in the registry` };
    let rec: unknown;
    try {
      rec = c.read(f.body);
    } catch {
      return { ok: false, reason: 'decode_error', detail: `Avro body does not decode with schema id ${f.schemaId}` };
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      return { ok: false, reason: 'decode_error', detail: `schema id ${f.schemaId} is not a record schema` };
    }
    return { ok: true, raw: fromAvroRecord(rec as Record<string, unknown>), schemaId: f.schemaId };
  }
}
