/**
 * Zipmaps, the small-hash encoding of Redis before 2.6 (HASH_ZIPMAP in RDB
 * files of those days). Read only.
 *
 *   <zmlen: count, 254 = unknown> (<len> <field> <len> <free> <value> <free bytes>)* 0xFF
 *   len = 1 byte < 254, or 0xFE + u32 LE
 *   free = 1 byte: unused bytes after the value (left by in-place updates)
 */
import { RdbError } from './rdb-value.js';
import { sliceBytes } from '../util/bytes.js';

const BIGLEN = 254;
const END = 0xff;

function corrupt(what: string, at: number): RdbError {
  return new RdbError(`Corrupt zipmap: ${what} (byte ${at} of the zipmap)`, at);
}

/** The field-value pairs of the zipmap in `len` bytes of `buf` from `off`. */
export function decodeZipmap(buf: Uint8Array, off = 0, len = buf.length - off): Array<[Uint8Array, Uint8Array]> {
  if (len < 2) throw corrupt(`${len} bytes is too short`, 0);
  const end = off + len;
  const count = buf[off];
  let p = off + 1;
  const out: Array<[Uint8Array, Uint8Array]> = [];

  const readLen = (): number => {
    if (p >= end) throw corrupt('length runs past the end', p - off);
    const b = buf[p];
    if (b < BIGLEN) {
      p++;
      return b;
    }
    if (b !== BIGLEN) throw corrupt('0xFF where a length should be', p - off);
    if (p + 5 > end) throw corrupt('length runs past the end', p - off);
    const n = (buf[p + 1] | (buf[p + 2] << 8) | (buf[p + 3] << 16) | (buf[p + 4] << 24)) >>> 0;
    p += 5;
    return n;
  };
  const readBytes = (n: number, what: string): Uint8Array => {
    if (n > end - p) throw corrupt(`${what} runs past the end`, p - off);
    const b = sliceBytes(buf, p, n);
    p += n;
    return b;
  };

  for (;;) {
    if (p >= end) throw corrupt('no terminator', p - off);
    if (buf[p] === END) {
      p++;
      break;
    }
    const field = readBytes(readLen(), 'field');
    const vlen = readLen();
    if (p >= end) throw corrupt('free byte runs past the end', p - off);
    const free = buf[p++];
    const value = readBytes(vlen, 'value');
    if (free > end - p) throw corrupt('free space runs past the end', p - off);
    p += free;
    out.push([field, value]);
  }
  if (p !== end) throw corrupt('bytes after the terminator', p - off);
  if (count < BIGLEN && count !== out.length) throw corrupt(`header counts ${count} pairs, found ${out.length}`, 0);
  return out;
}
