/**
 * CRC-64 as Redis computes it over RDB files and DUMP payloads: the "Jones"
 * polynomial 0xad93d23594c935a9, reflected input and output, initial value 0,
 * no final xor. crc64("123456789") = 0xe9c6d914c4b8d9ca.
 *
 * Every byte of every snapshot goes through this, so the state is kept as
 * two 32-bit halves (BigInt arithmetic per byte runs at a few MB/s) and the
 * bulk of the input is consumed eight bytes at a time with slicing-by-8
 * tables: one lookup per input byte, no shifts across the halves.
 */

/** The polynomial bit-reversed, as the reflected (LSB-first) algorithm uses it. */
const POLY_REV_HI = 0x95ac9329;
const POLY_REV_LO = 0xac4bc9b5;

// TABLE_HI[k * 256 + b] / TABLE_LO[...]: the CRC of byte b followed by k zero bytes.
const TABLE_HI = new Int32Array(8 * 256);
const TABLE_LO = new Int32Array(8 * 256);

(() => {
  for (let b = 0; b < 256; b++) {
    let hi = 0;
    let lo = b;
    for (let k = 0; k < 8; k++) {
      const odd = lo & 1;
      lo = (lo >>> 1) | ((hi & 1) << 31);
      hi = hi >>> 1;
      if (odd) {
        hi ^= POLY_REV_HI;
        lo ^= POLY_REV_LO;
      }
    }
    TABLE_HI[b] = hi;
    TABLE_LO[b] = lo;
  }
  for (let t = 1; t < 8; t++) {
    for (let b = 0; b < 256; b++) {
      const hi = TABLE_HI[(t - 1) * 256 + b];
      const lo = TABLE_LO[(t - 1) * 256 + b];
      // One more zero byte: shift right by 8 and fold in the byte shifted out.
      const idx = lo & 0xff;
      TABLE_HI[t * 256 + b] = (hi >>> 8) ^ TABLE_HI[idx];
      TABLE_LO[t * 256 + b] = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
    }
  }
})();

/** A running CRC-64: feed it bytes with update(), read it with value() or writeLE(). */
export class Crc64 {
  /** The two halves, as int32 (their bit patterns are what matters). */
  hi = 0;
  lo = 0;

  constructor(initial: bigint = 0n) {
    this.hi = Number((initial >> 32n) & 0xffffffffn) | 0;
    this.lo = Number(initial & 0xffffffffn) | 0;
  }

  /** Adds `len` bytes of `buf` from `off`. */
  update(buf: Uint8Array, off: number, len: number): this {
    let hi = this.hi;
    let lo = this.lo;
    let i = off;
    const end = off + len;
    const end8 = end - 7;
    const T_HI = TABLE_HI;
    const T_LO = TABLE_LO;
    for (; i < end8; i += 8) {
      const a = lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
      const b = hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24));
      const i7 = 1792 + (a & 0xff);
      const i6 = 1536 + ((a >>> 8) & 0xff);
      const i5 = 1280 + ((a >>> 16) & 0xff);
      const i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff);
      const i2 = 512 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      hi = T_HI[i7] ^ T_HI[i6] ^ T_HI[i5] ^ T_HI[i4] ^ T_HI[i3] ^ T_HI[i2] ^ T_HI[i1] ^ T_HI[i0];
      lo = T_LO[i7] ^ T_LO[i6] ^ T_LO[i5] ^ T_LO[i4] ^ T_LO[i3] ^ T_LO[i2] ^ T_LO[i1] ^ T_LO[i0];
    }
    for (; i < end; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[idx];
      hi = (hi >>> 8) ^ T_HI[idx];
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /** Writes the CRC as 8 little-endian bytes at dst[off] (how RDB files and DUMP payloads store it). */
  writeLE(dst: Uint8Array, off: number): void {
    const lo = this.lo;
    const hi = this.hi;
    dst[off] = lo;
    dst[off + 1] = lo >>> 8;
    dst[off + 2] = lo >>> 16;
    dst[off + 3] = lo >>> 24;
    dst[off + 4] = hi;
    dst[off + 5] = hi >>> 8;
    dst[off + 6] = hi >>> 16;
    dst[off + 7] = hi >>> 24;
  }

  /** Whether the 8 little-endian bytes at buf[off] hold this CRC. */
  matchesLE(buf: Uint8Array, off: number): boolean {
    const lo = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
    const hi = buf[off + 4] | (buf[off + 5] << 8) | (buf[off + 6] << 16) | (buf[off + 7] << 24);
    return lo === this.lo && hi === this.hi;
  }
}

/** CRC-64 of `len` bytes of `buf` from `off`, continuing from `crc` (0n to start). */
export function crc64(crc: bigint, buf: Uint8Array, off: number, len: number): bigint {
  return new Crc64(crc).update(buf, off, len).value();
}
