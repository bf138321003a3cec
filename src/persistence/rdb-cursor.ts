/**
 * A bounds-checked read position in an RDB byte stream. Every read checks
 * that its bytes are there first and throws RdbError naming the offset
 * otherwise, so that no corrupt or truncated input can make the reader
 * index past the end, loop forever or allocate for a length that the
 * remaining bytes cannot hold.
 */
import { lzfDecompress } from './lzf.js';
import { ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, LEN_32BIT, LEN_64BIT } from './rdb-format.js';
import { RdbError } from './rdb-value.js';
import { sliceBytes } from '../util/bytes.js';

// Scratch for binary doubles: one DataView for all of them, not one per score.
const F64_BYTES = new Uint8Array(8);
const F64_VIEW = new DataView(F64_BYTES.buffer);

export class RdbCursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  /** An RdbError at the current position (or `at`). */
  error(what: string, at: number = this.pos): RdbError {
    return new RdbError(`${what} (at offset ${at})`, at);
  }

  /** Throws unless n more bytes are there. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw this.error(`Unexpected end of input reading ${what}: ${n} bytes needed, ${this.end - this.pos} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  /** A little-endian uint32. */
  u32le(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** A little-endian int64, as a number (ms timestamps are far within 2^53). */
  i64le(what: string): number {
    this.need(8, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 8;
    const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    return hi * 0x100000000 + lo;
  }

  /** A little-endian IEEE double (ZSET_2 scores). */
  f64le(what: string): number {
    this.need(8, what);
    for (let i = 0; i < 8; i++) F64_BYTES[i] = this.buf[this.pos + i];
    this.pos += 8;
    return F64_VIEW.getFloat64(0, true);
  }

  /** Raw bytes, copied out. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = sliceBytes(this.buf, this.pos, n);
    this.pos += n;
    return out;
  }

  /**
   * A length-encoded number. Returns -1 - e for a special string encoding e
   * (the 11xxxxxx form) when `encodingOk`, else throws on one.
   */
  lengthOrEncoding(what: string, encodingOk: boolean): number {
    const at = this.pos;
    const b = this.u8(what);
    switch (b >>> 6) {
      case 0:
        return b & 0x3f;
      case 1:
        return ((b & 0x3f) << 8) | this.u8(what);
      case 2: {
        if (b === LEN_32BIT) {
          this.need(4, what);
          const p = this.pos;
          const d = this.buf;
          this.pos += 4;
          return ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
        }
        if (b === LEN_64BIT) {
          this.need(8, what);
          const p = this.pos;
          const d = this.buf;
          this.pos += 8;
          const hi = ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
          const lo = ((d[p + 4] << 24) | (d[p + 5] << 16) | (d[p + 6] << 8) | d[p + 7]) >>> 0;
          // Nothing we can hold is that long: the caller's bounds check refuses it.
          if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
          return hi * 0x100000000 + lo;
        }
        throw this.error(`Unknown length encoding 0x${b.toString(16)} in ${what}`, at);
      }
      default:
        if (!encodingOk) throw this.error(`Unexpected string encoding where ${what} was expected`, at);
        return -1 - (b & 0x3f);
    }
  }

  /** A length-encoded count or number (no string encodings allowed). */
  length(what: string): number {
    return this.lengthOrEncoding(what, false);
  }

  /**
   * A count of things that each take at least `minBytes` bytes: refused at
   * once when the rest of the input cannot hold that many.
   */
  count(what: string, minBytes: number): number {
    const at = this.pos;
    const n = this.length(what);
    if (n * minBytes > this.end - this.pos) throw this.error(`Count ${n} of ${what} is more than the remaining ${this.end - this.pos} bytes can hold`, at);
    return n;
  }

  /** Steps over a string (any encoding) without reading it out. */
  skipString(what: string): void {
    const at = this.pos;
    const n = this.lengthOrEncoding(what, true);
    if (n >= 0) {
      if (n > this.end - this.pos) throw this.error(`Length ${n} of ${what} runs past the end of the input (${this.end - this.pos} bytes left)`, at);
      this.pos += n;
      return;
    }
    switch (-1 - n) {
      case ENC_INT8:
        this.need(1, what);
        this.pos += 1;
        return;
      case ENC_INT16:
        this.need(2, what);
        this.pos += 2;
        return;
      case ENC_INT32:
        this.need(4, what);
        this.pos += 4;
        return;
      case ENC_LZF: {
        const clen = this.length(`compressed length of ${what}`);
        this.length(`length of ${what}`);
        if (clen > this.end - this.pos) throw this.error(`Compressed length ${clen} of ${what} runs past the end of the input`, at);
        this.pos += clen;
        return;
      }
      default:
        this.string(what);
    }
  }

  /** An RDB string: raw, an integer (as its decimal digits), or LZF-compressed. */
  string(what: string): Uint8Array {
    const at = this.pos;
    const n = this.lengthOrEncoding(what, true);
    if (n >= 0) {
      if (n > this.end - this.pos) throw this.error(`Length ${n} of ${what} runs past the end of the input (${this.end - this.pos} bytes left)`, at);
      return this.bytes(n, what);
    }
    const enc = -1 - n;
    switch (enc) {
      case ENC_INT8: {
        const v = (this.u8(what) << 24) >> 24;
        return ascii(String(v));
      }
      case ENC_INT16: {
        this.need(2, what);
        const v = ((this.buf[this.pos] | (this.buf[this.pos + 1] << 8)) << 16) >> 16;
        this.pos += 2;
        return ascii(String(v));
      }
      case ENC_INT32: {
        this.need(4, what);
        const b = this.buf;
        const p = this.pos;
        const v = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
        this.pos += 4;
        return ascii(String(v));
      }
      case ENC_LZF: {
        const clen = this.length(`compressed length of ${what}`);
        const len = this.length(`length of ${what}`);
        if (clen > this.end - this.pos) throw this.error(`Compressed length ${clen} of ${what} runs past the end of the input`, at);
        if (len === 0) throw this.error(`LZF-compressed ${what} of length 0`, at);
        const out = lzfDecompress(this.buf, this.pos, clen, len, at);
        this.pos += clen;
        return out;
      }
      default:
        throw this.error(`Unknown string encoding ${enc} in ${what}`, at);
    }
  }

  /** An RDB string read as text (AUX field names). */
  text(what: string): string {
    const b = this.string(what);
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  }
}

/** The bytes of an ASCII string. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
