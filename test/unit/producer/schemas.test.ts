import { describe, expect, it } from 'vitest';
import { eventSchemaText, getEventType } from '../../../src/contract/avro.js';
import { RollupsError } from '../../../src/errors.js';
import { parseAvroSchema, subjectFor } from '../../../src/producer/schemas.js';

describe('schema helpers', () => {
  it('names the value subject after the topic (TopicNameStrategy)', () => {
    expect(subjectFor('analytics-events')).toBe('analytics-events-value');
  });

  it('parses the repository schema', () => {
    expect(parseAvroSchema(eventSchemaText(), 'avro/analytics-event.avsc').equals(getEventType())).toBe(true);
  });

  it('reports a broken schema file in one line naming the file', () => {
    const notJson = (() => {
      try {
        parseAvroSchema('{"type": "record"', 'v2.avsc');
      } catch (e) {
        return e;
      }
    })();
    expect(notJson).toBeInstanceOf(RollupsError);
    expect((notJson as RollupsError).code).toBe('SCHEMA_INVALID');
    expect((notJson as RollupsError).message).toBe('v2.avsc is not valid JSON, so not an Avro schema');
    expect(() => parseAvroSchema('{"type": "nope"}', 'v3.avsc')).toThrow(/^v3\.avsc is not a valid Avro schema: /);
  });
});
