/**
 * A small client for a Confluent-compatible schema registry (contract 4.3), as the producer side needs it.
 *
 * Registration goes through `@kafkajs/confluent-schema-registry` (its `register` also guards the subject's
 * compatibility level). The calls that library does not offer publicly are plain `fetch` against the
 * Confluent REST API: setting a subject's compatibility (`PUT /config/{subject}`), looking a schema up
 * with its version (`POST /subjects/{subject}`; the library's `getRegistryIdBySchema` returns the id
 * only and turns a 404 into an error without a status), the latest version with its text, a schema by id,
 * and the compatibility test (`POST /compatibility/subjects/{subject}/versions/latest`).
 *
 * Every failure is a {@link RollupsError}: the registry not answering (down, 5xx, timeout) is a retriable
 * {@link RegistryUnavailableError}; a refusal (409 incompatible, 422 invalid, 404 unknown, other 4xx) is a
 * non-retriable {@link SchemaRegistryError} carrying the registry's own message.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { RegistryUnavailableError, RollupsError, SchemaRegistryError, errorMessage } from '../errors.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const CLIENT_ID = 'analytics-rollups';

/** Compatibility levels of the Confluent API. */
export type CompatibilityLevel = `${COMPATIBILITY}`;

/** One version of a subject, as the registry reports it. */
export interface SubjectVersion {
  subject: string;
  /** The id carried in the wire format (with Apicurio's ccompat API: the content id). */
  id: number;
  version: number;
  /** The schema text as the registry returns it (may be reformatted). */
  schema: string;
}

/** What the registry answered to a compatibility test. */
export interface CompatibilityAnswer {
  compatible: boolean;
  /** The registry's reasons, when it gives any (Confluent with `verbose=true`; Apicurio gives none). */
  messages: string[];
}

export interface RegistryClientOptions {
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
  /** Attempts for a request the registry did not answer (network error, 5xx, 408, 429); default 3. */
  attempts?: number;
}

interface HttpAnswer {
  status: number;
  data: unknown;
}

export class RegistryClient {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  readonly url: string;
  private readonly lib: SchemaRegistry;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(url: string, opts: RegistryClientOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.lib = new SchemaRegistry({ host: this.url, clientId: CLIENT_ID });
  }

  /** `PUT /config/{subject}`: sets the subject's compatibility level (works before the subject exists). */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    const res = await this.request('PUT', `/config/${enc(subject)}`, { compatibility: level });
    if (!ok(res)) throw refused(res, `setting the compatibility of subject "${subject}"`);
  }

  /** `GET /config/{subject}`: the subject's own level, or undefined when it has none. */
  async getCompatibility(subject: string): Promise<string | undefined> {
    const res = await this.request('GET', `/config/${enc(subject)}`);
    if (res.status === 404) return undefined;
    if (!ok(res)) throw refused(res, `reading the compatibility of subject "${subject}"`);
    const level = field(res.data, 'compatibilityLevel') ?? field(res.data, 'compatibility');
    return typeof level === 'string' ? level : undefined;
  }

  /** `POST /subjects/{subject}`: the version of this subject that holds this schema, or undefined. */
  async lookup(subject: string, schemaText: string): Promise<SubjectVersion | undefined> {
    const res = await this.request('POST', `/subjects/${enc(subject)}`, { schema: schemaText });
    if (res.status === 404) return undefined;
    if (!ok(res)) throw refused(res, `looking up the schema under subject "${subject}"`);
    return subjectVersion(res.data, subject);
  }

  /** `GET /subjects/{subject}/versions/latest`, or undefined when the subject has no version. */
  async latest(subject: string): Promise<SubjectVersion | undefined> {
    const res = await this.request('GET', `/subjects/${enc(subject)}/versions/latest`);
    if (res.status === 404) return undefined;
    if (!ok(res)) throw refused(res, `reading the latest version of subject "${subject}"`);
    return subjectVersion(res.data, subject);
  }

  /** `GET /schemas/ids/{id}`: the schema text of an id. */
  async schemaById(id: number): Promise<string> {
    const res = await this.request('GET', `/schemas/ids/${id}`);
    if (!ok(res)) throw refused(res, `reading schema id ${id}`);
    const schema = field(res.data, 'schema');
    if (typeof schema !== 'string') throw unexpected(`reading schema id ${id}`);
    return schema;
  }

  /**
   * `POST /compatibility/subjects/{subject}/versions/latest?verbose=true`: whether the schema may follow the
   * latest version under the subject's compatibility level.
   */
  async testCompatibility(subject: string, schemaText: string): Promise<CompatibilityAnswer> {
    const res = await this.request('POST', `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`, {
      schema: schemaText,
    });
    if (!ok(res)) throw refused(res, `testing the compatibility of the schema with subject "${subject}"`);
    const compatible = field(res.data, 'is_compatible');
    if (typeof compatible !== 'boolean') throw unexpected(`testing compatibility with subject "${subject}"`);
    const raw = field(res.data, 'messages');
    const messages = Array.isArray(raw) ? raw.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))) : [];
    return { compatible, messages };
  }

  /**
   * Registers an Avro schema under a subject (through the library; BACKWARD is the level it expects the
   * subject to have, and sets on a subject's first registration) and returns its id.
   */
  async register(subject: string, schemaText: string): Promise<number> {
    try {
      const { id } = await this.lib.register(
        { type: SchemaType.AVRO, schema: schemaText },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      return id;
    } catch (err) {
      throw this.fromLibrary(err, `registering the schema under subject "${subject}"`);
    }
  }

  private async request(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    let last: unknown;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(200 * 2 ** (attempt - 1));
      try {
        const res = await fetch(`${this.url}${path}`, {
          method,
          headers: { 'Content-Type': CONTENT_TYPE, Accept: `${CONTENT_TYPE}, application/json` },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        let data: unknown = text;
        try {
          data = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        if (res.status >= 500 || res.status === 408 || res.status === 429) {
          last = new RegistryUnavailableError(
            `schema registry at ${this.url} answered HTTP ${res.status}${describe(data)} to ${method} ${path.split('?')[0]}`,
          );
          continue;
        }
        return { status: res.status, data };
      } catch (err) {
        last = new RegistryUnavailableError(`schema registry at ${this.url} did not answer: ${networkCause(err)}`, err);
      }
    }
    throw last;
  }

  /** Maps an error of the library (mappersmith `ResponseError` with `status`, or its own classes). */
  private fromLibrary(err: unknown, action: string): RollupsError {
    if (err instanceof RollupsError) return err;
    const message = errorMessage(err).replace(`${CLIENT_ID} - `, '');
    const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
    if (typeof status === 'number') {
      // mappersmith reports a failed connection as status 400 with the socket error as the message.
      if (status >= 500 || status === 408 || status === 429 || (status === 400 && NETWORK_HINT.test(message))) {
        return new RegistryUnavailableError(`schema registry at ${this.url} did not answer while ${action}: ${message}`, err);
      }
      return new SchemaRegistryError(`the registry refused ${action}: ${message} (HTTP ${status})`, codeFor(status), status, err);
    }
    const name = err instanceof Error ? err.name : '';
    if (name.startsWith('ConfluentSchemaRegistry')) {
      return new SchemaRegistryError(`${action} failed: ${message}`, 'REGISTRY_REJECTED', undefined, err);
    }
    return new RollupsError(`${action} failed: ${message}`, { code: 'REGISTRY_REQUEST_FAILED', cause: err });
  }
}

const NETWORK_HINT = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up|timeout/i;

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function ok(res: HttpAnswer): boolean {
  return res.status >= 200 && res.status < 300;
}

function field(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[name] : undefined;
}

function codeFor(status: number): string {
  if (status === 409) return 'SCHEMA_INCOMPATIBLE';
  if (status === 422) return 'SCHEMA_INVALID';
  if (status === 404) return 'SCHEMA_NOT_FOUND';
  return 'REGISTRY_REJECTED';
}

/** `: <message>` from a Confluent error body `{error_code, message}`, or from a text body. */
function describe(data: unknown): string {
  const message = field(data, 'message');
  if (typeof message === 'string' && message !== '') return `: ${message}`;
  if (typeof data === 'string' && data.trim() !== '') return `: ${data.trim().slice(0, 200)}`;
  return '';
}

function refused(res: HttpAnswer, action: string): SchemaRegistryError {
  const code = field(res.data, 'error_code');
  const codeText = typeof code === 'number' ? `, error_code ${code}` : '';
  return new SchemaRegistryError(
    `the registry refused ${action}${describe(res.data)} (HTTP ${res.status}${codeText})`,
    codeFor(res.status),
    res.status,
  );
}

function unexpected(action: string): SchemaRegistryError {
  return new SchemaRegistryError(`${action}: the registry's answer has an unexpected shape`, 'REGISTRY_REJECTED');
}

function subjectVersion(data: unknown, subject: string): SubjectVersion {
  const id = field(data, 'id');
  const version = field(data, 'version');
  const schema = field(data, 'schema');
  if (typeof id !== 'number' || typeof version !== 'number' || typeof schema !== 'string') {
    throw unexpected(`reading subject "${subject}"`);
  }
  const name = field(data, 'subject');
  return { subject: typeof name === 'string' ? name : subject, id, version, schema };
}

function networkCause(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer within the timeout';
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (cause instanceof Error) {
    // A refused dual-stack connection is an AggregateError with an empty message and a code.
    const code = (cause as Error & { code?: unknown }).code;
    return cause.message !== '' ? cause.message : typeof code === 'string' ? code : errorMessage(err);
  }
  return errorMessage(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
