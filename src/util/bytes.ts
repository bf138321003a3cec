/**
 * Small byte helpers. Keys, values and arguments are binary safe, so they
 * travel as (Uint8Array, offset, length) triples; these helpers work on such
 * views.
 */

/**
 * V8 copies into and out of SharedArrayBuffers (the arena, the rings) with
 * a relaxed-atomic loop that falls back to one byte at a time when the two
 * offsets are not equally aligned: 16 µs for 64 KiB, against 1 µs for
 * Buffer's memmove (bench/copy.ts). Every copy that may touch shared memory
 * goes through these. Short copies stay in JS, where a loop beats a call.
 */
const nativeCopy = Buffer.prototype.copy;
const SHORT_COPY = 32;

/** Copies `len` bytes from `src` at `srcOff` to `dst` at `dstOff`; overlapping ranges of one view are fine. */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (len <= 0) return;
  if (len < SHORT_COPY && dst !== src) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i];
  } else if (srcOff === 0 && len === src.length) {
    // Buffer's copy hands a copy of the whole source to TypedArray set, the slow
    // path: copying all but the last byte keeps it on memmove.
    nativeCopy.call(src, dst, dstOff, 0, len - 1);
    dst[dstOff + len - 1] = src[len - 1];
  } else {
    nativeCopy.call(src, dst, dstOff, srcOff, srcOff + len);
  }
}

/**
 * A fresh copy of `len` bytes of `src` from `off`, in memory of its own.
 * (Not `src.slice()`: on a Buffer, such as a socket chunk or a pool buffer,
 * slice returns a view of the same memory, which is then reused.)
 */
export function sliceBytes(src: Uint8Array, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  copyBytes(out, 0, src, off, len);
  return out;
}

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
 * Whether the view is the keyword `lowerAscii` (lower-case ASCII, no NUL),
 * ignoring ASCII case, all `len` bytes of it: the rule of Exec.argIs. (C's
 * strcasecmp, which Redis uses, would stop at a NUL byte in the argument.)
 */
export function matchesKeyword(u8: Uint8Array, off: number, len: number, lowerAscii: string): boolean {
  if (len !== lowerAscii.length) return false;
  for (let i = 0; i < len; i++) {
    let c = u8[off + i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerAscii.charCodeAt(i)) return false;
  }
  return true;
}

/** The part of a string before its first NUL, as C's %s prints it (Redis's error texts). */
export function cString(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}
