/**
 * Moving a whole key between shards (RENAME, COPY, MOVE across shards): an
 * entry is exported as bytes and imported on the other side.
 *
 * Layout: u8 type, u8 encoding, 6 bytes zero, f64 expire-at (little endian),
 * then the type's payload: for strings, the value bytes; for the collection
 * types, the bytes of their TypeOps.serialize (types/type-ops.ts).
 */
import type { Keyspace } from '../shard/keyspace.js';
import { Enc, ObjType } from '../shard/object.js';
import { segOf } from 'native-free-arena';
import { setString } from './string.js';
import { TYPE_OPS } from '../shard/value-ops.js';
import { copyBytes } from '../util/bytes.js';

const HEADER = 16;

export function exportEntry(ks: Keyspace, h: number): Uint8Array {
  const type = ks.type(h);
  let out: Uint8Array;
  if (type === ObjType.String) {
    const len = ks.valueWord(h);
    out = new Uint8Array(HEADER + len);
    const o = ks.valueOffset(h);
    copyBytes(out, HEADER, ks.arena.u8[segOf(h)], o, len);
  } else if (TYPE_OPS[type] !== undefined) {
    const payload = TYPE_OPS[type]!.serialize(ks.arena, ks.valueWord(h), ks.encoding(h));
    out = new Uint8Array(HEADER + payload.length);
    out.set(payload, HEADER);
  } else {
    throw new Error('exporting this type is not supported yet');
  }
  out[0] = type;
  out[1] = ks.encoding(h);
  new DataView(out.buffer).setFloat64(8, ks.expireAt(h), true);
  return out;
}

/**
 * Creates key (which the caller has made sure is absent or may be replaced:
 * `existing` is its live entry or 0) from an exported entry. Returns the handle.
 */
export function importEntry(ks: Keyspace, db: number, key: Uint8Array, keyOff: number, keyLen: number, existing: number, blob: Uint8Array, lru: number): number {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const type = blob[0] as ObjType;
  if (type !== ObjType.String && TYPE_OPS[type] === undefined) throw new Error('importing this type is not supported yet');
  const expireAt = dv.getFloat64(8, true);
  // Changes are reported (to WATCH) against the database written, which may not be the command's.
  const saved = ks.currentDb;
  ks.currentDb = db;
  let h: number;
  if (type === ObjType.String) {
    h = setString(ks, db, key, keyOff, keyLen, existing, blob, HEADER, blob.length - HEADER, blob[1], false, lru);
  } else {
    // Build the value first: a malformed blob throws before the keyspace changes.
    const v = TYPE_OPS[type]!.deserialize(ks.arena, blob, HEADER, blob.length, blob[1]);
    if (existing !== 0) ks.removeEntry(db, existing);
    h = ks.insertNew(db, key, keyOff, keyLen, 0, type, blob[1] as Enc, lru);
    ks.setValueWord(h, v);
    ks.trackPartsExpiry(db, h);
  }
  if (expireAt !== 0) h = ks.setExpire(db, h, expireAt);
  ks.currentDb = saved;
  return h;
}

/**
 * Gives the value of entry `src` to key `key` of database `db` (replacing
 * `existing`), keeping the TTL, without copying a non-string value: the
 * structure changes hands. The source entry is removed. Used by RENAME and
 * MOVE within a shard. Returns the new entry.
 */
export function transferEntry(ks: Keyspace, srcDb: number, src: number, db: number, key: Uint8Array, keyOff: number, keyLen: number, existing: number, lru: number): number {
  const type = ks.type(src);
  if (type === ObjType.String) {
    const h = importEntry(ks, db, key, keyOff, keyLen, existing, exportEntry(ks, src), lru);
    ks.removeEntry(srcDb, src);
    return h;
  }
  const enc = ks.encoding(src);
  const expireAt = ks.expireAt(src);
  const saved = ks.currentDb;
  ks.currentDb = srcDb;
  ks.modified(src);
  const value = ks.detachValue(src);
  ks.removeEntry(srcDb, src);
  ks.currentDb = db;
  if (existing !== 0) ks.removeEntry(db, existing);
  let h = ks.insertNew(db, key, keyOff, keyLen, 0, type, enc, lru);
  ks.setValueWord(h, value);
  ks.trackPartsExpiry(db, h);
  if (expireAt !== 0) h = ks.setExpire(db, h, expireAt);
  ks.currentDb = saved;
  return h;
}
