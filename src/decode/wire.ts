/**
 * The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body.
 * Returns undefined for anything too short or without the magic byte.
 */
export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

export interface Frame {
  schemaId: number;
  body: Buffer;
}

export function parseFrame(buf: Buffer | null): Frame | undefined {
  if (buf === null || buf.length < HEADER_SIZE || buf[0] !== MAGIC_BYTE) return undefined;
  return { schemaId: buf.readUInt32BE(1), body: buf.subarray(HEADER_SIZE) };
}

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_SIZE);
  return out;
}
