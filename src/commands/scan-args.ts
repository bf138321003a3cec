/**
 * What HSCAN, SSCAN and ZSCAN share: the cursor, the key, and the COUNT and
 * MATCH options, read in Redis's order (cursor, then the key and its type,
 * then the options).
 */
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import type { ObjType } from '../shard/keyspace.js';

/**
 * A SCAN cursor as Redis 7.0 reads it (strtoul): an optional sign ('-n'
 * wraps to 2^64 - n), digits up to 2^64 - 1, the empty string as 0, and
 * nothing after a NUL byte (C strings). Leading whitespace and any other
 * character make it invalid (null).
 */
export function parseScanCursor(u8: Uint8Array, off: number, len: number): bigint | null {
  let end = off + len;
  for (let i = off; i < end; i++) {
    if (u8[i] === 0) {
      end = i;
      break;
    }
  }
  if (end === off) return 0n;
  const c0 = u8[off];
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return null;
  let i = off;
  let neg = false;
  if (c0 === 0x2d || c0 === 0x2b) {
    neg = c0 === 0x2d;
    i++;
  }
  if (i === end) return null;
  let v = 0n;
  for (; i < end; i++) {
    const d = u8[i] - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10n + BigInt(d);
    if (v >= 1n << 64n) return null;
  }
  return neg && v !== 0n ? (1n << 64n) - v : v;
}

export interface CollectionScan {
  /** The key's entry. */
  h: number;
  cursor: bigint;
  /** COUNT, capped at a million (a hint: no reply is that long anyway). */
  count: number;
  /** MATCH's pattern; null for none or "*" (Redis skips matching then). */
  match: Uint8Array | null;
}

/** DashTable cursors stay below 2^38 (a hash point times 64 plus a bucket): a larger one ends the scan. */
export const TABLE_CURSOR_END = 2n ** 38n;

/**
 * Starts HSCAN/SSCAN/ZSCAN on key argument 1 of `type`: replies the error,
 * or the empty scan of a missing key, and returns null; otherwise returns
 * what to scan.
 */
export function startCollectionScan(x: Exec, type: ObjType): CollectionScan | null {
  const cursor = parseScanCursor(x.u8, x.off[2], x.len[2]);
  if (cursor === null) {
    x.r.error('ERR invalid cursor');
    return null;
  }
  const h = x.lookupTyped(1, type);
  if (h < 0) return null;
  if (h === 0) {
    x.r.array(2);
    x.r.bulkString('0');
    x.r.array(0);
    return null;
  }
  let count = 10;
  let match: Uint8Array | null = null;
  for (let j = 3; j < x.argc; j += 2) {
    if (j + 1 >= x.argc) {
      x.r.error(ERR_SYNTAX);
      return null;
    }
    if (x.argIs(j, 'count')) {
      const c = x.argInt64(j + 1);
      if (c === null) {
        x.r.error(ERR_NOT_INT);
        return null;
      }
      if (c < 1) {
        x.r.error(ERR_SYNTAX);
        return null;
      }
      count = c > 1_000_000 ? 1_000_000 : Number(c);
    } else if (x.argIs(j, 'match')) {
      const p = x.argCopy(j + 1);
      match = p.length === 1 && p[0] === 0x2a ? null : p;
    } else {
      x.r.error(ERR_SYNTAX);
      return null;
    }
  }
  return { h, cursor, count, match };
}
