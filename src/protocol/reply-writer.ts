/**
 * Writes RESP2/RESP3 replies as bytes into a growable buffer. Shards write
 * every reply through one of these; the front uses one for its own replies.
 * Methods take the protocol version into account (`resp3`), so command code
 * says what it means (a null, a map, a double) and not how to spell it.
 */
import { NullArray, RespDouble, RespError, RespMap, RespSet, Simple, type RespValue } from './resp-value.js';
import { formatDouble } from './format.js';
import { copyBytes } from '../util/bytes.js';
import { giveBuffer, takeBuffer } from '../util/buffer-pool.js';

const CRLF0 = 13;
const CRLF1 = 10;
const encoder = new TextEncoder();
/** The size a writer starts again at after handing its buffer over. */
const HANDED_OVER_RESTART = 4096;

export class ReplyWriter {
  buf: Uint8Array;
  len = 0;
  /**
   * Where the reply being written starts: `reset()` goes back there. A
   * command run inline writes into its client's output buffer after the
   * replies already waiting in it; base keeps those safe.
   */
  base = 0;
  resp3 = false;

  constructor(initial = 16 * 1024) {
    this.buf = new Uint8Array(initial);
  }

  reset(): void {
    this.len = this.base;
  }

  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = takeBuffer(cap);
    copyBytes(b, 0, this.buf, 0, this.len);
    giveBuffer(this.buf);
    this.buf = b;
  }

  /** Writes an ASCII string (no CRLF). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    this.len = o;
  }

  private crlf(): void {
    this.buf[this.len++] = CRLF0;
    this.buf[this.len++] = CRLF1;
  }

  /** Writes a non-negative or negative integer's decimal digits. */
  private digits(n: number): void {
    if (n >= 0 && n < 10) {
      this.buf[this.len++] = 48 + n;
      return;
    }
    this.ascii(String(n));
  }

  private header(prefix: number, n: number): void {
    this.ensure(24);
    this.buf[this.len++] = prefix;
    this.digits(n);
    this.crlf();
  }

  ok(): void {
    this.ensure(5);
    const b = this.buf;
    const o = this.len;
    b[o] = 43; // '+'
    b[o + 1] = 79; // 'O'
    b[o + 2] = 75; // 'K'
    b[o + 3] = 13;
    b[o + 4] = 10;
    this.len = o + 5;
  }

  simple(s: string): void {
    this.ensure(s.length + 3);
    this.buf[this.len++] = 43;
    this.ascii(s);
    this.crlf();
  }

  /** `text` includes the error code, e.g. "ERR syntax error" or "WRONGTYPE ...". */
  error(text: string): void {
    const bytes = encoder.encode(text);
    this.ensure(bytes.length + 3);
    this.buf[this.len++] = 45;
    // Newlines would break the protocol; Redis replaces them with spaces.
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      this.buf[this.len++] = c === 13 || c === 10 ? 32 : c;
    }
    this.crlf();
  }

  int(n: number | bigint): void {
    this.ensure(24);
    this.buf[this.len++] = 58;
    if (typeof n === 'number') this.digits(n);
    else this.ascii(n.toString());
    this.crlf();
  }

  bulk(src: Uint8Array, off: number, n: number): void {
    this.ensure(n + 24);
    const b = this.buf;
    b[this.len++] = 36;
    this.digits(n);
    this.crlf();
    if (n < 48) {
      let o = this.len;
      for (let i = 0; i < n; i++) b[o++] = src[off + i];
      this.len = o;
    } else {
      copyBytes(b, this.len, src, off, n);
      this.len += n;
    }
    this.crlf();
  }

  bulkBytes(src: Uint8Array): void {
    this.bulk(src, 0, src.length);
  }

  /** A bulk string from a JS string (UTF-8). */
  bulkString(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      this.bulkBytes(encoder.encode(s));
      return;
    }
    this.ensure(s.length + 24);
    this.buf[this.len++] = 36;
    this.digits(s.length);
    this.crlf();
    this.ascii(s);
    this.crlf();
  }

  /** The header of a bulk string whose `n` bytes the caller writes itself. */
  bulkHeader(n: number): void {
    this.header(36, n);
  }

  nullBulk(): void {
    if (this.resp3) this.ascii('_\r\n');
    else this.ascii('$-1\r\n');
  }

  nullArray(): void {
    if (this.resp3) this.ascii('_\r\n');
    else this.ascii('*-1\r\n');
  }

  array(n: number): void {
    this.header(42, n);
  }

  /** An out-of-band message of `n` items (pub/sub, invalidations): `>n` in RESP3, an array in RESP2. */
  push(n: number): void {
    this.header(this.resp3 ? 62 : 42, n);
  }

  /** A map of `n` pairs: `%n` in RESP3, a flat array of 2n items in RESP2. */
  map(n: number): void {
    if (this.resp3) this.header(37, n);
    else this.header(42, n * 2);
  }

  set(n: number): void {
    this.header(this.resp3 ? 126 : 42, n);
  }

  /** A double: `,x` in RESP3, a bulk string in RESP2 (formatted as Redis does). */
  double(x: number): void {
    const s = formatDouble(x);
    if (this.resp3) {
      this.ensure(s.length + 3);
      this.buf[this.len++] = 44;
      this.ascii(s);
      this.crlf();
    } else {
      this.bulkString(s);
    }
  }

  bool(v: boolean): void {
    if (this.resp3) this.ascii(v ? '#t\r\n' : '#f\r\n');
    else this.int(v ? 1 : 0);
  }

  /** A verbatim string (`=` in RESP3, bulk in RESP2), as INFO and CLIENT INFO use. */
  verbatim(s: string, format = 'txt'): void {
    if (!this.resp3) {
      this.bulkString(s);
      return;
    }
    const bytes = encoder.encode(s);
    this.header(61, bytes.length + 4);
    this.ascii(format + ':');
    this.ensure(bytes.length + 2);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.crlf();
  }

  raw(src: Uint8Array, off = 0, n = src.length): void {
    this.ensure(n);
    copyBytes(this.buf, this.len, src, off, n);
    this.len += n;
  }

  /** Encodes a reply tree (for replies that are not on the hot path). */
  value(v: RespValue): void {
    if (v === null) this.nullBulk();
    else if (typeof v === 'number' || typeof v === 'bigint') this.int(v);
    else if (typeof v === 'string') this.bulkString(v);
    else if (v instanceof Uint8Array) this.bulkBytes(v);
    else if (Array.isArray(v)) {
      this.array(v.length);
      for (const item of v) this.value(item);
    } else if (v instanceof Simple) this.simple(v.text);
    else if (v instanceof RespError) this.error(v.text);
    else if (v instanceof RespMap) {
      this.map(v.entries.length);
      for (const [k, val] of v.entries) {
        this.value(k);
        this.value(val);
      }
    } else if (v instanceof RespSet) {
      this.set(v.items.length);
      for (const item of v.items) this.value(item);
    } else if (v instanceof RespDouble) this.double(v.value);
    else if (v instanceof NullArray) this.nullArray();
  }

  /** Takes the written bytes as a fresh Buffer and resets the writer. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    copyBytes(out, 0, this.buf, 0, this.len);
    this.len = 0;
    return out;
  }

  /**
   * Takes the written bytes, its first `len`, without copying them: the
   * writer hands its whole buffer over (to give back with giveBuffer once
   * done with) and starts again on a small one.
   */
  handOver(): Uint8Array {
    const whole = this.buf;
    this.buf = new Uint8Array(HANDED_OVER_RESTART);
    this.len = 0;
    return whole;
  }
}
