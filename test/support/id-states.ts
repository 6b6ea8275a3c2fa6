/** A serialized uniqExact state: LEB128 element count, then 16 bytes per element (src/query/id-set.ts). */
export function idState(keys: readonly Uint8Array[], offset = 0): Uint8Array {
  const head: number[] = [];
  let n = keys.length;
  do {
    head.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 0x80);
  } while (n > 0);
  const out = new Uint8Array(offset + head.length + keys.length * 16);
  out.set(head, offset);
  keys.forEach((k, i) => out.set(k, offset + head.length + i * 16));
  return out.subarray(offset);
}

/** A deterministic 16-byte key per integer (two different i give different keys). */
export function idKey(i: number): Uint8Array {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  v.setUint32(0, Math.imul(i + 1, 2654435761) >>> 0, true);
  v.setUint32(4, i, true);
  v.setUint32(12, 0xabcdef, true);
  return k;
}

/** The keys of `from` (included) to `to` (excluded). */
export const idKeys = (from: number, to: number): Uint8Array[] => Array.from({ length: to - from }, (_, j) => idKey(from + j));
