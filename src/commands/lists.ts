/**
 * The list family. Handlers run on the shard that owns the key (commands
 * with several keys, on the shard that owns all of them); replies and
 * errors follow Redis 7.0's t_list.c, including the order in which arguments,
 * key existence and key types are checked. An emptied list is deleted.
 * Encodings follow Redis 7.2: a list is a listpack until a write would take
 * it past list-max-listpack-size, and a quicklist until removals bring it
 * back under half of that (`growing` / `shrinking` below, where 7.2's
 * t_list.c calls listTypeTryConversion).
 */
import type { ShardHandler } from '../shard/exec.js';
import { replyBulk } from './bulk-reply.js';
import { mpopCommand, noKeyToPop, startPopReply } from './multi-pop.js';
import { Notify } from '../util/keyspace-events.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec, WRONGTYPE } from '../shard/exec.js';
import { TimeoutReply } from '../shard/blocking.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Tunable } from '../config/tunables.js';
import { listpackStoresInt } from '../persistence/listpack.js';
import {
  HEAD,
  ListIter,
  TAIL,
  type Where,
  elem,
  exceedsNodeLimit,
  fitsListpack,
  listCreate,
  listDelRange,
  listIndex,
  listInsert,
  listLength,
  listListpackBytes,
  listPeek,
  listPop,
  listPopCopy,
  listPositions,
  listPush,
  listRemove,
  listSet,
} from '../types/list.js';
import { INT64_MIN } from '../util/numbers.js';

const LIMIT = 2 ** 53;

const ERR_POSITIVE = 'ERR value is out of range, must be positive';
const ERR_INDEX = 'ERR index out of range';
const ERR_NO_KEY = 'ERR no such key';
const ERR_RANK =
  'ERR RANK can\'t be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list';

const iter = new ListIter();

/** LEFT / RIGHT, or null after replying a syntax error. */
function argWhere(x: Exec, i: number): Where | null {
  if (x.argIs(i, 'left')) return HEAD;
  if (x.argIs(i, 'right')) return TAIL;
  x.r.error(ERR_SYNTAX);
  return null;
}

/** Creates key argument i as an empty list (a listpack, as Redis 7.2 creates it); returns the entry. */
function newList(x: Exec, i: number): number {
  const h = x.ks.insertNew(x.db, x.u8, x.off[i], x.len[i], 0, ObjType.List, Enc.ListPack, x.lru);
  x.ks.setValueWord(h, listCreate(x.ks.arena));
  return h;
}

const fill = (x: Exec): number => x.shard.tunables[Tunable.ListMaxListpackSize];

/**
 * Before adding `count` elements of `bytes` bytes (their string lengths, as
 * 7.2 counts them) to list entry h: a listpack that would then exceed
 * list-max-listpack-size becomes a quicklist (listTypeTryConversionAppend).
 */
function growing(x: Exec, h: number, bytes: number, count: number): void {
  if (x.ks.encoding(h) !== Enc.ListPack) return;
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  if (exceedsNodeLimit(fill(x), listListpackBytes(a, lh) + bytes, listLength(a, lh) + count)) x.ks.setEncoding(h, Enc.QuickList);
}

/** growing() for arguments from..argc-1. */
function growingByArgs(x: Exec, h: number, from: number): void {
  let bytes = 0;
  for (let i = from; i < x.argc; i++) bytes += x.len[i];
  growing(x, h, bytes, x.argc - from);
}

/** After removing elements from list entry h: a quicklist back under half the limit becomes a listpack. */
function shrinking(x: Exec, h: number): void {
  if (x.ks.encoding(h) !== Enc.QuickList) return;
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  const len = listLength(a, lh);
  if (len > 0 && fitsListpack(fill(x), listListpackBytes(a, lh), len, true)) x.ks.setEncoding(h, Enc.ListPack);
}

/** After a change to list entry h: its event; deletes it when empty, tells WATCH otherwise. */
function changed(x: Exec, h: number, event: string): void {
  x.collectionChanged(h, Notify.List, event, listLength(x.ks.arena, x.ks.valueWord(h)) === 0);
}

/** After removals from list entry h: shrinking(), then changed(). */
function removed(x: Exec, h: number, event: string): void {
  shrinking(x, h);
  changed(x, h, event);
}

const popEvent = (where: Where): string => (where === HEAD ? 'lpop' : 'rpop');
const pushEvent = (where: Where): string => (where === HEAD ? 'lpush' : 'rpush');

/** Replies `n` elements from element `start`, towards the tail or the head. */
function replyRange(x: Exec, lh: number, start: number, n: number, forward: boolean): void {
  x.r.array(n);
  if (n === 0) return;
  const it = iter.seek(x.ks.arena, lh, start, forward);
  for (let k = 0; k < n && it.next(); k++) replyBulk(x, it.u8, it.off, it.len);
}

/**
 * Replies up to `count` elements popped from one end (in popping order)
 * and removes them; deletes the key when it empties.
 */
function popRange(x: Exec, h: number, where: Where, count: number): void {
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  const len = listLength(a, lh);
  const n = count > len ? len : count;
  replyRange(x, lh, where === HEAD ? 0 : len - 1, n, where === HEAD);
  listDelRange(a, lh, where === HEAD ? 0 : len - n, n);
  removed(x, h, popEvent(where));
}

// ---- commands --------------------------------------------------------------------

function pushGeneric(x: Exec, where: Where, onlyExisting: boolean): void {
  let h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    if (onlyExisting) {
      x.r.int(0);
      return;
    }
    h = newList(x, 1);
  }
  growingByArgs(x, h, 2);
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  for (let i = 2; i < x.argc; i++) listPush(a, lh, where, x.u8, x.off[i], x.len[i]);
  x.ks.modified(h);
  x.notifyArg(Notify.List, pushEvent(where), 1);
  x.r.int(listLength(a, lh));
}

function popGeneric(x: Exec, where: Where): void {
  if (x.argc > 3) {
    x.r.error(`ERR wrong number of arguments for '${x.name}' command`);
    return;
  }
  const hasCount = x.argc === 3;
  let count = 0;
  if (hasCount) {
    const v = x.argRange(2, 0, ERR_POSITIVE);
    if (v === null) return;
    count = v;
  }
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    if (hasCount) x.r.nullArray();
    else x.r.nullBulk();
    return;
  }
  if (hasCount) {
    if (count === 0) x.r.array(0);
    else popRange(x, h, where, count);
    return;
  }
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  listPeek(a, lh, where);
  replyBulk(x, elem.u8, elem.off, elem.len);
  listPop(a, lh, where);
  removed(x, h, popEvent(where));
}

function llen(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.List);
  if (h === 0) x.r.int(0);
  else if (h > 0) x.r.int(listLength(x.ks.arena, x.ks.valueWord(h)));
}

function lindex(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    x.r.nullBulk();
    return;
  }
  const i = x.argLong(2);
  if (i === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  if (listIndex(x.ks.arena, x.ks.valueWord(h), i)) replyBulk(x, elem.u8, elem.off, elem.len);
  else x.r.nullBulk();
}

function lset(x: Exec): void {
  const h = x.lookup(1);
  if (h === 0) {
    x.r.error(ERR_NO_KEY);
    return;
  }
  if (x.ks.type(h) !== ObjType.List) {
    x.r.error(WRONGTYPE);
    return;
  }
  const i = x.argLong(2);
  if (i === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  // As 7.2: the growth check comes first, even for an index out of range.
  growingByArgs(x, h, 3);
  if (!listSet(x.ks.arena, x.ks.valueWord(h), i, x.u8, x.off[3], x.len[3])) {
    x.r.error(ERR_INDEX);
    return;
  }
  shrinking(x, h);
  x.ks.modified(h);
  x.notifyArg(Notify.List, 'lset', 1);
  x.r.ok();
}

function linsert(x: Exec): void {
  let where: Where;
  if (x.argIs(2, 'after')) where = TAIL;
  else if (x.argIs(2, 'before')) where = HEAD;
  else {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    x.r.int(0);
    return;
  }
  // As 7.2: converted as if the element will be inserted, before the pivot is looked for.
  growingByArgs(x, h, 4);
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  if (listInsert(a, lh, where, x.u8, x.off[3], x.len[3], x.u8, x.off[4], x.len[4])) {
    x.ks.modified(h);
    x.notifyArg(Notify.List, 'linsert', 1);
    x.r.int(listLength(a, lh));
  } else {
    x.r.int(-1);
  }
}

/** Redis's range normalization for LRANGE/LTRIM: [start, stop], or null when empty. */
function clampRange(len: number, start: number, stop: number): [number, number] | null {
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return null;
  if (stop >= len) stop = len - 1;
  return [start, stop];
}

function lrange(x: Exec): void {
  const start = x.argLong(2);
  const stop = start === null ? null : x.argLong(3);
  if (start === null || stop === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    x.r.array(0);
    return;
  }
  const lh = x.ks.valueWord(h);
  const r = clampRange(listLength(x.ks.arena, lh), start, stop);
  if (r === null) x.r.array(0);
  else replyRange(x, lh, r[0], r[1] - r[0] + 1, true);
}

function ltrim(x: Exec): void {
  const start = x.argLong(2);
  const stop = start === null ? null : x.argLong(3);
  if (start === null || stop === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    x.r.ok();
    return;
  }
  const a = x.ks.arena;
  const lh = x.ks.valueWord(h);
  const len = listLength(a, lh);
  const r = clampRange(len, start, stop);
  // Redis's dirty counter moves by the elements removed: a trim that keeps them all is not replayed.
  if (r !== null && r[0] === 0 && r[1] === len - 1) x.propagateNothing();
  if (r === null) listDelRange(a, lh, 0, len);
  else {
    listDelRange(a, lh, r[1] + 1, len - r[1] - 1);
    listDelRange(a, lh, 0, r[0]);
  }
  removed(x, h, 'ltrim');
  x.r.ok();
}

function lrem(x: Exec): void {
  const count = x.argLong(2);
  if (count === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  const gone = listRemove(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[3], x.len[3], count);
  if (gone > 0) removed(x, h, 'lrem');
  else x.propagateNothing();
  x.r.int(gone);
}

function lpos(x: Exec): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  // RANK -2^63 cannot be negated in C: Redis then takes the first match from the
  // tail, and with COUNT never stops (its stop test overflows).
  let rankMin = false;
  for (let j = 3; j < x.argc; j++) {
    const more = j < x.argc - 1;
    if (x.argIs(j, 'rank') && more) {
      j++;
      const v = x.argInt64(j);
      if (v === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      if (v === 0) {
        x.r.error(ERR_RANK);
        return;
      }
      rankMin = v === INT64_MIN;
      rank = typeof v === 'bigint' ? (v > 0n ? LIMIT : -LIMIT) : v;
    } else if (x.argIs(j, 'count') && more) {
      const v = x.argRange(++j, 0, "ERR COUNT can't be negative");
      if (v === null) return;
      count = v;
    } else if (x.argIs(j, 'maxlen') && more) {
      const v = x.argRange(++j, 0, "ERR MAXLEN can't be negative");
      if (v === null) return;
      maxlen = v;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  const h = x.lookupTyped(1, ObjType.List);
  if (h < 0) return;
  if (h === 0) {
    if (count !== -1) x.r.array(0);
    else x.r.nullBulk();
    return;
  }
  let want = count === -1 ? 1 : count;
  if (rankMin) {
    rank = -1;
    if (count !== -1) want = 0;
  }
  const found: number[] = [];
  listPositions(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2], rank, want, maxlen, (p) => found.push(p));
  if (count !== -1) {
    x.r.array(found.length);
    for (const p of found) x.r.int(p);
  } else if (found.length > 0) x.r.int(found[0]);
  else x.r.nullBulk();
}

/** LMOVE / RPOPLPUSH with both keys on this shard. */
function moveGeneric(x: Exec, from: Where, to: Where): void {
  const src = x.lookupTyped(1, ObjType.List);
  if (src < 0) return;
  if (src === 0) {
    x.propagateNothing();
    x.r.nullBulk();
    return;
  }
  let dst = x.lookup(2);
  if (dst !== 0 && x.ks.type(dst) !== ObjType.List) {
    x.r.error(WRONGTYPE);
    return;
  }
  const a = x.ks.arena;
  // 7.2 pops a quicklist's integer as an integer object, whose bytes its growth check does not count.
  const fromQuicklist = x.ks.encoding(src) === Enc.QuickList;
  const value = listPopCopy(a, x.ks.valueWord(src), from)!;
  if (dst === 0) dst = newList(x, 2);
  growing(x, dst, fromQuicklist && listpackStoresInt(value, 0, value.length) ? 0 : value.length, 1);
  listPush(a, x.ks.valueWord(dst), to, value, 0, value.length);
  x.ks.modified(dst);
  // Redis's order: the push on the destination, then the pop on the source (and its del).
  x.notifyArg(Notify.List, pushEvent(to), 2);
  if (dst !== src) removed(x, src, popEvent(from));
  else {
    shrinking(x, src);
    x.notifyArg(Notify.List, popEvent(from), 1);
  }
  replyBulk(x, value, 0, value.length);
}

function lmove(x: Exec): void {
  const from = argWhere(x, 3);
  if (from === null) return;
  const to = argWhere(x, 4);
  if (to === null) return;
  moveGeneric(x, from, to);
}

/** LMPOP / BLMPOP's pop: up to `count` elements from one end, replied as an array. */
function mpopList(x: Exec, h: number, left: boolean, count: number): void {
  popRange(x, h, left ? HEAD : TAIL, count);
}

/** BLPOP / BRPOP key [key ...] timeout: the first non-empty list, or wait for one. */
function bpop(x: Exec, where: Where): void {
  const timeout = x.timeoutArg(x.argc - 1);
  if (timeout === null) return;
  const h = startPopReply(x, 1, x.argc - 1, ObjType.List, 2, where === HEAD ? 'LPOP' : 'RPOP', null);
  if (h > 0) {
    const value = listPopCopy(x.ks.arena, x.ks.valueWord(h), where)!;
    removed(x, h, popEvent(where));
    replyBulk(x, value, 0, value.length);
  } else if (h === 0) noKeyToPop(x, 1, x.argc - 1, timeout);
}

/** BLMOVE / BRPOPLPUSH: LMOVE once the source has an element. */
function bmove(x: Exec, from: Where, to: Where, timeoutIdx: number): void {
  const timeout = x.timeoutArg(timeoutIdx);
  if (timeout === null) return;
  const src = x.lookup(1);
  if (src !== 0 && x.ks.type(src) !== ObjType.List) {
    if (x.retrying) x.block([1], timeout, TimeoutReply.NullArray);
    else x.r.error(WRONGTYPE);
    return;
  }
  if (src !== 0) {
    moveGeneric(x, from, to);
    // As Redis: the AOF gets the move it made, which cannot block on replay.
    x.propagate('LMOVE', x.arg(1), x.arg(2), from === HEAD ? 'LEFT' : 'RIGHT', to === HEAD ? 'LEFT' : 'RIGHT');
  } else if (!x.mayBlock) x.r.nullBulk();
  else x.block([1], timeout, TimeoutReply.NullArray);
}

function blmove(x: Exec): void {
  const from = argWhere(x, 3);
  if (from === null) return;
  const to = argWhere(x, 4);
  if (to !== null) bmove(x, from, to, 5);
}

export const listHandlers: Record<string, ShardHandler> = {
  lpush: (x) => pushGeneric(x, HEAD, false),
  rpush: (x) => pushGeneric(x, TAIL, false),
  lpushx: (x) => pushGeneric(x, HEAD, true),
  rpushx: (x) => pushGeneric(x, TAIL, true),
  lpop: (x) => popGeneric(x, HEAD),
  rpop: (x) => popGeneric(x, TAIL),
  llen,
  lindex,
  lset,
  linsert,
  lrange,
  ltrim,
  lrem,
  lpos,
  lmove,
  rpoplpush: (x) => moveGeneric(x, TAIL, HEAD),
  blpop: (x) => bpop(x, HEAD),
  brpop: (x) => bpop(x, TAIL),
  blmove,
  brpoplpush: (x) => bmove(x, TAIL, HEAD, 3),
  blmpop: (x) => mpopCommand(x, 'blmpop', ObjType.List, mpopList),
  lmpop: (x) => mpopCommand(x, 'lmpop', ObjType.List, mpopList),
};
