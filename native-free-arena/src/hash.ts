/**
 * 32-bit hash of a byte range, in the Murmur3 (x86_32) family: 4-byte blocks
 * mixed with multiply/rotate, a tail, and the usual avalanche finalizer, all in
 * 32-bit integer arithmetic (Math.imul). Short ASCII keys that differ in one
 * character ("key:000123" vs "key:000124") get unrelated hashes.
 *
 * Returns an unsigned 32-bit integer.
 */
export function hashBytes(u8: Uint8Array, off: number, len: number, seed = 0): number {
  let h = seed | 0;
  const end = off + len;
  const end4 = off + (len & ~3);
  let i = off;
  for (; i < end4; i += 4) {
    let k = u8[i] | (u8[i + 1] << 8) | (u8[i + 2] << 16) | (u8[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = u8[i];
    if (rest > 1) k |= u8[i + 1] << 8;
    if (rest > 2) k |= u8[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  return fmix32(h);
}

/** The Murmur3 finalizer: a bijective 32-bit mix with full avalanche. Returns an unsigned integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
