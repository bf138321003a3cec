/**
 * Integers as the compact encodings store them (little-endian, two's
 * complement, 1 to 8 bytes) and as the values carry them (decimal ASCII).
 * int64 values come as a number when they are safe integers, else a bigint,
 * like parseInt64 in util/numbers.ts gives them.
 */

/** The signed little-endian integer of `n` bytes (1..8) at buf[p]. */
export function readIntLE(buf: Uint8Array, p: number, n: number): number | bigint {
  if (n <= 4) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[p + i];
    const half = 2 ** (8 * n - 1);
    return v >= half ? v - 2 * half : v;
  }
  // 8 bytes: a number when it fits in 53 bits.
  const lo = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
  const hi = buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24);
  if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + lo;
  return (BigInt(hi) << 32n) + BigInt(lo);
}

/** Writes v as a signed little-endian integer of `n` bytes (1..8) at buf[p]. */
export function writeIntLE(buf: Uint8Array, p: number, n: number, v: number | bigint): void {
  if (typeof v === 'bigint') {
    let u = BigInt.asUintN(64, v);
    for (let i = 0; i < n; i++) {
      buf[p + i] = Number(u & 0xffn);
      u >>= 8n;
    }
    return;
  }
  const lo = v >>> 0; // ToUint32 is v mod 2^32, exact for safe integers
  const hi = Math.floor(v / 0x100000000) | 0;
  for (let i = 0; i < n && i < 4; i++) buf[p + i] = lo >>> (8 * i);
  for (let i = 4; i < n; i++) buf[p + i] = hi >>> (8 * (i - 4));
}

/** The decimal ASCII bytes of an integer. */
export function decimalBytes(v: number | bigint): Uint8Array {
  const s = String(v);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
