/**
 * Intsets, the encoding of small all-integer sets (SET_INTSET):
 *
 *   <encoding u32 LE: 2, 4 or 8 bytes per value> <count u32 LE> <values LE, ascending>
 *
 * The encoding is the smallest that holds every value.
 */
import { RdbError } from './rdb-value.js';
import { decimalBytes, readIntLE, writeIntLE } from './int-codec.js';

const HEADER = 8;

function widthOf(v: number | bigint): number {
  if (typeof v === 'bigint') return 8;
  if (v >= -32768 && v <= 32767) return 2;
  if (v >= -2147483648 && v <= 2147483647) return 4;
  return 8;
}

const ascending = (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** An intset of the int64 values (sorted here; duplicates dropped). */
export function encodeIntset(values: ReadonlyArray<number | bigint>): Uint8Array {
  const sorted = values.slice().sort(ascending);
  let width = 2;
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] == sorted[i - 1]) continue; // == : a number and a bigint may be equal
    sorted[n++] = sorted[i];
    const w = widthOf(sorted[i]);
    if (w > width) width = w;
  }
  const out = new Uint8Array(HEADER + n * width);
  writeIntLE(out, 0, 4, width);
  writeIntLE(out, 4, 4, n);
  for (let i = 0; i < n; i++) writeIntLE(out, HEADER + i * width, width, sorted[i]);
  return out;
}

function corrupt(what: string, at: number): RdbError {
  return new RdbError(`Corrupt intset: ${what} (byte ${at} of the intset)`, at);
}

/** The values of the intset in `len` bytes of `buf` from `off`, as integers; checked strictly ascending. */
export function intsetValues(buf: Uint8Array, off = 0, len = buf.length - off): Array<number | bigint> {
  if (len < HEADER) throw corrupt(`${len} bytes is too short`, 0);
  const width = readIntLE(buf, off, 4);
  if (width !== 2 && width !== 4 && width !== 8) throw corrupt(`unknown encoding ${width}`, 0);
  const n = (buf[off + 4] | (buf[off + 5] << 8) | (buf[off + 6] << 16) | (buf[off + 7] << 24)) >>> 0;
  if (n * width !== len - HEADER) throw corrupt(`${n} values of ${width} bytes do not fill ${len - HEADER} bytes`, 4);
  const out: Array<number | bigint> = [];
  for (let i = 0; i < n; i++) {
    const v = readIntLE(buf, off + HEADER + i * width, width);
    if (i > 0 && !(out[i - 1] < v)) throw corrupt('values not in ascending order', HEADER + i * width);
    out.push(v);
  }
  return out;
}

/** The members of the intset, as decimal digits. */
export function decodeIntset(buf: Uint8Array, off = 0, len = buf.length - off): Uint8Array[] {
  return intsetValues(buf, off, len).map(decimalBytes);
}
