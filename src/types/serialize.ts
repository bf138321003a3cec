/**
 * Moving a whole key between shards (RENAME, COPY, MOVE across shards): an
 * entry is exported as bytes and imported on the other side.
 *
 * Layout: u8 type, u8 encoding, 6 bytes zero, f64 expire-at (little endian),
 * then the type's payload (for strings: the value bytes). Types added later
 * extend the payload; the header stays.
 */
import { type Keyspace, ObjType } from '../shard/keyspace.js';
import { segOf } from 'native-free-arena';
import { setString } from './string.js';

const HEADER = 16;

export function exportEntry(ks: Keyspace, h: number): Uint8Array {
  const type = ks.type(h);
  if (type !== ObjType.String) throw new Error('exporting this type is not supported yet');
  const len = ks.valueWord(h);
  const out = new Uint8Array(HEADER + len);
  const dv = new DataView(out.buffer);
  out[0] = type;
  out[1] = ks.encoding(h);
  dv.setFloat64(8, ks.expireAt(h), true);
  const o = ks.valueOffset(h);
  out.set(ks.arena.u8[segOf(h)].subarray(o, o + len), HEADER);
  return out;
}

/**
 * Creates key (which the caller has made sure is absent or may be replaced:
 * `existing` is its live entry or 0) from an exported entry. Returns the handle.
 */
export function importEntry(ks: Keyspace, db: number, key: Uint8Array, keyOff: number, keyLen: number, existing: number, blob: Uint8Array, lru: number): number {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const type = blob[0] as ObjType;
  if (type !== ObjType.String) throw new Error('importing this type is not supported yet');
  const expireAt = dv.getFloat64(8, true);
  // Changes are reported (to WATCH) against the database written, which may not be the command's.
  const saved = ks.currentDb;
  ks.currentDb = db;
  const h = setString(ks, db, key, keyOff, keyLen, existing, blob, HEADER, blob.length - HEADER, blob[1], false, lru);
  if (expireAt !== 0) ks.setExpire(db, h, expireAt);
  ks.currentDb = saved;
  return h;
}
