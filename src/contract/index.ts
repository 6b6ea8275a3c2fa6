/** The event contract (contract section 4): catalog, validation, JSON form and Avro form. */
export * from './catalog.js';
export {
  validateEvent,
  toEpochMs,
  parseIsoWithOffset,
  isEventName,
  allowedFields,
  type ValidationResult,
  type Rejection,
} from './validate.js';
export { parseJsonLine, toJsonForm } from './json.js';
export {
  EVENT_SCHEMA_URL,
  EVENT_RECORD_NAME,
  CONTRACT_FIELD_NAMES,
  GATE_CHECK_FIELD_NAMES,
  loadEventSchema,
  eventSchemaText,
  getEventType,
  toAvroRecord,
  fromAvroRecord,
  extraWriterFields,
  extraWriterGateFields,
} from './avro.js';
export { kafkaKey } from './key.js';
