/**
 * The packed entry of the listpack-like encodings: list nodes, small sorted
 * sets, hashes (pair records) and small sets all store an element as a
 * length field followed by its bytes.
 *
 *   len < 128      1 byte  [len]                          trailer [len]
 *   len < 16384    2 bytes [0x80 | len >> 8, len & 255]   trailer [len & 255, 0x80 | len >> 8]
 *   otherwise      5 bytes [0xC0, u32 LE]                 trailer [u32 LE, 0xC0]
 *
 * Lists and sorted sets repeat the length after the entry as a trailer that
 * reads backwards, so their runs can be walked from either end. The shape
 * around the length fields (a score, a second field for a hash's value) is
 * each type's own.
 *
 * Writers always use the shortest field, so the field of a length n is
 * lenSize(n) bytes: readers compute it from the length they read (the types'
 * check functions verify it) instead of carrying it around, which keeps these
 * inner loops free of allocations and of shared state.
 */

/** Bytes of the length field (and of the trailer) for an element of n bytes. */
export function lenSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : 5;
}

/** Bytes of the length field that starts with byte b (to bounds-check a field before reading it). */
export function fieldSizeOf(b: number): number {
  return b < 0x80 ? 1 : b < 0xc0 ? 2 : 5;
}

/** Whether the length field at d[p] is the shortest for its length, as readers assume (for the types' checks). */
export function isShortestField(d: Uint8Array, p: number): boolean {
  return fieldSizeOf(d[p]) === lenSize(readLen(d, p));
}

/** The length whose field starts at d[p]. */
export function readLen(d: Uint8Array, p: number): number {
  const b = d[p];
  if (b < 0x80) return b;
  if (b < 0xc0) return ((b & 0x3f) << 8) | d[p + 1];
  return (d[p + 1] | (d[p + 2] << 8) | (d[p + 3] << 16) | (d[p + 4] << 24)) >>> 0;
}

/** The length whose trailer ends just before d[end]. */
export function readLenBefore(d: Uint8Array, end: number): number {
  const b = d[end - 1];
  if (b < 0x80) return b;
  if (b < 0xc0) return ((b & 0x3f) << 8) | d[end - 2];
  return (d[end - 5] | (d[end - 4] << 8) | (d[end - 3] << 16) | (d[end - 2] << 24)) >>> 0;
}

/** Writes the length field of n at d[p]; returns its size. */
export function writeLen(d: Uint8Array, p: number, n: number): number {
  if (n < 128) {
    d[p] = n;
    return 1;
  }
  if (n < 16384) {
    d[p] = 0x80 | (n >>> 8);
    d[p + 1] = n & 0xff;
    return 2;
  }
  d[p] = 0xc0;
  d[p + 1] = n & 0xff;
  d[p + 2] = (n >>> 8) & 0xff;
  d[p + 3] = (n >>> 16) & 0xff;
  d[p + 4] = n >>> 24;
  return 5;
}

/** Writes the trailer of n at d[p] (readLenBefore reads it back from its end); returns its size. */
export function writeLenTrailer(d: Uint8Array, p: number, n: number): number {
  if (n < 128) {
    d[p] = n;
    return 1;
  }
  if (n < 16384) {
    d[p] = n & 0xff;
    d[p + 1] = 0x80 | (n >>> 8);
    return 2;
  }
  d[p] = n & 0xff;
  d[p + 1] = (n >>> 8) & 0xff;
  d[p + 2] = (n >>> 16) & 0xff;
  d[p + 3] = n >>> 24;
  d[p + 4] = 0xc0;
  return 5;
}

