/**
 * SORT and SORT_RO on the key's shard. The front sends them here when every
 * key they read or write lives on this shard: no BY/GET pattern names a key
 * (BY without '*', GET '#'), or all pattern keys share a hash tag of this
 * shard (or there is one shard), and the STORE destination is here too.
 * Otherwise the front runs the multi-hop form (front/sort.ts), which uses
 * the two internal handlers below ("sort-load", "sort-lookup": not Redis
 * commands, not in the catalog, so no client can call them).
 * The logic shared with the front is in sort-core.ts.
 */
import { Notify } from '../util/keyspace-events.js';
import type { ShardHandler } from '../shard/exec.js';
import { type Exec, WRONGTYPE } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Tunable } from '../config/tunables.js';
import { ListIter, TAIL, fitsListpack, listCreate, listLength, listListpackBytes, listPush } from '../types/list.js';
import { cur, setForEach, setSize } from '../types/set.js';
import { ZIter, zsLength, zsToSkiplist } from '../types/zset.js';
import { hashGet, hv } from '../types/hash.js';
import { fieldKey, ttlsOf } from '../types/hash-ttl.js';
import {
  ERR_SCORES,
  type PatternKey,
  SortKind,
  type SortItem,
  type SortOptions,
  effective,
  fillKeys,
  isHashPattern,
  loadPlan,
  parseSortArgs,
  patternKey,
  sortItems,
} from './sort-core.js';
import { sliceBytes } from '../util/bytes.js';

const listIter = new ListIter();
const zIter = new ZIter();

/** The arguments as views (valid while the handler runs). */
function argViews(x: Exec): Uint8Array[] {
  const out: Uint8Array[] = new Array(x.argc);
  for (let i = 0; i < x.argc; i++) out[i] = x.u8.subarray(x.off[i], x.off[i] + x.len[i]);
  return out;
}

interface Loaded {
  kind: SortKind;
  items: SortItem[];
  start: number;
  end: number;
}

/**
 * Type check and element loading, shared by SORT and "sort-load". Replies
 * WRONGTYPE and returns null for a key of another type. A sorted set is
 * converted to a skiplist first, as Redis 7.0 does (OBJECT ENCODING shows it).
 */
function load(x: Exec, o: SortOptions): Loaded | null {
  const h = x.lookup(1, true);
  const a = x.ks.arena;
  let kind = SortKind.List;
  let len = 0;
  if (h !== 0) {
    const t = x.ks.type(h);
    if (t === ObjType.List) len = listLength(a, x.ks.valueWord(h));
    else if (t === ObjType.Set) {
      kind = SortKind.Set;
      len = setSize(a, x.ks.valueWord(h));
    } else if (t === ObjType.ZSet) {
      kind = SortKind.ZSet;
      if (x.ks.encoding(h) === Enc.ListPack) {
        x.ks.setValueWord(h, zsToSkiplist(a, x.ks.valueWord(h)));
        x.ks.setEncoding(h, Enc.SkipList);
      }
      len = zsLength(a, Enc.SkipList, x.ks.valueWord(h));
    } else {
      x.r.error(WRONGTYPE);
      return null;
    }
  }
  const eff = effective(o, kind);
  const plan = loadPlan(kind, len, eff, o.desc, o);
  const items: SortItem[] = [];
  const push = (u8: Uint8Array, off: number, n: number): void => {
    items.push({ el: u8.slice(off, off + n), score: 0, cmp: null });
  };
  if (plan.count > 0) {
    const v = x.ks.valueWord(h);
    if (kind === SortKind.List) {
      const it = listIter.seek(a, v, plan.from, !plan.reverse);
      for (let k = 0; k < plan.count && it.next(); k++) push(it.u8, it.off, it.len);
    } else if (kind === SortKind.Set) {
      setForEach(a, v, () => push(cur.u8, cur.off, cur.len));
    } else {
      const it = zIter.init(a, Enc.SkipList, v);
      let ok = it.seekRank(plan.from);
      for (let k = 0; k < plan.count && ok; k++) {
        push(it.u8, it.off, it.len);
        ok = plan.reverse ? it.prev() : it.next();
      }
    }
  }
  return { kind, items, start: plan.start, end: plan.end };
}

/**
 * lookupKeyByPattern for a key of this shard: a string's value, a hash
 * field's value, else null (missing or another type: nil, not an error).
 * The key is computed from the pattern, not an argument, so it is looked up
 * here directly; the front only sends such patterns when their keys are
 * all on this shard.
 */
function lookupLocal(x: Exec, pk: PatternKey): Uint8Array | null {
  const h = x.ks.lookup(x.db, pk.key, 0, pk.key.length, x.now);
  if (h === 0) return null;
  if (!x.noTouch) x.ks.touch(h, x.lru);
  return valueOf(x, h, pk.field);
}

/** The value a pattern lookup finds in entry h (a copy), or null. */
function valueOf(x: Exec, h: number, field: Uint8Array | null): Uint8Array | null {
  const t = x.ks.type(h);
  if (field === null) {
    if (t !== ObjType.String) return null;
    const o = x.ks.valueOffset(h);
    return sliceBytes(x.bytesOf(h), o, x.ks.valueWord(h));
  }
  if (t !== ObjType.Hash) return null;
  if (!hashGet(x.ks.arena, x.ks.valueWord(h), field, 0, field.length)) return null;
  // A field whose time has passed is not there (SORT only reads: the hash's next command reclaims it).
  const at = ttlsOf(x.ks.arena, x.ks.valueWord(h))?.get(fieldKey(field, 0, field.length));
  if (at !== undefined && at <= x.now) return null;
  return sliceBytes(hv.u8, hv.off, hv.len);
}

/** GET pattern p for element el: the element, a lookup, or nil. */
function getValue(x: Exec, p: Uint8Array, el: Uint8Array): Uint8Array | null {
  if (isHashPattern(p)) return el;
  const pk = patternKey(p, el);
  return pk === null ? null : lookupLocal(x, pk);
}

function sortGeneric(x: Exec, readonly: boolean): void {
  const args = argViews(x);
  const o = parseSortArgs(args, readonly);
  if (typeof o === 'string') {
    x.r.error(o);
    return;
  }
  const l = load(x, o);
  if (l === null) return;
  const { items, start, end } = l;
  const eff = effective(o, l.kind);
  let ok = true;
  if (!eff.dontsort) {
    let by: (Uint8Array | null)[] | null = null;
    if (eff.by !== null) {
      const p = eff.by;
      by = items.map((it) => {
        const pk = patternKey(p, it.el);
        return pk === null ? null : lookupLocal(x, pk);
      });
    }
    ok = fillKeys(items, eff, by);
    sortItems(items, eff, o.desc, o.store !== null);
  }
  if (!ok) {
    x.r.error(ERR_SCORES);
    return;
  }
  const n = end - start + 1;
  const gets = o.gets;
  if (o.store === null) {
    x.r.array(gets.length > 0 ? gets.length * n : n);
    for (let j = start; j <= end; j++) {
      const el = items[j].el;
      if (gets.length === 0) x.r.bulk(el, 0, el.length);
      for (const g of gets) {
        const v = getValue(x, g, el);
        if (v === null) x.r.nullBulk();
        else x.r.bulk(v, 0, v.length);
      }
    }
    return;
  }
  const values: Uint8Array[] = [];
  for (let j = start; j <= end; j++) {
    const el = items[j].el;
    if (gets.length === 0) values.push(el);
    // A missing GET value is stored as an empty string.
    for (const g of gets) values.push(getValue(x, g, el) ?? EMPTY);
  }
  storeList(x, o.storeArg, values);
  x.r.int(values.length);
}

const EMPTY = new Uint8Array(0);

/**
 * Replaces key argument i with a list of `values` whatever it held (its
 * TTL goes too), or deletes it when there are none, as Redis's setKey / dbDelete.
 */
function storeList(x: Exec, i: number, values: Uint8Array[]): void {
  const old = x.peek(i);
  if (old !== 0) x.ks.removeEntry(x.db, old);
  if (values.length === 0) {
    if (old !== 0) x.notifyArg(Notify.Generic, 'del', i);
    else x.propagateNothing();
    return;
  }
  x.ks.replacing = old !== 0;
  const a = x.ks.arena;
  const lh = listCreate(a);
  for (const v of values) listPush(a, lh, TAIL, v, 0, v.length);
  // Redis 7.2 builds a quicklist, then lets the result's size pick its encoding.
  const enc = fitsListpack(x.shard.tunables[Tunable.ListMaxListpackSize], listListpackBytes(a, lh), values.length, false) ? Enc.ListPack : Enc.QuickList;
  const h = x.ks.insertNew(x.db, x.u8, x.off[i], x.len[i], 0, ObjType.List, enc, x.lru);
  x.ks.setValueWord(h, lh);
  x.ks.modified(h);
  x.notifyArg(Notify.List, 'sortstore', i);
}

/**
 * Front step 1: the elements to sort. Same arguments as SORT (the front has
 * parsed them already); replies WRONGTYPE, or [kind, start, end, elements...].
 */
function sortLoad(x: Exec): void {
  const o = parseSortArgs(argViews(x), false);
  if (typeof o === 'string') {
    x.r.error(o);
    return;
  }
  const l = load(x, o);
  if (l === null) return;
  x.r.array(3 + l.items.length);
  x.r.int(l.kind);
  x.r.int(l.start);
  x.r.int(l.end);
  for (const it of l.items) x.r.bulk(it.el, 0, it.el.length);
}

/**
 * Front step 2: pattern lookups. Arguments are (key, field) pairs, an empty
 * field meaning a string key (a pattern never yields an empty field);
 * replies one bulk or nil per pair.
 */
function sortLookup(x: Exec): void {
  const n = (x.argc - 1) >> 1;
  x.r.array(n);
  for (let k = 0; k < n; k++) {
    const i = 1 + 2 * k;
    const h = x.lookup(i);
    const field = x.len[i + 1] === 0 ? null : x.u8.subarray(x.off[i + 1], x.off[i + 1] + x.len[i + 1]);
    const v = h === 0 ? null : valueOf(x, h, field);
    if (v === null) x.r.nullBulk();
    else x.r.bulk(v, 0, v.length);
  }
}

export const sortHandlers: Record<string, ShardHandler> = {
  sort: (x) => sortGeneric(x, false),
  sort_ro: (x) => sortGeneric(x, true),
  'sort-load': sortLoad,
  'sort-lookup': sortLookup,
};
