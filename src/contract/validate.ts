/**
 * Contract validation of one event (contract 4.1, 4.2, 4.4). This runs once per consumed event, so
 * everything that does not depend on the input is computed once, at module load: the per-event sets of
 * allowed fields, the per-field rules and every detail string that names only a field.
 *
 * Rules, in the order a reject reason is chosen when an event breaks several:
 *   1. `unknown_event`   `event` is a string that is not a catalog name;
 *   2. `unknown_field`   a key (top-level or inside a gate check) this event may not carry: the PII guard;
 *   3. `missing_field`   a required field is absent (null and undefined count as absent);
 *   4. `invalid_field`, `bad_timestamp`, `future_timestamp`   a present value of the wrong type or range.
 *
 * A reject `detail` names fields only. It never contains a value: an event that is rejected may be carrying
 * message text or PII, and the detail goes to logs and to dead-letter headers.
 */
import type { types as avscTypes } from 'avsc';
import { getEventType } from './avro.js';
import {
  COMMON_OPTIONAL,
  ENVELOPE_REQUIRED,
  EVENT_FIELDS,
  EVENT_NAMES,
  FIELD_TYPES,
  GATE_NAMES,
  MAX_FUTURE_MS,
  type AnalyticsEvent,
  type FieldName,
  type GateCheck,
  type RejectReason,
} from './catalog.js';

export type ValidationResult =
  | { ok: true; event: AnalyticsEvent }
  | { ok: false; reason: RejectReason; detail: string };

/** The rejected branch of {@link ValidationResult}. */
export type Rejection = Extract<ValidationResult, { ok: false }>;

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** The range of a JavaScript Date; beyond it an instant has no ISO form. */
const MAX_DATE_MS = 8.64e15;

// Field kinds (plain numbers rather than a const enum so every transpiler treats them alike).
const K_EVENT = 0;
const K_STRING = 1;
const K_ENUM = 2;
const K_LONG = 3;
const K_INT = 4;
const K_BOOLEAN = 5;
const K_TIMESTAMP = 6;
const K_GATES = 7;

interface FieldRule {
  readonly kind: number;
  /** Smallest allowed value of a long/int field. */
  readonly min: number;
  /** Largest allowed value of a long/int field. */
  readonly max: number;
  readonly enumSet: ReadonlySet<string> | undefined;
  /** Detail for a value of the wrong type or below `min` (or outside the enum). */
  readonly invalid: string;
  /** Detail for a long/int value above `max`. */
  readonly tooLarge: string;
}

function buildRule(name: string, type: string, enumValues: readonly string[] | undefined): FieldRule {
  const q = `field "${name}"`;
  switch (type) {
    case 'string': {
      if (name === 'event') {
        return rule(K_EVENT, 0, 0, undefined, `${q} must be a string naming a catalog event`, '');
      }
      if (enumValues !== undefined) {
        return rule(K_ENUM, 0, 0, new Set(enumValues), `${q} must be one of ${enumValues.join(', ')}`, '');
      }
      return rule(K_STRING, 0, 0, undefined, `${q} must be a non-empty string`, '');
    }
    case 'long':
    case 'int': {
      const isInt = type === 'int';
      const min = name === 'attempt' ? 1 : name.endsWith('_ms') ? 0 : isInt ? INT32_MIN : Number.MIN_SAFE_INTEGER;
      const max = isInt ? INT32_MAX : Number.MAX_SAFE_INTEGER;
      const bound = min === 1 || min === 0 ? ` >= ${min}` : '';
      return rule(isInt ? K_INT : K_LONG, min, max, undefined, `${q} must be an integer${bound}`, `${q} must be an integer <= ${max}`);
    }
    case 'boolean':
      return rule(K_BOOLEAN, 0, 0, undefined, `${q} must be a boolean`, '');
    case 'timestamp':
      return rule(K_TIMESTAMP, 0, 0, undefined, TIMESTAMP_BAD, '');
    case 'gates':
      return rule(K_GATES, 0, 0, undefined, `${q} must be a non-empty array of gate checks`, '');
    default:
      throw new Error(`catalog field "${name}" has a type the validator does not know: ${type}`);
  }
}

function rule(kind: number, min: number, max: number, enumSet: ReadonlySet<string> | undefined, invalid: string, tooLarge: string): FieldRule {
  return { kind, min, max, enumSet, invalid, tooLarge };
}

const TIMESTAMP_BAD =
  'field "timestamp" must be epoch milliseconds (an integer) or an ISO-8601 date-time with an explicit offset or Z';
const TIMESTAMP_FUTURE = `field "timestamp" is more than ${MAX_FUTURE_MS / 86_400_000} days ahead of the clock`;

/** Every top-level field name of the contract. */
const CONTRACT_FIELDS: ReadonlySet<string> = new Set(Object.keys(FIELD_TYPES));

const RULES = new Map<string, FieldRule>();
for (const name of Object.keys(FIELD_TYPES) as FieldName[]) {
  const spec = FIELD_TYPES[name];
  RULES.set(name, buildRule(name, spec.type, spec.enum));
}

const GATE_KEYS_LIST: readonly string[] = ['gate', 'passed', 'score', 'word_count', 'claims', 'banned_phrases'];

interface EventSpec {
  /** Every key this event may carry. */
  readonly allowed: ReadonlySet<string>;
  /** `allowed` by position in {@link RECORD_KEYS} (the contract schema's fields, in schema order). */
  readonly allowedAt: readonly boolean[];
  /** Every key this event must carry (envelope first). */
  readonly required: readonly string[];
  readonly missing: readonly string[];
}

/**
 * The decoder hands the validator avsc's records as they are. A record read with the contract's own schema
 * (the usual case) is an instance of avsc's generated class for that schema, whose constructor assigns
 * every field of the schema, in schema order: its keys are known without `Object.keys`, and their rules
 * and allowed flags can be looked up by position. Anything else (a plain object, a record of a writer
 * schema with fields outside the contract) takes the general path over its own keys.
 */
const RECORD_TYPE = getEventType() as avscTypes.RecordType;
const RECORD_CTOR: unknown = RECORD_TYPE.recordConstructor;
const RECORD_KEYS: readonly string[] = RECORD_TYPE.fields.map((f) => f.name);
const RECORD_RULES: readonly FieldRule[] = RECORD_KEYS.map((k) => {
  const r = RULES.get(k);
  if (r === undefined) throw new Error(`schema field "${k}" has no contract rule`);
  return r;
});
const GATE_TYPE = (RECORD_TYPE.field('gates')!.type as unknown as { types: Array<{ typeName: string; itemsType?: avscTypes.RecordType }> }).types.find((t) => t.typeName === 'array')!.itemsType!;
const GATE_CTOR: unknown = GATE_TYPE.recordConstructor;
for (const f of GATE_TYPE.fields) if (!GATE_KEYS_LIST.includes(f.name)) throw new Error(`gate check field "${f.name}" is not in the contract`);

function eventSpec(allowed: Iterable<string>, required: readonly string[]): EventSpec {
  const set = new Set(allowed);
  return { allowed: set, allowedAt: RECORD_KEYS.map((k) => set.has(k)), required, missing: required.map((f) => `field "${f}" is required`) };
}

const SPECS = new Map<string, EventSpec>();
for (const name of EVENT_NAMES) {
  const own = EVENT_FIELDS[name];
  const ownRequired = own?.required ?? [];
  const ownOptional = own?.optional ?? [];
  SPECS.set(
    name,
    eventSpec([...ENVELOPE_REQUIRED, ...COMMON_OPTIONAL, ...ownRequired, ...ownOptional], [...ENVELOPE_REQUIRED, ...ownRequired]),
  );
}
/** Used when `event` is absent or not a string: nothing beyond the contract, the envelope required. */
const ANY_EVENT_SPEC = eventSpec(CONTRACT_FIELDS, [...ENVELOPE_REQUIRED]);

const GATE_KEYS: ReadonlySet<string> = new Set(GATE_KEYS_LIST);
const GATE_NAME_SET: ReadonlySet<string> = new Set(GATE_NAMES);
const GATE_NAME_LIST = GATE_NAMES.join(', ');

const UNKNOWN_EVENT = 'field "event" is not a catalog event name';
const NOT_AN_OBJECT = 'the event must be an object';

function reject(reason: RejectReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

/**
 * Whether a key is safe to print in a detail. Key names come from the input too: one that is not a plain
 * identifier (an e-mail address used as a key, a sentence) is withheld.
 */
function isPrintableName(key: string): boolean {
  if (key.length === 0 || key.length > 64) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || // a-z
      (c >= 65 && c <= 90) || // A-Z
      (c >= 48 && c <= 57) || // 0-9
      c === 95 || // _
      c === 46 || // .
      c === 45; // -
    if (!ok) return false;
  }
  return true;
}

function unknownFieldDetail(key: string, path: string): string {
  if (!isPrintableName(key)) return `a field${path === '' ? '' : ` of "${path}"`} whose name is withheld is not in the contract`;
  const q = path === '' ? `field "${key}"` : `field "${path}.${key}"`;
  if (path === '' && CONTRACT_FIELDS.has(key)) return `${q} is not allowed on this event type`;
  return `${q} is not in the contract`;
}

/** `validateEvent`: see the module comment. `nowMs` is the clock the future-timestamp rule compares to. */
export function validateEvent(raw: Record<string, unknown>, nowMs: number): ValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return reject('invalid_field', NOT_AN_OBJECT);

  const name = raw['event'];
  let spec = ANY_EVENT_SPEC;
  if (typeof name === 'string') {
    const found = SPECS.get(name);
    if (found === undefined) return reject('unknown_event', UNKNOWN_EVENT);
    spec = found;
  }

  const out: Record<string, unknown> = {};
  // The first invalid value, and the first missing key inside a gate check; both lose to an unknown key
  // found later in the scan, so the scan goes on after them.
  let invalid: Rejection | undefined;
  let gateMissing: Rejection | undefined;

  if (raw.constructor === RECORD_CTOR) return validateRecord(raw, spec, nowMs);

  const keys = Object.keys(raw);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = raw[key];
    if (value === null || value === undefined) continue;
    if (!spec.allowed.has(key)) return reject('unknown_field', unknownFieldDetail(key, ''));
    const r = RULES.get(key)!;

    if (r.kind === K_GATES) {
      const g = checkGates(value);
      if (g.ok) {
        out[key] = g.gates;
      } else if (g.reason === 'unknown_field') {
        return g;
      } else if (g.reason === 'missing_field') {
        gateMissing ??= g;
      } else {
        invalid ??= g;
      }
      continue;
    }
    if (invalid !== undefined) continue; // already rejected; only looking for unknown keys now

    switch (r.kind) {
      case K_EVENT:
        // A string here is a catalog name (checked above).
        if (typeof value === 'string') out[key] = value;
        else invalid = reject('invalid_field', r.invalid);
        break;
      case K_STRING:
        if (typeof value === 'string' && value.length > 0) out[key] = value;
        else invalid = reject('invalid_field', r.invalid);
        break;
      case K_ENUM:
        if (typeof value === 'string' && r.enumSet!.has(value)) out[key] = value;
        else invalid = reject('invalid_field', r.invalid);
        break;
      case K_LONG:
      case K_INT:
        if (typeof value !== 'number' || !Number.isInteger(value) || value < r.min) {
          invalid = reject('invalid_field', r.invalid);
        } else if (value > r.max) {
          invalid = reject('invalid_field', r.tooLarge);
        } else {
          out[key] = value;
        }
        break;
      case K_BOOLEAN:
        if (typeof value === 'boolean') out[key] = value;
        else invalid = reject('invalid_field', r.invalid);
        break;
      case K_TIMESTAMP: {
        const ms = toEpochMs(value);
        if (Number.isNaN(ms)) invalid = reject('bad_timestamp', TIMESTAMP_BAD);
        else if (ms - nowMs > MAX_FUTURE_MS) invalid = reject('future_timestamp', TIMESTAMP_FUTURE);
        else out[key] = ms;
        break;
      }
    }
  }

  return finish(raw, spec, out, invalid, gateMissing);
}

/** The end of both paths: missing required keys, then the first gate-check problem, then the first invalid value. */
function finish(raw: Record<string, unknown>, spec: EventSpec, out: Record<string, unknown>, invalid: Rejection | undefined, gateMissing: Rejection | undefined): ValidationResult {
  const required = spec.required;
  for (let i = 0; i < required.length; i++) {
    const value = raw[required[i]!];
    if (value === null || value === undefined) return reject('missing_field', spec.missing[i]!);
  }
  if (gateMissing !== undefined) return gateMissing;
  if (invalid !== undefined) return invalid;
  return { ok: true, event: out as unknown as AnalyticsEvent };
}

/**
 * The scan of `validateEvent` specialised, once, to the contract schema's avsc record: the same checks in
 * the same order (the record's keys are the schema's fields, in schema order), with each field read and
 * written by name instead of through `Object.keys` and computed keys, and its rule and allowed flag
 * looked up by position. Equivalence with the general path is a unit test.
 */
type RecordValidator = (raw: Record<string, unknown>, spec: EventSpec, nowMs: number) => ValidationResult;

function compileRecordValidator(): RecordValidator {
  const lines: string[] = ['"use strict";', 'return function validateRecord(raw, spec, nowMs) {', '  const allowed = spec.allowedAt;', '  const out = {};', '  let invalid, gateMissing, v;'];
  for (let i = 0; i < RECORD_KEYS.length; i++) {
    const key = RECORD_KEYS[i]!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`schema field "${key}" is not an identifier`);
    const r = RECORD_RULES[i]!;
    lines.push(`  v = raw.${key};`, '  if (v !== null && v !== undefined) {', `    if (!allowed[${i}]) return unknown(${i});`);
    let check: string;
    switch (r.kind) {
      case K_GATES:
        lines.push(
          '    const g = checkGates(v);',
          `    if (g.ok) out.${key} = g.gates;`,
          "    else if (g.reason === 'unknown_field') return g;",
          "    else if (g.reason === 'missing_field') { if (gateMissing === undefined) gateMissing = g; }",
          '    else if (invalid === undefined) invalid = g;',
          '  }',
        );
        continue;
      case K_EVENT:
        check = `if (typeof v === 'string') out.${key} = v; else invalid = bad(${i});`;
        break;
      case K_STRING:
        check = `if (typeof v === 'string' && v.length > 0) out.${key} = v; else invalid = bad(${i});`;
        break;
      case K_ENUM:
        check = `if (typeof v === 'string' && R[${i}].enumSet.has(v)) out.${key} = v; else invalid = bad(${i});`;
        break;
      case K_LONG:
      case K_INT:
        check = `if (typeof v !== 'number' || !Number.isInteger(v) || v < ${r.min}) invalid = bad(${i}); else if (v > ${r.max}) invalid = tooLarge(${i}); else out.${key} = v;`;
        break;
      case K_BOOLEAN:
        check = `if (typeof v === 'boolean') out.${key} = v; else invalid = bad(${i});`;
        break;
      case K_TIMESTAMP:
        check = `const ms = toEpochMs(v); if (Number.isNaN(ms)) invalid = badTimestamp(); else if (ms - nowMs > ${MAX_FUTURE_MS}) invalid = futureTimestamp(); else out.${key} = ms;`;
        break;
      default:
        throw new Error(`no compiled check for rule kind ${r.kind}`);
    }
    lines.push(`    if (invalid === undefined) { ${check} }`, '  }');
  }
  lines.push('  return finish(raw, spec, out, invalid, gateMissing);', '};');
  const R = RECORD_RULES;
  const make = new Function('R', 'unknown', 'bad', 'tooLarge', 'badTimestamp', 'futureTimestamp', 'checkGates', 'toEpochMs', 'finish', lines.join('\n')) as (...deps: unknown[]) => RecordValidator;
  return make(
    R,
    (i: number) => reject('unknown_field', unknownFieldDetail(RECORD_KEYS[i]!, '')),
    (i: number) => reject('invalid_field', R[i]!.invalid),
    (i: number) => reject('invalid_field', R[i]!.tooLarge),
    () => reject('bad_timestamp', TIMESTAMP_BAD),
    () => reject('future_timestamp', TIMESTAMP_FUTURE),
    checkGates,
    toEpochMs,
    finish,
  );
}

let compiledRecordValidator: RecordValidator | undefined;
function validateRecord(raw: Record<string, unknown>, spec: EventSpec, nowMs: number): ValidationResult {
  compiledRecordValidator ??= compileRecordValidator();
  return compiledRecordValidator(raw, spec, nowMs);
}

const NO_KEYS: readonly string[] = [];

type GatesResult = { ok: true; gates: GateCheck[] } | Rejection;

/**
 * Checks the `gates` array and copies it, leaving absent optional keys out. Returns the highest-priority
 * problem: an unknown key anywhere, else the first missing key, else the first invalid value.
 */
function checkGates(value: unknown): GatesResult {
  if (!Array.isArray(value) || value.length === 0) return reject('invalid_field', RULES.get('gates')!.invalid);
  const gates: GateCheck[] = new Array<GateCheck>(value.length);
  let missing: Rejection | undefined;
  let invalid: Rejection | undefined;

  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      invalid ??= reject('invalid_field', `field "gates[${i}]" must be an object`);
      continue;
    }
    const check = item as Record<string, unknown>;
    // A gate check record of the contract's schema has exactly the contract's keys.
    const keys = check.constructor === GATE_CTOR ? NO_KEYS : Object.keys(check);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const v = check[key];
      if (v !== null && v !== undefined && !GATE_KEYS.has(key)) {
        return reject('unknown_field', unknownFieldDetail(key, `gates[${i}]`));
      }
    }
    if (missing !== undefined) continue; // only looking for unknown keys now

    const gate = check['gate'];
    const passed = check['passed'];
    if (gate === null || gate === undefined) {
      missing = reject('missing_field', `field "gates[${i}].gate" is required`);
      continue;
    }
    if (passed === null || passed === undefined) {
      missing = reject('missing_field', `field "gates[${i}].passed" is required`);
      continue;
    }
    if (invalid !== undefined) continue; // only looking for unknown and missing keys now
    if (typeof gate !== 'string' || !GATE_NAME_SET.has(gate)) {
      invalid = reject('invalid_field', `field "gates[${i}].gate" must be one of ${GATE_NAME_LIST}`);
      continue;
    }
    if (typeof passed !== 'boolean') {
      invalid = reject('invalid_field', `field "gates[${i}].passed" must be a boolean`);
      continue;
    }
    const out: GateCheck = { gate: gate as GateCheck['gate'], passed };

    const score = check['score'];
    if (score !== null && score !== undefined) {
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        invalid = reject('invalid_field', `field "gates[${i}].score" must be a finite number`);
        continue;
      }
      out.score = score;
    }
    const wordCount = check['word_count'];
    if (wordCount !== null && wordCount !== undefined) {
      if (typeof wordCount !== 'number' || !Number.isInteger(wordCount) || wordCount < 0) {
        invalid = reject('invalid_field', `field "gates[${i}].word_count" must be an integer >= 0`);
        continue;
      }
      if (wordCount > INT32_MAX) {
        invalid = reject('invalid_field', `field "gates[${i}].word_count" must be an integer <= ${INT32_MAX}`);
        continue;
      }
      out.word_count = wordCount;
    }
    const claims = check['claims'];
    if (claims !== null && claims !== undefined) {
      const copy = copyStringArray(claims);
      if (copy === undefined) {
        invalid = reject('invalid_field', `field "gates[${i}].claims" must be an array of non-empty strings`);
        continue;
      }
      out.claims = copy;
    }
    const banned = check['banned_phrases'];
    if (banned !== null && banned !== undefined) {
      const copy = copyStringArray(banned);
      if (copy === undefined) {
        invalid = reject('invalid_field', `field "gates[${i}].banned_phrases" must be an array of non-empty strings`);
        continue;
      }
      out.banned_phrases = copy;
    }
    gates[i] = out;
  }

  if (missing !== undefined) return missing;
  if (invalid !== undefined) return invalid;
  return { ok: true, gates };
}

/** A copy of an array of non-empty strings, or undefined when the value is anything else. */
function copyStringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const copy = new Array<string>(value.length);
  for (let i = 0; i < value.length; i++) {
    const s: unknown = value[i];
    if (typeof s !== 'string' || s.length === 0) return undefined;
    copy[i] = s;
  }
  return copy;
}

/**
 * ISO-8601 extended date-time with a mandatory offset: `YYYY-MM-DDThh:mm[:ss[.fff…]]` then `Z` or
 * `±hh:mm` / `±hhmm` / `±hh`. A comma is accepted as the decimal sign, as ISO-8601 allows.
 */
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Event time in epoch milliseconds, or NaN when the value is not a usable timestamp. */
export function toEpochMs(value: unknown): number {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= -MAX_DATE_MS && value <= MAX_DATE_MS ? value : NaN;
  }
  if (typeof value === 'string') return parseIsoWithOffset(value);
  if (value instanceof Date) return value.getTime();
  return NaN;
}

/** Epoch milliseconds of an ISO-8601 date-time that carries `Z` or an explicit offset; NaN otherwise. */
export function parseIsoWithOffset(s: string): number {
  if (s.length > 48) return NaN;
  const m = ISO_RE.exec(s);
  if (m === null) return NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number((m[7] + '00').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const leap = month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return NaN;

  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = m[10] === undefined ? 0 : Number(m[10]);
    if (oh > 23 || om > 59) return NaN;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  let t = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (year < 100) {
    // Date.UTC maps years 0-99 to 1900-1999.
    const d = new Date(t);
    d.setUTCFullYear(year);
    t = d.getTime();
  }
  return t - offsetMinutes * 60_000;
}

/** Whether a string is a catalog event name. */
export function isEventName(name: string): name is AnalyticsEvent['event'] {
  return SPECS.has(name);
}

/** The keys an event of this catalog type may carry (envelope, common optional, its own fields). */
export function allowedFields(name: AnalyticsEvent['event']): ReadonlySet<string> {
  return SPECS.get(name)!.allowed;
}
