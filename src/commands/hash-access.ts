/**
 * What every hash command goes through to reach its hash: lookups with the
 * lazy expiry of fields, creation, and setting fields with Redis's encoding
 * conversions (t_hash.c's hashTypeTryConversion / hashTypeSet). Shared by
 * the 7.0 commands (hashes.ts) and the field expiry ones (hash-field-expiry.ts).
 */
import { Notify } from '../util/keyspace-events.js';
import type { Exec } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Tunable } from '../config/tunables.js';
import { hashCreate, hashLength, hashSet, hashToTable, setCreated } from '../types/hash.js';
import { reclaimFields } from '../types/hash-expiry.js';
import { anyTtls, ttlsOf } from '../types/hash-ttl.js';

/** listpack's limit on its total size (lpSafeToAdd): past it Redis converts. */
const LISTPACK_SAFE = 1 << 30;

/** Creates key argument i as an empty (listpack) hash; returns the entry. */
export function newHash(x: Exec, i: number): number {
  const h = x.ks.insertNew(x.db, x.u8, x.off[i], x.len[i], 0, ObjType.Hash, Enc.ListPack, x.lru);
  x.ks.setValueWord(h, hashCreate(x.ks.arena));
  return h;
}

/**
 * Looks up argument i as a hash and reclaims its fields whose time has come
 * first (so every hash command sees live fields only): the entry, 0 when
 * missing (or emptied by that expiry), -1 after WRONGTYPE.
 */
export function lookupHash(x: Exec, i = 1, read = x.reads): number {
  const h = x.lookupTyped(i, ObjType.Hash, read);
  if (h <= 0 || !anyTtls()) return h;
  return expireDueFields(x, h) ? 0 : h;
}

/** The hash of key argument 1 for a write, created when missing; -1 after WRONGTYPE. */
export function lookupWriteOrCreate(x: Exec): number {
  const h = lookupHash(x);
  if (h === 0) return newHash(x, 1);
  return h;
}

/** Lazy field expiry of key argument i when it is a hash, with no reply and no lookup statistics (HSCAN, before its own lookup). */
export function expireFieldsOfArg(x: Exec, i: number): void {
  if (!anyTtls()) return;
  const h = x.ks.lookup(x.db, x.u8, x.off[i], x.len[i], x.now);
  if (h !== 0 && x.ks.type(h) === ObjType.Hash) expireDueFields(x, h);
}

/** Reclaims the due fields of hash entry h for a command; true when the hash emptied and its key went. */
function expireDueFields(x: Exec, h: number): boolean {
  const t = ttlsOf(x.ks.arena, x.ks.valueWord(h));
  if (t === undefined || t.min() > x.now || x.ks.expireSuspended) return false;
  const bus = x.bus;
  const events = bus !== null && (bus.notifyFlags & (Notify.Hash | Notify.Generic)) !== 0;
  const gone = reclaimFields(x.ks, x.db, h, x.now, Infinity, x.effects, x.txid, events ? (cls, event, key) => x.notify(cls, event, key) : null);
  return gone < 0;
}

export function convert(x: Exec, h: number): void {
  x.ks.setValueWord(h, hashToTable(x.ks.arena, x.ks.valueWord(h)));
  x.ks.setEncoding(h, Enc.HashTable);
}

/**
 * Redis's hashTypeTryConversion: before setting arguments [from, to], a
 * listpack becomes a hashtable when one of them is longer than
 * hash-max-listpack-value (or the listpack would pass its size limit).
 */
export function tryConversion(x: Exec, h: number, from: number, to: number): void {
  if (x.ks.encoding(h) !== Enc.ListPack) return;
  const max = x.shard.tunables[Tunable.HashMaxListpackValue];
  let sum = 0;
  for (let i = from; i <= to; i++) {
    if (x.len[i] > max) {
      convert(x, h);
      return;
    }
    sum += x.len[i];
  }
  if (x.ks.arena.usableSize(x.ks.valueWord(h)) + sum > LISTPACK_SAFE) convert(x, h);
}

/**
 * Redis's hashTypeSet: sets a field, converting a listpack first when the
 * field or value is too long for it (HINCRBY's case) and afterwards when it
 * has too many fields. A new value drops the field's TTL unless `keepTtl`.
 * Returns whether the field is new.
 */
export function setField(x: Exec, h: number, f: Uint8Array, fo: number, fn: number, v: Uint8Array, vo: number, vn: number, keepTtl = false): boolean {
  const a = x.ks.arena;
  const t = x.shard.tunables;
  let listpack = x.ks.encoding(h) === Enc.ListPack;
  if (listpack && (fn > t[Tunable.HashMaxListpackValue] || vn > t[Tunable.HashMaxListpackValue])) {
    convert(x, h);
    listpack = false;
  }
  const v0 = x.ks.valueWord(h);
  const v1 = hashSet(a, v0, f, fo, fn, v, vo, vn, keepTtl);
  const created = setCreated;
  if (v1 !== v0) x.ks.setValueWord(h, v1);
  if (listpack && hashLength(a, v1) > t[Tunable.HashMaxListpackEntries]) convert(x, h);
  return created;
}
