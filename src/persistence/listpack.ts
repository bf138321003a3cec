/**
 * Listpacks, Redis's compact sequence encoding (small hashes, sorted sets,
 * sets, and the nodes of lists), byte for byte as listpack.c builds them:
 *
 *   <total bytes u32 LE> <count u16 LE, 65535 = count unknown> <entry>* 0xFF
 *   entry = <encoding + data> <backlen: size of encoding + data, 1..5 bytes>
 *
 * Encodings, by the first byte:
 *   0xxxxxxx             7-bit unsigned integer
 *   10xxxxxx             string of up to 63 bytes follows
 *   110xxxxx yyyyyyyy    13-bit signed integer
 *   1110xxxx yyyyyyyy    string of up to 4095 bytes follows
 *   0xF0 + u32 LE        longer string follows
 *   0xF1..0xF4           16, 24, 32, 64-bit signed integer (LE) follows
 *
 * A string that is a canonical int64 (what string2ll accepts: no '+', no
 * leading zeros, "-0" excluded) is stored as the smallest integer encoding
 * that holds it, as lpAppend does; decoding gives back its decimal digits.
 */
import { RdbError } from './rdb-value.js';
import { decimalBytes, readIntLE, writeIntLE } from './int-codec.js';
import { copyBytes, sliceBytes } from '../util/bytes.js';
import { parseInt64 } from '../util/numbers.js';

const HEADER = 6;
const EOF = 0xff;
const COUNT_UNKNOWN = 65535;

const ENC_STR_32 = 0xf0;
const ENC_INT_16 = 0xf1;
const ENC_INT_24 = 0xf2;
const ENC_INT_32 = 0xf3;
const ENC_INT_64 = 0xf4;

/** The integer a listpack stores `len` bytes of `u8` as, or null for a string. */
function asInt(u8: Uint8Array, off: number, len: number): number | bigint | null {
  if (len === 0 || len > 20) return null;
  return parseInt64(u8, off, len);
}

/** Bytes of the encoding + data of integer v. */
function intSize(v: number | bigint): number {
  if (typeof v === 'bigint') return 9; // beyond 2^53: only the 64-bit encoding holds it
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function strHeaderSize(len: number): number {
  return len < 64 ? 1 : len < 4096 ? 2 : 5;
}

/** Bytes of the backlen of an entry whose encoding + data take l bytes (lpEncodeBacklen's sizes). */
function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Whether a listpack stores these bytes as an integer (a canonical int64 of at most 20 bytes). */
export function listpackStoresInt(u8: Uint8Array, off = 0, len = u8.length): boolean {
  return asInt(u8, off, len) !== null;
}

/** Bytes one element takes in a listpack, backlen included. */
export function listpackEntrySize(u8: Uint8Array, off = 0, len = u8.length): number {
  const v = asInt(u8, off, len);
  const l = v !== null ? intSize(v) : strHeaderSize(len) + len;
  return l + backlenSize(l);
}

/** The backlen of an entry whose encoding + data take l bytes, at b[p]; returns its size. */
function putBacklen(b: Uint8Array, p: number, l: number): number {
  const n = backlenSize(l);
  // Most significant 7 bits first; every byte after the first has the top bit set.
  for (let i = n - 1; i >= 0; i--) b[p++] = (Math.floor(l / 2 ** (7 * i)) & 127) | (i === n - 1 ? 0 : 128);
  return n;
}

/** Bytes putListpackInt writes at the most. */
export const LISTPACK_INT_MAX = 10;

/** Writes integer v as a listpack element (its smallest encoding, then the backlen) at b[p]; returns the bytes written. */
export function putListpackInt(b: Uint8Array, p: number, v: number | bigint): number {
  const l = intSize(v);
  const n = Number(v);
  switch (l) {
    case 1:
      b[p] = n;
      break;
    case 2: {
      const u = n < 0 ? n + 8192 : n; // 13-bit two's complement
      b[p] = 0xc0 | (u >>> 8);
      b[p + 1] = u & 0xff;
      break;
    }
    case 3:
      b[p] = ENC_INT_16;
      writeIntLE(b, p + 1, 2, n);
      break;
    case 4:
      b[p] = ENC_INT_24;
      writeIntLE(b, p + 1, 3, n);
      break;
    case 5:
      b[p] = ENC_INT_32;
      writeIntLE(b, p + 1, 4, n);
      break;
    default:
      b[p] = ENC_INT_64;
      writeIntLE(b, p + 1, 8, v);
  }
  return l + putBacklen(b, p + l, l);
}

/**
 * Writes `len` bytes of `u8` as lpAppend stores them (an integer when they
 * read as one, else a string) at b[p], which has room for len + 10 bytes;
 * returns the bytes written.
 */
export function putListpackElement(b: Uint8Array, p: number, u8: Uint8Array, off: number, len: number): number {
  const v = asInt(u8, off, len);
  if (v !== null) return putListpackInt(b, p, v);
  const start = p;
  const h = strHeaderSize(len);
  if (h === 1) {
    b[p++] = 0x80 | len;
  } else if (h === 2) {
    b[p++] = 0xe0 | (len >>> 8);
    b[p++] = len & 0xff;
  } else {
    b[p++] = ENC_STR_32;
    writeIntLE(b, p, 4, len);
    p += 4;
  }
  copyBytes(b, p, u8, off, len);
  p += len;
  return p - start + putBacklen(b, p, h + len);
}

/** Builds one listpack element by element. */
export class ListpackBuilder {
  private buf: Uint8Array;
  private pos = HEADER;
  /** Elements added so far. */
  count = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(capacity, HEADER + 1));
  }

  /** Size of the listpack as finish() would return it now. */
  get size(): number {
    return this.pos + 1;
  }

  add(u8: Uint8Array, off = 0, len = u8.length): this {
    this.reserve(len + 10);
    this.pos += putListpackElement(this.buf, this.pos, u8, off, len);
    this.count++;
    return this;
  }

  /** Adds an int64 with its smallest encoding. */
  addInt(v: number | bigint): this {
    this.reserve(LISTPACK_INT_MAX);
    this.pos += putListpackInt(this.buf, this.pos, v);
    this.count++;
    return this;
  }

  /** The finished listpack (the builder is spent). */
  finish(): Uint8Array {
    this.reserve(1);
    const b = this.buf;
    b[this.pos++] = EOF;
    writeIntLE(b, 0, 4, this.pos);
    const c = this.count < COUNT_UNKNOWN ? this.count : COUNT_UNKNOWN;
    b[4] = c & 0xff;
    b[5] = c >>> 8;
    return b.subarray(0, this.pos);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    copyBytes(next, 0, this.buf, 0, this.pos);
    this.buf = next;
  }
}

/** A listpack holding the elements in order. */
export function encodeListpack(items: readonly Uint8Array[]): Uint8Array {
  let size = HEADER + 1;
  for (const it of items) size += listpackEntrySize(it);
  const lp = new ListpackBuilder(size);
  for (const it of items) lp.add(it);
  return lp.finish();
}

function corrupt(what: string, at: number): RdbError {
  return new RdbError(`Corrupt listpack: ${what} (byte ${at} of the listpack)`, at);
}

/**
 * The elements of the listpack in `len` bytes of `buf` from `off`, strings
 * copied out and integers as their decimal digits. Everything is checked:
 * the total size, each entry's bounds and backlen, the terminator, and the
 * count when the header knows it.
 */
export function decodeListpack(buf: Uint8Array, off = 0, len = buf.length - off): Uint8Array[] {
  if (len < HEADER + 1) throw corrupt(`${len} bytes is too short`, 0);
  const total = (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
  if (total !== len) throw corrupt(`header says ${total} bytes, blob has ${len}`, 0);
  if (buf[off + len - 1] !== EOF) throw corrupt('no terminator', len - 1);
  const count = buf[off + 4] | (buf[off + 5] << 8);
  const out: Uint8Array[] = [];
  const end = off + len - 1; // the terminator
  let p = off + HEADER;
  while (p < end) {
    const b = buf[p];
    let l: number; // encoding + data
    let item: Uint8Array;
    if (b < 0x80) {
      l = 1;
      item = decimalBytes(b);
    } else if (b < 0xc0) {
      const n = b & 0x3f;
      l = 1 + n;
      if (p + l > end) throw corrupt('string runs past the end', p - off);
      item = sliceBytes(buf, p + 1, n);
    } else if (b < 0xe0) {
      l = 2;
      if (p + l > end) throw corrupt('integer runs past the end', p - off);
      const u = ((b & 0x1f) << 8) | buf[p + 1];
      item = decimalBytes(u >= 4096 ? u - 8192 : u);
    } else if (b < 0xf0) {
      if (p + 2 > end) throw corrupt('string header runs past the end', p - off);
      const n = ((b & 0x0f) << 8) | buf[p + 1];
      l = 2 + n;
      if (p + l > end) throw corrupt('string runs past the end', p - off);
      item = sliceBytes(buf, p + 2, n);
    } else if (b === ENC_STR_32) {
      if (p + 5 > end) throw corrupt('string header runs past the end', p - off);
      const n = (buf[p + 1] | (buf[p + 2] << 8) | (buf[p + 3] << 16) | (buf[p + 4] << 24)) >>> 0;
      if (n > end - p - 5) throw corrupt('string runs past the end', p - off);
      l = 5 + n;
      item = sliceBytes(buf, p + 5, n);
    } else if (b >= ENC_INT_16 && b <= ENC_INT_64) {
      const n = b === ENC_INT_16 ? 2 : b === ENC_INT_24 ? 3 : b === ENC_INT_32 ? 4 : 8;
      l = 1 + n;
      if (p + l > end) throw corrupt('integer runs past the end', p - off);
      item = decimalBytes(readIntLE(buf, p + 1, n));
    } else {
      throw corrupt(`unknown encoding 0x${b.toString(16)}`, p - off);
    }
    p += l;
    // The backlen: its size follows from l; it must read back (right to left) as l.
    const bl = backlenSize(l);
    if (p + bl > end) throw corrupt('backlen runs past the end', p - off);
    let v = 0;
    for (let i = 0; i < bl; i++) {
      const c = buf[p + i];
      if ((c & 128) !== (i === 0 ? 0 : 128)) throw corrupt('malformed backlen', p + i - off);
      v = v * 128 + (c & 127);
    }
    if (v !== l) throw corrupt(`backlen ${v} does not match the entry size ${l}`, p - off);
    p += bl;
    out.push(item);
  }
  if (count !== COUNT_UNKNOWN && count !== out.length) throw corrupt(`header counts ${count} elements, found ${out.length}`, 4);
  return out;
}
