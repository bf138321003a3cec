/**
 * Between a shard's arena values and the element form RDB files and DUMP
 * payloads carry (rdb-value.ts). Reading copies every element out; storing
 * builds the value in the encoding Redis would pick on load for the same
 * elements and limits (listpack, intset, quicklist or the big encodings).
 */
import { type Arena, segOf } from 'native-free-arena';
import { Tunable } from '../config/tunables.js';
import { Enc, ObjType, type Keyspace } from '../shard/keyspace.js';
import { TYPE_OPS } from '../shard/value-ops.js';
import { hashCreate, hashLength, hashSet, hashToArray, hashToTable } from '../types/hash.js';
import { ensureTtls, fieldKey, ttlsOf } from '../types/hash-ttl.js';
import { TAIL, fitsListpack, listCreate, listListpackBytes, listPush, listToArray } from '../types/list.js';
import { type SetLimits, cur, kindForNew, setAdd, setCreate, setEncoding, setForEach } from '../types/set.js';
import { encodingForValue, setString } from '../types/string.js';
import { zsCreate, zsInsert, zsScore, zsToArray } from '../types/zset.js';
import { streamFromModel, streamToModel } from '../types/stream-codec.js';
import { sliceBytes } from '../util/bytes.js';
import type { EncodingLimits, RdbValue } from './rdb-value.js';

/**
 * The value of entry h as elements (copies). With `view`, a string's bytes
 * are a view of the arena instead: for a caller that writes them out before
 * anything else runs (a snapshot), without a copy per value.
 */
export function readValue(ks: Keyspace, h: number, view = false): RdbValue {
  const a = ks.arena;
  const v = ks.valueWord(h);
  switch (ks.type(h)) {
    case ObjType.String: {
      const o = ks.valueOffset(h);
      return { type: 'string', value: view ? a.u8[segOf(h)].subarray(o, o + v) : sliceBytes(a.u8[segOf(h)], o, v) };
    }
    case ObjType.List:
      return { type: 'list', items: listToArray(a, v) };
    case ObjType.Set: {
      const members: Uint8Array[] = [];
      setForEach(a, v, () => members.push(sliceBytes(cur.u8, cur.off, cur.len)));
      return { type: 'set', members };
    }
    case ObjType.Hash: {
      const pairs = hashToArray(a, v);
      const t = ttlsOf(a, v);
      if (t === undefined || t.size === 0) return { type: 'hash', pairs };
      return { type: 'hash', pairs, ttls: pairs.map(([f]) => t.get(fieldKey(f, 0, f.length)) ?? 0) };
    }
    case ObjType.ZSet:
      return { type: 'zset', entries: zsToArray(a, ks.encoding(h), v) };
    case ObjType.Stream:
      return { type: 'stream', stream: streamToModel(a, v) };
    default:
      throw new Error(`no RDB form for object type ${ks.type(h)}`);
  }
}

/** The encoding limits a shard's tunables set (the RDB writer picks encodings with them). */
export function limitsOf(t: Int32Array): EncodingLimits {
  return {
    hashMaxListpackEntries: t[Tunable.HashMaxListpackEntries],
    hashMaxListpackValue: t[Tunable.HashMaxListpackValue],
    zsetMaxListpackEntries: t[Tunable.ZsetMaxListpackEntries],
    zsetMaxListpackValue: t[Tunable.ZsetMaxListpackValue],
    setMaxIntsetEntries: t[Tunable.SetMaxIntsetEntries],
    listMaxListpackSize: t[Tunable.ListMaxListpackSize],
  };
}

/**
 * Stores `value` under key (u8[off, off+len)) in db, replacing `existing`
 * (the key's live entry, or 0). An empty collection stores nothing (Redis
 * refuses to load one) and returns 0; otherwise returns the new entry.
 * With `now`, hash fields whose TTL has passed are left out, as Redis
 * leaves them out on load (not while the AOF loads: keys do not expire then).
 */
export function storeValue(ks: Keyspace, t: Int32Array, db: number, key: Uint8Array, off: number, len: number, existing: number, value: RdbValue, lru: number, now = 0): number {
  if (value.type === 'string') {
    const s = value.value;
    return setString(ks, db, key, off, len, existing, s, 0, s.length, encodingForValue(s, 0, s.length), false, lru);
  }
  const a = ks.arena;
  let type: ObjType;
  let enc: Enc;
  let v: number;
  switch (value.type) {
    case 'list': {
      if (value.items.length === 0) return clear(ks, db, existing);
      v = listCreate(a);
      for (const e of value.items) listPush(a, v, TAIL, e, 0, e.length);
      type = ObjType.List;
      // As Redis 7.2 after loading (LIST_CONV_AUTO): a list that fits one node is a listpack.
      enc = fitsListpack(t[Tunable.ListMaxListpackSize], listListpackBytes(a, v), value.items.length, false) ? Enc.ListPack : Enc.QuickList;
      break;
    }
    case 'set': {
      const ms = value.members;
      if (ms.length === 0) return clear(ks, db, existing);
      const lim: SetLimits = {
        intsetEntries: t[Tunable.SetMaxIntsetEntries],
        listpackEntries: t[Tunable.SetMaxListpackEntries],
        listpackValue: t[Tunable.SetMaxListpackValue],
      };
      v = setCreate(a, kindForNew(ms[0], 0, ms[0].length, ms.length, lim));
      let added = 0;
      for (const m of ms) if (setAdd(a, v, m, 0, m.length, lim)) added++;
      // Redis refuses a set that names a member twice.
      if (added !== ms.length) throw discard(a, ObjType.Set, v, 'duplicate set member');
      type = ObjType.Set;
      enc = setEncoding(a, v);
      break;
    }
    case 'hash': {
      let ps = value.pairs;
      let ttls = value.ttls;
      if (ttls !== undefined && now > 0 && !ks.expireSuspended) {
        const live = ttls.map((x) => x === 0 || x > now);
        ps = ps.filter((_, i) => live[i]);
        ttls = ttls.filter((_, i) => live[i]);
      }
      if (ps.length === 0) return clear(ks, db, existing);
      const maxValue = t[Tunable.HashMaxListpackValue];
      const small = ps.length <= t[Tunable.HashMaxListpackEntries] && ps.every(([f, x]) => f.length <= maxValue && x.length <= maxValue);
      v = hashCreate(a);
      if (!small) v = hashToTable(a, v);
      for (const [f, x] of ps) v = hashSet(a, v, f, 0, f.length, x, 0, x.length);
      // Redis refuses a hash that names a field twice.
      if (hashLength(a, v) !== ps.length) throw discard(a, ObjType.Hash, v, 'duplicate hash field');
      if (ttls !== undefined) {
        ensureTtls(a, v);
        for (let i = 0; i < ps.length; i++) if (ttls[i] !== 0) ensureTtls(a, v).set(fieldKey(ps[i][0], 0, ps[i][0].length), ttls[i]);
      }
      type = ObjType.Hash;
      enc = small ? Enc.ListPack : Enc.HashTable;
      break;
    }
    case 'zset': {
      const es = value.entries;
      if (es.length === 0) return clear(ks, db, existing);
      const small = es.length <= t[Tunable.ZsetMaxListpackEntries] && es.every(([m]) => m.length <= t[Tunable.ZsetMaxListpackValue]);
      enc = small ? Enc.ListPack : Enc.SkipList;
      // Inserted in score order, each lands last (a listpack insert scans from the front).
      const sorted = [...es].sort((p, q) => p[1] - q[1] || Buffer.compare(p[0], q[0]));
      v = zsCreate(a, enc);
      for (const [m, s] of sorted) {
        if (Number.isNaN(s)) throw discard(a, ObjType.ZSet, v, 'NaN score');
        if (!Number.isNaN(zsScore(a, enc, v, m, 0, m.length))) throw discard(a, ObjType.ZSet, v, 'duplicate sorted set member');
        v = zsInsert(a, enc, v, s, m, 0, m.length);
      }
      type = ObjType.ZSet;
      break;
    }
    case 'stream':
      // Streams are stored even when empty (Redis keeps empty streams).
      v = streamFromModel(a, value.stream);
      type = ObjType.Stream;
      enc = Enc.Stream;
      break;
  }
  if (existing !== 0) ks.removeEntry(db, existing);
  const h = ks.insertNew(db, key, off, len, 0, type, enc, lru);
  ks.setValueWord(h, v);
  ks.trackPartsExpiry(db, h);
  return h;
}

function clear(ks: Keyspace, db: number, existing: number): number {
  if (existing !== 0) ks.removeEntry(db, existing);
  return 0;
}

/** Frees a value that will not be stored; returns the error to throw. */
function discard(a: Arena, type: ObjType, v: number, why: string): Error {
  TYPE_OPS[type]!.free(a, v);
  return new Error(why);
}
