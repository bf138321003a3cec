/**
 * Ziplists, the compact encoding that listpacks replaced in Redis 7.0: RDB
 * files from older versions hold them (LIST_ZIPLIST, ZSET_ZIPLIST,
 * HASH_ZIPLIST, and the nodes of LIST_QUICKLIST). Read only.
 *
 *   <zlbytes u32 LE> <zltail u32 LE: offset of the last entry> <zllen u16 LE, 65535 = unknown>
 *   <entry>* 0xFF
 *   entry = <prevlen: size of the previous entry, 1 byte < 254, or 0xFE + u32 LE>
 *           <encoding> <data>
 *
 * Encodings, by the first byte:
 *   00xxxxxx              string of up to 63 bytes
 *   01xxxxxx yyyyyyyy     string of up to 16383 bytes (length big-endian)
 *   10000000 + u32 BE     longer string
 *   0xC0 / 0xD0 / 0xE0    int16 / int32 / int64 (LE)
 *   0xF0                  int24 (LE)
 *   0xFE                  int8
 *   0xF1..0xFD            the integer 0..12, in the encoding byte itself (xxxx - 1)
 */
import { RdbError } from './rdb-value.js';
import { decimalBytes, readIntLE } from './int-codec.js';
import { sliceBytes } from '../util/bytes.js';

const HEADER = 10;
const END = 0xff;
const BIG_PREVLEN = 0xfe;

function corrupt(what: string, at: number): RdbError {
  return new RdbError(`Corrupt ziplist: ${what} (byte ${at} of the ziplist)`, at);
}

/** The elements of the ziplist in `len` bytes of `buf` from `off`, integers as their decimal digits. */
export function decodeZiplist(buf: Uint8Array, off = 0, len = buf.length - off): Uint8Array[] {
  if (len < HEADER + 1) throw corrupt(`${len} bytes is too short`, 0);
  const u32 = (p: number) => (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
  const total = u32(off);
  if (total !== len) throw corrupt(`header says ${total} bytes, blob has ${len}`, 0);
  const tail = u32(off + 4);
  const count = buf[off + 8] | (buf[off + 9] << 8);
  if (buf[off + len - 1] !== END) throw corrupt('no terminator', len - 1);
  const end = off + len - 1;
  const out: Uint8Array[] = [];
  let p = off + HEADER;
  let prevSize = 0;
  let last = HEADER;
  while (p < end) {
    const start = p;
    // prevlen
    let prev: number;
    if (buf[p] < BIG_PREVLEN) {
      prev = buf[p++];
    } else if (buf[p] === BIG_PREVLEN) {
      if (p + 5 > end) throw corrupt('prevlen runs past the end', p - off);
      prev = u32(p + 1);
      p += 5;
    } else {
      throw corrupt('0xFF where an entry should start', p - off);
    }
    if (prev !== prevSize) throw corrupt(`prevlen ${prev} does not match the previous entry's ${prevSize} bytes`, start - off);
    if (p >= end) throw corrupt('entry cut short', p - off);
    const b = buf[p];
    let item: Uint8Array;
    switch (b >>> 6) {
      case 0: {
        const n = b & 0x3f;
        if (p + 1 + n > end) throw corrupt('string runs past the end', p - off);
        item = sliceBytes(buf, p + 1, n);
        p += 1 + n;
        break;
      }
      case 1: {
        if (p + 2 > end) throw corrupt('string header runs past the end', p - off);
        const n = ((b & 0x3f) << 8) | buf[p + 1];
        if (p + 2 + n > end) throw corrupt('string runs past the end', p - off);
        item = sliceBytes(buf, p + 2, n);
        p += 2 + n;
        break;
      }
      case 2: {
        if (b !== 0x80) throw corrupt(`unknown encoding 0x${b.toString(16)}`, p - off);
        if (p + 5 > end) throw corrupt('string header runs past the end', p - off);
        const n = ((buf[p + 1] << 24) | (buf[p + 2] << 16) | (buf[p + 3] << 8) | buf[p + 4]) >>> 0;
        if (n > end - p - 5) throw corrupt('string runs past the end', p - off);
        item = sliceBytes(buf, p + 5, n);
        p += 5 + n;
        break;
      }
      default: {
        let n: number;
        if (b === 0xc0) n = 2;
        else if (b === 0xd0) n = 4;
        else if (b === 0xe0) n = 8;
        else if (b === 0xf0) n = 3;
        else if (b === 0xfe) n = 1;
        else if (b >= 0xf1 && b <= 0xfd) n = 0;
        else throw corrupt(`unknown encoding 0x${b.toString(16)}`, p - off);
        if (p + 1 + n > end) throw corrupt('integer runs past the end', p - off);
        item = decimalBytes(n === 0 ? (b & 0x0f) - 1 : readIntLE(buf, p + 1, n));
        p += 1 + n;
      }
    }
    out.push(item);
    prevSize = p - start;
    last = start - off;
  }
  if (tail !== last) throw corrupt(`tail offset ${tail} is not the last entry's ${last}`, 4);
  if (count !== 65535 && count !== out.length) throw corrupt(`header counts ${count} elements, found ${out.length}`, 8);
  return out;
}
