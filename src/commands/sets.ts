/**
 * The set family. Handlers run on the shard that owns the key (for the
 * multi-key commands, every key is read through x.lookup, which a cross-shard
 * layer may serve for source keys of other shards). Replies, errors and the
 * order in which arguments, key existence and key types are checked follow
 * Redis 7.0's t_set.c; encodings follow Redis 7.2 (types/set.ts). An emptied
 * set is deleted.
 */
import { Notify } from '../util/keyspace-events.js';
import type { ShardHandler } from '../shard/exec.js';
import { TABLE_CURSOR_END, startCollectionScan } from './scan-args.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec, WRONGTYPE } from '../shard/exec.js';
import { ObjType } from '../shard/keyspace.js';
import { Tunable } from '../config/tunables.js';
import { globMatch } from '../util/glob.js';
import { distinctRandomRefs } from '../util/random-picks.js';
import { ERR_INT64_RANGE, INT64_MIN } from '../util/numbers.js';
import {
  K_HASHTABLE,
  type SetLimits,
  cur,
  kindForNew,
  setAdd,
  setCreate,
  setEncoding,
  setForEach,
  setFree,
  setHas,
  setKind,
  setMaybeConvert,
  setRandomRef,
  setRef,
  setRefs,
  setRemove,
  setScanTable,
  setSize,
} from '../types/set.js';
import { sliceBytes } from '../util/bytes.js';

const ERR_POSITIVE = 'ERR value is out of range, must be positive';
/**
 * A negative SRANDMEMBER count asks for |count| members with repeats; Redis
 * 7.0 builds the whole reply in memory and dies on huge counts. Shoal
 * refuses a reply it estimates (from a sample of members) above this many
 * bytes, which the shard could not build without risking its life.
 */
const MAX_REPEAT_REPLY_BYTES = 128 * 1024 * 1024;
const LIMIT = 2 ** 53;
/** Redis: SPOP moves the remaining members to a new set when count >= 5 × remaining. */
const SPOP_MOVE_STRATEGY_MUL = 5;

const lim: SetLimits = { intsetEntries: 512, listpackEntries: 128, listpackValue: 64 };
/** The thresholds now (CONFIG SET changes them live). */
function limits(x: Exec): SetLimits {
  const t = x.shard.tunables;
  lim.intsetEntries = t[Tunable.SetMaxIntsetEntries];
  lim.listpackEntries = t[Tunable.SetMaxListpackEntries];
  lim.listpackValue = t[Tunable.SetMaxListpackValue];
  return lim;
}

/** Keeps the keyspace entry's encoding in step with the set's layout. */
function syncEncoding(x: Exec, h: number): void {
  const enc = setEncoding(x.ks.arena, x.ks.valueWord(h));
  if (x.ks.encoding(h) !== enc) x.ks.setEncoding(h, enc);
}

/** After removals from set entry h: deletes it when empty, tells WATCH otherwise. */
function changed(x: Exec, h: number, event: string): void {
  x.collectionChanged(h, Notify.Set, event, setSize(x.ks.arena, x.ks.valueWord(h)) === 0);
}

/** Creates key argument i holding set v (the caller made sure the key is absent). */
function storeNew(x: Exec, i: number, v: number): number {
  const h = x.ks.insertNew(x.db, x.u8, x.off[i], x.len[i], 0, ObjType.Set, setEncoding(x.ks.arena, v), x.lru);
  x.ks.setValueWord(h, v);
  return h;
}

function replyCur(x: Exec): void {
  x.r.bulk(cur.u8, cur.off, cur.len);
}

/** Replies every member of v as a RESP3 set (an array in RESP2). */
function replyMembers(x: Exec, v: number): void {
  const a = x.ks.arena;
  x.r.set(setSize(a, v));
  setForEach(a, v, () => replyCur(x));
}

// ---- single-key commands ---------------------------------------------------------

function sadd(x: Exec): void {
  let h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  const a = x.ks.arena;
  const l = limits(x);
  const hint = x.argc - 2;
  if (h === 0) {
    h = storeNew(x, 1, setCreate(a, kindForNew(x.u8, x.off[2], x.len[2], hint, l)));
  } else {
    setMaybeConvert(a, x.ks.valueWord(h), hint, l);
  }
  const v = x.ks.valueWord(h);
  let added = 0;
  for (let i = 2; i < x.argc; i++) if (setAdd(a, v, x.u8, x.off[i], x.len[i], l)) added++;
  syncEncoding(x, h);
  if (added > 0) {
    x.ks.modified(h);
    x.notifyArg(Notify.Set, 'sadd', 1);
  } else x.propagateNothing();
  x.r.int(added);
}

function srem(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  let removed = 0;
  for (let i = 2; i < x.argc; i++) {
    if (setRemove(a, v, x.u8, x.off[i], x.len[i])) {
      removed++;
      if (setSize(a, v) === 0) break;
    }
  }
  if (removed > 0) changed(x, h, 'srem');
  else x.propagateNothing();
  x.r.int(removed);
}

function scard(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Set);
  if (h === 0) x.r.int(0);
  else if (h > 0) x.r.int(setSize(x.ks.arena, x.ks.valueWord(h)));
}

function sismember(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Set);
  if (h === 0) x.r.int(0);
  else if (h > 0) x.r.int(setHas(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2]) ? 1 : 0);
}

function smismember(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  const a = x.ks.arena;
  x.r.array(x.argc - 2);
  for (let i = 2; i < x.argc; i++) {
    x.r.int(h !== 0 && setHas(a, x.ks.valueWord(h), x.u8, x.off[i], x.len[i]) ? 1 : 0);
  }
}

function smembers(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  if (h === 0) x.r.set(0);
  else replyMembers(x, x.ks.valueWord(h));
}

function smove(x: Exec): void {
  const src = x.lookup(1);
  const dst = x.lookup(2);
  if (src === 0) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  if (x.ks.type(src) !== ObjType.Set || (dst !== 0 && x.ks.type(dst) !== ObjType.Set)) {
    x.r.error(WRONGTYPE);
    return;
  }
  const a = x.ks.arena;
  const sv = x.ks.valueWord(src);
  if (src === dst) {
    x.propagateNothing();
    x.r.int(setHas(a, sv, x.u8, x.off[3], x.len[3]) ? 1 : 0);
    return;
  }
  if (!setRemove(a, sv, x.u8, x.off[3], x.len[3])) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  changed(x, src, 'srem');
  const l = limits(x);
  let d = dst;
  if (d === 0) d = storeNew(x, 2, setCreate(a, kindForNew(x.u8, x.off[3], x.len[3], 1, l)));
  if (setAdd(a, x.ks.valueWord(d), x.u8, x.off[3], x.len[3], l)) {
    syncEncoding(x, d);
    x.ks.modified(d);
    x.notifyArg(Notify.Set, 'sadd', 2);
  }
  x.r.int(1);
}

// ---- random members --------------------------------------------------------------

/** `count` distinct random member references of v (count < size). */
function distinctRefs(x: Exec, v: number, count: number): Int32Array {
  const a = x.ks.arena;
  // A random reference into a packed set costs a walk: take them all.
  const one = setKind(a, v) === K_HASHTABLE ? () => setRandomRef(a, v, Math.random) : null;
  return distinctRandomRefs(setSize(a, v), count, () => setRefs(a, v), one);
}

function spop(x: Exec): void {
  if (x.argc > 3) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  if (x.argc === 3) {
    spopCount(x);
    return;
  }
  const h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    x.r.nullBulk();
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  setRef(a, v, setRandomRef(a, v, Math.random));
  const m = sliceBytes(cur.u8, cur.off, cur.len);
  x.r.bulkBytes(m);
  setRemove(a, v, m, 0, m.length);
  // A replay must remove the member this pop chose, not pick again.
  x.propagate('SREM', x.arg(1), m);
  changed(x, h, 'spop');
}

/** The AOF gets an SPOP's choice as SREMs of what it removed, 1024 members per command (as Redis 7). */
function propagateRemoved(x: Exec, members: Uint8Array[]): void {
  for (let i = 0; i < members.length; i += 1024) x.propagate('SREM', x.arg(1), ...members.slice(i, i + 1024));
}

function spopCount(x: Exec): void {
  const count = x.argLong(2);
  if (count === null || count < 0) {
    x.r.error(ERR_POSITIVE);
    return;
  }
  const h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  if (h === 0 || count === 0) {
    x.propagateNothing();
    x.r.set(0);
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const size = setSize(a, v);
  if (count >= size) {
    replyMembers(x, v);
    x.propagate('DEL', x.arg(1));
    x.collectionChanged(h, Notify.Set, 'spop', true);
    return;
  }
  const remaining = size - count;
  if (remaining * SPOP_MOVE_STRATEGY_MUL <= count) {
    spopMostOf(x, h, v, remaining);
    return;
  }
  const refs = distinctRefs(x, v, count);
  // Copy the chosen members out before removing any (removal moves packed members).
  const picked: Uint8Array[] = [];
  for (let i = 0; i < refs.length; i++) {
    setRef(a, v, refs[i]);
    picked.push(sliceBytes(cur.u8, cur.off, cur.len));
  }
  x.r.set(picked.length);
  for (const m of picked) {
    x.r.bulkBytes(m);
    setRemove(a, v, m, 0, m.length);
  }
  if (x.propagating) propagateRemoved(x, picked);
  changed(x, h, 'spop');
}

/**
 * SPOP of nearly everything (Redis's "case 3"): the few members that stay
 * move to a new set, created for them as SADD would create it (so a
 * hashtable of integers that keeps a handful becomes an intset again, as in
 * Redis), and the old set, now holding exactly the popped members, is the
 * reply.
 */
function spopMostOf(x: Exec, h: number, v: number, remaining: number): void {
  const a = x.ks.arena;
  const refs = distinctRefs(x, v, remaining);
  const kept: Uint8Array[] = [];
  for (let i = 0; i < refs.length; i++) {
    setRef(a, v, refs[i]);
    kept.push(sliceBytes(cur.u8, cur.off, cur.len));
  }
  const l = limits(x);
  const nv = setCreate(a, kindForNew(kept[0], 0, kept[0].length, kept.length, l));
  for (const m of kept) {
    setAdd(a, nv, m, 0, m.length, l);
    setRemove(a, v, m, 0, m.length);
  }
  replyMembers(x, v);
  if (x.propagating) {
    const popped: Uint8Array[] = [];
    setForEach(a, v, () => void popped.push(sliceBytes(cur.u8, cur.off, cur.len)));
    propagateRemoved(x, popped);
  }
  setFree(a, v);
  x.ks.setValueWord(h, nv);
  syncEncoding(x, h);
  x.ks.modified(h);
  x.notifyArg(Notify.Set, 'spop', 1);
}

/** Estimated RESP bytes of one member of v in a reply, from a small random sample. */
function estimateReplyBytes(x: Exec, v: number): number {
  const a = x.ks.arena;
  let total = 0;
  for (let i = 0; i < 8; i++) {
    setRef(a, v, setRandomRef(a, v, Math.random));
    total += cur.len;
  }
  const len = total / 8;
  // "$<len>\r\n<bytes>\r\n"
  return len + 5 + String(Math.round(len)).length;
}

function srandmember(x: Exec): void {
  if (x.argc > 3) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  if (x.argc === 2) {
    const h = x.lookupTyped(1, ObjType.Set);
    if (h < 0) return;
    if (h === 0) {
      x.r.nullBulk();
      return;
    }
    const a = x.ks.arena;
    const v = x.ks.valueWord(h);
    setRef(a, v, setRandomRef(a, v, Math.random));
    replyCur(x);
    return;
  }
  const n = x.argInt64(2);
  if (n === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  if (n === INT64_MIN) {
    x.r.error(ERR_INT64_RANGE);
    return;
  }
  const h = x.lookupTyped(1, ObjType.Set);
  if (h < 0) return;
  if (h === 0) {
    x.r.array(0);
    return;
  }
  const neg = n < 0;
  const count = typeof n === 'bigint' ? LIMIT : neg ? -n : n;
  if (count === 0) {
    x.r.array(0);
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const size = setSize(a, v);
  if (neg || count === 1) {
    if (count * 6 > MAX_REPEAT_REPLY_BYTES || count * estimateReplyBytes(x, v) > MAX_REPEAT_REPLY_BYTES) {
      x.r.error('ERR value is out of range');
      return;
    }
    // With repeats: each pick independent.
    x.r.array(count);
    if (setKind(a, v) === K_HASHTABLE) {
      for (let i = 0; i < count; i++) {
        setRef(a, v, setRandomRef(a, v, Math.random));
        replyCur(x);
      }
    } else {
      const refs = setRefs(a, v);
      for (let i = 0; i < count; i++) {
        setRef(a, v, refs[Math.floor(Math.random() * size)]);
        replyCur(x);
      }
    }
    return;
  }
  if (count >= size) {
    x.r.array(size);
    setForEach(a, v, () => replyCur(x));
    return;
  }
  const refs = distinctRefs(x, v, count);
  x.r.array(refs.length);
  for (let i = 0; i < refs.length; i++) {
    setRef(a, v, refs[i]);
    replyCur(x);
  }
}

// ---- SSCAN -----------------------------------------------------------------------


function sscan(x: Exec): void {
  const scan = startCollectionScan(x, ObjType.Set);
  if (scan === null) return;
  const { h, cursor, count, match } = scan;
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const found: Uint8Array[] = [];
  const take = (): void => {
    if (match === null || globMatch(match, 0, match.length, cur.u8, cur.off, cur.len, false)) found.push(sliceBytes(cur.u8, cur.off, cur.len));
  };
  let next = 0;
  if (setKind(a, v) !== K_HASHTABLE) {
    // Packed encodings answer everything at once, with cursor 0.
    setForEach(a, v, take);
  } else if (cursor < TABLE_CURSOR_END) {
    next = setScanTable(a, v, Number(cursor), count, take);
  }
  x.r.array(2);
  x.r.bulkString(String(next));
  x.r.array(found.length);
  for (const m of found) x.r.bulkBytes(m);
}

// ---- multi-key commands ----------------------------------------------------------

/**
 * Looks up keys [first, end) as sets into `out` (0 for a missing key).
 * Every key is checked before anything is computed, as Redis does: false
 * after replying WRONGTYPE.
 */
function lookupSets(x: Exec, first: number, end: number, out: number[]): boolean {
  out.length = 0;
  for (let i = first; i < end; i++) {
    const h = x.lookupTyped(i, ObjType.Set, true);
    if (h < 0) return false;
    out.push(h === 0 ? 0 : x.ks.valueWord(h));
  }
  return true;
}

const sets: number[] = [];

/** Writes the result of a STORE form: key 1 gets set v (freed instead when empty); replies its size. */
function storeResult(x: Exec, v: number): void {
  const a = x.ks.arena;
  const n = setSize(a, v);
  const old = x.peek(1);
  if (old !== 0) x.ks.removeEntry(x.db, old);
  if (n === 0) {
    setFree(a, v);
    // An empty result that deleted nothing changed nothing: Redis does not replay it.
    if (old !== 0) x.notifyArg(Notify.Generic, 'del', 1);
    else x.propagateNothing();
  } else {
    x.ks.replacing = old !== 0;
    storeNew(x, 1, v);
    // The command's own name: sinterstore, sunionstore, sdiffstore.
    x.notifyArg(Notify.Set, x.name, 1);
  }
  x.r.int(n);
}

/** SINTER / SINTERSTORE: keys from `first`; `store` writes key 1. */
function sinterGeneric(x: Exec, first: number, store: boolean): void {
  if (!lookupSets(x, first, x.argc, sets)) return;
  const a = x.ks.arena;
  if (sets.includes(0)) {
    if (store) {
      const old = x.peek(1);
      if (old !== 0) {
        x.ks.removeEntry(x.db, old);
        x.notifyArg(Notify.Generic, 'del', 1);
      } else x.propagateNothing();
      x.r.int(0);
    } else x.r.set(0);
    return;
  }
  // Walk the smallest set, probing the others.
  const order = sets.slice().sort((p, q) => setSize(a, p) - setSize(a, q));
  const small = order[0];
  const l = limits(x);
  const out = setCreate(a, 0);
  setForEach(a, small, () => {
    for (let j = 1; j < order.length; j++) {
      if (order[j] !== small && !setHas(a, order[j], cur.u8, cur.off, cur.len)) return;
    }
    setAdd(a, out, cur.u8, cur.off, cur.len, l);
  });
  if (store) {
    storeResult(x, out);
    return;
  }
  // The reply keeps the smallest set's order, as Redis replies while it walks it.
  x.r.set(setSize(a, out));
  setForEach(a, small, () => {
    for (let j = 1; j < order.length; j++) {
      if (order[j] !== small && !setHas(a, order[j], cur.u8, cur.off, cur.len)) return;
    }
    replyCur(x);
  });
  setFree(a, out);
}

const UNION = 0;
const DIFF = 1;

/** SUNION / SDIFF and their STORE forms (Redis 7.0's sunionDiffGenericCommand). */
function sunionDiffGeneric(x: Exec, first: number, store: boolean, op: number): void {
  if (!lookupSets(x, first, x.argc, sets)) return;
  const a = x.ks.arena;
  const l = limits(x);
  const out = setCreate(a, 0);
  const add = (): void => {
    setAdd(a, out, cur.u8, cur.off, cur.len, l);
  };
  if (op === UNION) {
    for (const v of sets) if (v !== 0) setForEach(a, v, add);
  } else if (sets[0] !== 0 && !sets.slice(1).includes(sets[0])) {
    // (The first key named again makes the difference empty.)
    let one = 0;
    let two = 0;
    for (const v of sets) {
      if (v === 0) continue;
      one += setSize(a, sets[0]);
      two += setSize(a, v);
    }
    // Redis's choice of algorithm, which decides the intermediate encodings.
    if (Math.floor(one / 2) <= two) {
      const rest = sets.slice(1).filter((v) => v !== 0);
      rest.sort((p, q) => setSize(a, q) - setSize(a, p));
      setForEach(a, sets[0], () => {
        for (const v of rest) if (setHas(a, v, cur.u8, cur.off, cur.len)) return;
        add();
      });
    } else {
      setForEach(a, sets[0], add);
      for (let j = 1; j < sets.length && setSize(a, out) > 0; j++) {
        if (sets[j] === 0) continue;
        setForEach(a, sets[j], () => {
          setRemove(a, out, cur.u8, cur.off, cur.len);
        });
      }
    }
  }
  if (store) storeResult(x, out);
  else {
    replyMembers(x, out);
    setFree(a, out);
  }
}

function sintercard(x: Exec): void {
  const numkeys = x.argLong(1);
  if (numkeys === null || numkeys < 1) {
    x.r.error('ERR numkeys should be greater than 0');
    return;
  }
  if (numkeys > x.argc - 2) {
    x.r.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  let limit = 0;
  for (let j = 2 + numkeys; j < x.argc; j++) {
    if (x.argIs(j, 'limit') && j + 1 < x.argc) {
      const v = x.argLong(j + 1);
      if (v === null || v < 0) {
        x.r.error("ERR LIMIT can't be negative");
        return;
      }
      limit = v;
      j++;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  if (!lookupSets(x, 2, 2 + numkeys, sets)) return;
  if (sets.includes(0)) {
    x.r.int(0);
    return;
  }
  const a = x.ks.arena;
  const order = sets.slice().sort((p, q) => setSize(a, p) - setSize(a, q));
  const small = order[0];
  let n = 0;
  // setForEach cannot stop early; the walk ignores members once the limit is reached.
  setForEach(a, small, () => {
    if (limit !== 0 && n >= limit) return;
    for (let j = 1; j < order.length; j++) {
      if (order[j] !== small && !setHas(a, order[j], cur.u8, cur.off, cur.len)) return;
    }
    n++;
  });
  x.r.int(n);
}

export const setHandlers: Record<string, ShardHandler> = {
  sadd,
  scard,
  sdiff: (x) => sunionDiffGeneric(x, 1, false, DIFF),
  sdiffstore: (x) => sunionDiffGeneric(x, 2, true, DIFF),
  sinter: (x) => sinterGeneric(x, 1, false),
  sintercard,
  sinterstore: (x) => sinterGeneric(x, 2, true),
  sismember,
  smembers,
  smismember,
  smove,
  spop,
  srandmember,
  srem,
  sscan,
  sunion: (x) => sunionDiffGeneric(x, 1, false, UNION),
  sunionstore: (x) => sunionDiffGeneric(x, 2, true, UNION),
};
