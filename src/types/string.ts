/**
 * String values. A string lives inline in its keyspace entry, after the key.
 * Its encoding is remembered as Redis would report it: "int" for values that
 * are canonical 64-bit integers (set by SET/INCR...), "embstr" for short
 * strings created whole, "raw" for longer ones and for strings changed in
 * place (APPEND, SETRANGE).
 */
import type { Keyspace } from '../shard/keyspace.js';
import { Enc, ObjType } from '../shard/object.js';
import { parseInt64 } from '../util/numbers.js';
import { segOf } from 'native-free-arena';
import { copyBytes } from '../util/bytes.js';

/** Longest string Redis stores as embstr. */
export const EMBSTR_MAX = 44;

/** The encoding Redis's tryObjectEncoding picks for a freshly set value. */
export function encodingForValue(u8: Uint8Array, off: number, len: number): Enc {
  if (len <= 20 && parseInt64(u8, off, len) !== null) return Enc.Int;
  return len <= EMBSTR_MAX ? Enc.Embstr : Enc.Raw;
}

/** The encoding of a value created by createStringObject (no integer check). */
export function encodingForCreated(len: number): Enc {
  return len <= EMBSTR_MAX ? Enc.Embstr : Enc.Raw;
}

/**
 * Stores a string under a key, replacing whatever was there. Keeps the TTL
 * only when `keepTtl`. `existing` is the live entry of the key or 0.
 * Returns the entry handle.
 */
export function setString(
  ks: Keyspace,
  db: number,
  key: Uint8Array,
  keyOff: number,
  keyLen: number,
  existing: number,
  val: Uint8Array,
  valOff: number,
  valLen: number,
  enc: Enc,
  keepTtl: boolean,
  lru: number,
): number {
  let h = existing;
  let exp = 0;
  if (h !== 0) {
    const had = ks.expireAt(h);
    // Reuse the entry only when the value fits without wasting much room, and its header keeps its size.
    const reuse = ks.type(h) === ObjType.String && ks.valueCapacity(h) >= valLen && ks.valueCapacity(h) <= valLen * 2 + 64 && (keepTtl || had === 0);
    if (reuse) {
      // Overwritten in place: a running snapshot keeps what it held.
      if (ks.onChanging !== null) ks.onChanging(db, h);
      ks.setMeta(h, ObjType.String, enc, lru);
    } else {
      exp = keepTtl ? had : 0;
      ks.removeEntry(db, h);
      // The key is overwritten, not created: no `new` event (Redis's dbOverwrite).
      ks.replacing = true;
      h = 0;
    }
  }
  if (h === 0) h = ks.insertNew(db, key, keyOff, keyLen, valLen, ObjType.String, enc, lru);
  ks.setValueWord(h, valLen);
  copyBytes(ks.arena.u8[segOf(h)], ks.valueOffset(h), val, valOff, valLen);
  // After the value: the header grows around what the entry holds.
  return exp === 0 ? h : ks.setExpire(db, h, exp);
}
