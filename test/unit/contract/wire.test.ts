import { describe, expect, it } from 'vitest';
import { HEADER_LENGTH, MAGIC_BYTE, frame, unframe } from '../../../src/contract/wire.js';

describe('Confluent wire format', () => {
  it('frames a body as magic byte 0, a 4-byte big-endian id, then the body', () => {
    const framed = frame(0x01020304, Buffer.from([9, 8, 7]));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 9, 8, 7]);
    expect(framed.length).toBe(HEADER_LENGTH + 3);
    expect(framed[0]).toBe(MAGIC_BYTE);
  });

  it('round-trips ids up to the 4-byte maximum', () => {
    for (const id of [1, 2, 255, 256, 65_536, 0xffffffff]) {
      const back = unframe(frame(id, Buffer.from('abc')));
      expect(back?.schemaId).toBe(id);
      expect(back?.body.toString()).toBe('abc');
    }
  });

  it('refuses ids that do not fit 4 unsigned bytes', () => {
    expect(() => frame(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(2 ** 32, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(1.5, Buffer.alloc(0))).toThrow(RangeError);
  });

  it('does not unframe a value without the magic byte or too short to frame', () => {
    expect(unframe(Buffer.from([1, 0, 0, 0, 1, 5]))).toBeUndefined();
    expect(unframe(Buffer.from([0, 0, 0, 1]))).toBeUndefined();
    expect(unframe(Buffer.from([0, 0, 0, 0, 7]))).toEqual({ schemaId: 7, body: Buffer.alloc(0) });
  });
});
