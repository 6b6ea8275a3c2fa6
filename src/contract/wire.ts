/**
 * The Confluent wire format of a Kafka value (contract 4.3): magic byte 0, the schema id as a 4-byte
 * big-endian unsigned integer, then the Avro body.
 */

export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

/** Frames an Avro body with its schema id. */
export function frame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new RangeError(`schema id ${schemaId} does not fit the wire format's 4 unsigned bytes`);
  }
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(schemaId, 1);
  out.set(body, HEADER_LENGTH);
  return out;
}

/** A Buffer view of the same bytes (no copy). */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
}

/**
 * The schema id of a framed value without slicing out its body (the decoder's per-message path), or
 * undefined when it is not in the wire format.
 */
export function schemaIdOf(value: Uint8Array): number | undefined {
  if (value.length < HEADER_LENGTH || value[0] !== MAGIC_BYTE) return undefined;
  return ((value[1]! << 24) >>> 0) + (value[2]! << 16) + (value[3]! << 8) + value[4]!;
}

/** The schema id and Avro body of a framed value, or undefined when it is not in the wire format. */
export function unframe(value: Uint8Array): { schemaId: number; body: Buffer } | undefined {
  const schemaId = schemaIdOf(value);
  return schemaId === undefined ? undefined : { schemaId, body: asBuffer(value).subarray(HEADER_LENGTH) };
}
