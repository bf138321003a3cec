/**
 * Small byte helpers used all over the server. Keys, values and arguments are
 * binary safe, so they travel as (Uint8Array, offset, length) triples; these
 * helpers work on such views without allocating.
 */

const encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8'); // non-fatal: invalid sequences become U+FFFD

/**
 * Byte-wise equality of two views (memcmp == 0 with equal lengths). Long
 * views are compared by Buffer.equals (memcmp), at the price of two views.
 */
export function bytesEqual(
  a: Uint8Array,
  aOff: number,
  aLen: number,
  b: Uint8Array,
  bOff: number,
  bLen: number,
): boolean {
  if (aLen !== bLen) return false;
  if (a === b && aOff === bOff) return true;
  if (aLen > 64) {
    return Buffer.from(a.buffer, a.byteOffset + aOff, aLen).equals(Buffer.from(b.buffer, b.byteOffset + bOff, bLen));
  }
  return sameBytes(a, aOff, b, bOff, aLen);
}

/**
 * Whether the n bytes at a[aOff] equal the n bytes at b[bOff]: a plain loop
 * that allocates nothing, for the value types' inner loops (short members,
 * lengths already compared).
 */
export function sameBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/**
 * Three-way comparison with Redis's sdscmp() semantics: memcmp over the common
 * prefix (bytes compared unsigned), then the shorter string sorts first.
 * Returns a negative number, 0, or a positive number.
 */
export function bytesCompare(
  a: Uint8Array,
  aOff: number,
  aLen: number,
  b: Uint8Array,
  bOff: number,
  bLen: number,
): number {
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    const d = a[aOff + i]! - b[bOff + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/**
 * Case-insensitive comparison of an argument against a lower-case ASCII
 * keyword, with the semantics of C `strcasecmp(arg, keyword) == 0` as Redis
 * uses it to parse options ("nx", "ex", "withscores" ...):
 *
 *  - only ASCII letters are folded (the C locale's tolower);
 *  - the argument behaves like a C string: it ends at its first NUL byte.
 *    Redis 7.0 really accepts e.g. `SET k v "NX\0junk"` as NX (verified
 *    against redis-server 7.0.15), so "nx\0junk" equals "nx" here too.
 *
 * `lowerAscii` must be lower case ASCII without NUL characters.
 * Use {@link asciiLowerEqualsStrict} when the whole argument must match.
 */
export function asciiLowerEquals(u8: Uint8Array, off: number, len: number, lowerAscii: string): boolean {
  const n = lowerAscii.length;
  if (len < n) return false;
  if (len > n && u8[off + n] !== 0) return false;
  for (let i = 0; i < n; i++) {
    let c = u8[off + i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerAscii.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Like {@link asciiLowerEquals} but the whole argument (all `len` bytes) must
 * match the keyword: no C-string truncation at NUL.
 */
export function asciiLowerEqualsStrict(u8: Uint8Array, off: number, len: number, lowerAscii: string): boolean {
  if (len !== lowerAscii.length) return false;
  for (let i = 0; i < len; i++) {
    let c = u8[off + i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerAscii.charCodeAt(i)) return false;
  }
  return true;
}

/** Encodes a JS string as UTF-8 (shared encoder; ASCII fast path). Returns a fresh array. */
export function utf8(str: string): Uint8Array {
  const n = str.length;
  if (n <= 32) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = str.charCodeAt(i);
      if (c > 0x7f) return encoder.encode(str);
      out[i] = c;
    }
    return out;
  }
  return encoder.encode(str);
}

const constCache = new Map<string, Uint8Array>();

/**
 * UTF-8 bytes of a constant string, memoised. The returned array is shared:
 * callers must never modify it. Meant for fixed protocol fragments and
 * keywords, not for data (the cache is never evicted).
 */
export function utf8Const(str: string): Uint8Array {
  let b = constCache.get(str);
  if (b === undefined) {
    b = encoder.encode(str);
    constCache.set(str, b);
  }
  return b;
}

/**
 * Decodes a view as UTF-8 (invalid sequences become U+FFFD). Short pure-ASCII
 * views take a fast path without creating a decoder view.
 */
export function toStr(u8: Uint8Array, off: number, len: number): string {
  if (len <= 24) {
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = u8[off + i]!;
      if (c > 0x7f) return utf8Decoder.decode(u8.subarray(off, off + len));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8Decoder.decode(u8.subarray(off, off + len));
}

/**
 * Decodes a view as Latin-1: one char per byte (char code = byte value), so
 * the result round-trips losslessly through {@link latin1Bytes}.
 */
export function toLatin1(u8: Uint8Array, off: number, len: number): string {
  if (len <= 24) {
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(u8[off + i]!);
    return s;
  }
  return Buffer.from(u8.buffer, u8.byteOffset + off, len).toString('latin1');
}

/** Inverse of {@link toLatin1}: each char code (0..255) becomes one byte. */
export function latin1Bytes(str: string): Uint8Array {
  const out = new Uint8Array(str.length);
  for (let i = 0; i < str.length; i++) out[i] = str.charCodeAt(i) & 0xff;
  return out;
}

/** The part of a string before its first NUL, as C's %s prints it (Redis's error texts). */
export function cString(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}
