/**
 * The sorted-set family. Handlers run on the shard that owns the key (for
 * multi-key commands, on the shard running the handler, reading every key
 * through x.lookup). Replies, errors and the order in which arguments, keys
 * and types are checked follow Redis 7.0's t_zset.c. An emptied set is
 * deleted; a listpack set turns into a skiplist past
 * zset-max-listpack-entries / -value and never back, except that a
 * ZUNIONSTORE-style result is built in whichever encoding fits it.
 */
import { Notify } from '../util/keyspace-events.js';
import type { ShardHandler } from '../shard/exec.js';
import { TABLE_CURSOR_END, startCollectionScan } from './scan-args.js';
import { mpopCommand, noKeyToPop, startPopReply } from './multi-pop.js';
import { ERR_NOT_FLOAT, ERR_NOT_INT, ERR_SYNTAX, type Exec, WRONGTYPE } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Tunable } from '../config/tunables.js';
import { cur as setCur, setForEach, setHas, setSize } from '../types/set.js';
import { ERR_INT64_RANGE, INT64_MAX, INT64_MIN, formatDouble17g, parseDouble, parseDoubleLoose } from '../util/numbers.js';
import { globMatchBytes } from '../util/glob.js';
import { bytesCompare, sliceBytes } from '../util/bytes.js';
import { distinctRandomRefs } from '../util/random-picks.js';
import {
  type LexItem,
  type LexRange,
  type ScoreRange,
  ZIter,
  nodeMember,
  nodeScore,
  zsCreate,
  zsDelete,
  zsDeleteRange,
  zsInsert,
  zsLength,
  zsRandomNode,
  zsRank,
  zsScan,
  zsScore,
  zsToSkiplist,
  zsUpdate,
} from '../types/zset.js';

const LIMIT = 2 ** 53;
const ERR_MINMAX_FLOAT = 'ERR min or max is not a float';
const ERR_MINMAX_LEX = 'ERR min or max not valid string range item';
const ERR_POSITIVE = 'ERR value is out of range, must be positive';

const it = new ZIter();
const it2 = new ZIter();

function maxEntries(x: Exec): number {
  return x.shard.tunables[Tunable.ZsetMaxListpackEntries];
}
function maxValue(x: Exec): number {
  return x.shard.tunables[Tunable.ZsetMaxListpackValue];
}

/** Creates key argument i as an empty sorted set sized for `sizeHint` members (Redis's zsetTypeCreate). */
function newZset(x: Exec, i: number, sizeHint: number, maxLen: number): number {
  const enc = sizeHint <= maxEntries(x) && maxLen <= maxValue(x) ? Enc.ListPack : Enc.SkipList;
  const h = x.ks.insertNew(x.db, x.u8, x.off[i], x.len[i], 0, ObjType.ZSet, enc, x.lru);
  x.ks.setValueWord(h, zsCreate(x.ks.arena, enc));
  return h;
}

/** After a change: deletes the key when empty, tells WATCH otherwise. */
function changed(x: Exec, h: number, event: string): void {
  x.collectionChanged(h, Notify.Zset, event, zsLength(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h)) === 0);
}

function lenOf(x: Exec, h: number): number {
  return zsLength(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h));
}

function iterOf(x: Exec, h: number, iter = it): ZIter {
  return iter.init(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h));
}

// ---- add ---------------------------------------------------------------------------------

const enum Add {
  NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
  INCR = 16,
}
const ADD_NOP = 1;
const ADD_ADDED = 2;
const ADD_UPDATED = 4;
let addOut = 0;
let addScore = 0;

/**
 * Redis's zsetAdd on entry h: sets addOut / addScore; false when INCR made
 * NaN (nothing changed).
 */
function zsetAdd(x: Exec, h: number, score: number, m: Uint8Array, mo: number, mn: number, flags: number): boolean {
  const a = x.ks.arena;
  let enc = x.ks.encoding(h);
  let v = x.ks.valueWord(h);
  const cur = zsScore(a, enc, v, m, mo, mn);
  addOut = 0;
  if (cur === cur) {
    if (flags & Add.NX) {
      addOut = ADD_NOP;
      return true;
    }
    if (flags & Add.INCR) {
      score += cur;
      if (score !== score) return false;
    }
    if (((flags & Add.LT) && score >= cur) || ((flags & Add.GT) && score <= cur)) {
      addOut = ADD_NOP;
      return true;
    }
    addScore = score;
    if (score !== cur) {
      x.ks.setValueWord(h, zsUpdate(a, enc, v, score, m, mo, mn));
      addOut = ADD_UPDATED;
    }
    return true;
  }
  if (flags & Add.XX) {
    addOut = ADD_NOP;
    return true;
  }
  if (enc === Enc.ListPack && (zsLength(a, enc, v) + 1 > maxEntries(x) || mn > maxValue(x))) {
    v = zsToSkiplist(a, v);
    enc = Enc.SkipList;
    x.ks.setEncoding(h, enc);
  }
  x.ks.setValueWord(h, zsInsert(a, enc, v, score, m, mo, mn));
  addScore = score;
  addOut = ADD_ADDED;
  return true;
}

function zaddGeneric(x: Exec, flags: number): void {
  let j = 2;
  let ch = false;
  for (; j < x.argc; j++) {
    if (x.argIs(j, 'nx')) flags |= Add.NX;
    else if (x.argIs(j, 'xx')) flags |= Add.XX;
    else if (x.argIs(j, 'ch')) ch = true;
    else if (x.argIs(j, 'incr')) flags |= Add.INCR;
    else if (x.argIs(j, 'gt')) flags |= Add.GT;
    else if (x.argIs(j, 'lt')) flags |= Add.LT;
    else break;
  }
  const incr = (flags & Add.INCR) !== 0;
  const elements = x.argc - j;
  if (elements === 0 || elements % 2 !== 0) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const pairs = elements / 2;
  if ((flags & Add.NX) && (flags & Add.XX)) {
    x.r.error('ERR XX and NX options at the same time are not compatible');
    return;
  }
  if (((flags & Add.GT) && (flags & Add.NX)) || ((flags & Add.LT) && (flags & Add.NX)) || ((flags & Add.GT) && (flags & Add.LT))) {
    x.r.error('ERR GT, LT, and/or NX options at the same time are not compatible');
    return;
  }
  if (incr && pairs > 1) {
    x.r.error('ERR INCR option supports a single increment-element pair');
    return;
  }
  const scores: number[] = [];
  for (let k = 0; k < pairs; k++) {
    const s = parseDouble(x.u8, x.off[j + 2 * k], x.len[j + 2 * k]);
    if (s === null) {
      x.r.error(ERR_NOT_FLOAT);
      return;
    }
    scores.push(s);
  }
  // Redis 7.0 picks a new key's encoding from its first member alone; later
  // members convert it as they arrive (observable: a -0 added while it is a
  // listpack is stored as 0).
  const maxLen = x.len[j + 1];
  let h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (h === 0 && (flags & Add.XX) === 0) h = newZset(x, 1, 1, maxLen);
  if (h !== 0) {
    for (let k = 0; k < pairs; k++) {
      const mi = j + 2 * k + 1;
      if (!zsetAdd(x, h, scores[k], x.u8, x.off[mi], x.len[mi], flags)) {
        // As Redis: what was added before the NaN stays, and is announced.
        if (added + updated > 0) {
          x.ks.modified(h);
          x.notifyArg(Notify.Zset, incr ? 'zincr' : 'zadd', 1);
        }
        x.r.error('ERR resulting score is not a number (NaN)');
        return;
      }
      if (addOut & ADD_ADDED) added++;
      if (addOut & ADD_UPDATED) updated++;
      if (!(addOut & ADD_NOP)) processed++;
      score = addScore;
    }
    if (added + updated > 0) {
      x.ks.modified(h);
      x.notifyArg(Notify.Zset, incr ? 'zincr' : 'zadd', 1);
    }
  }
  // Nothing added or changed: not a change Redis replicates (its dirty counter did not move).
  if (added + updated === 0) x.propagateNothing();
  if (incr) {
    if (processed > 0) x.r.double(score);
    else x.r.nullBulk();
  } else x.r.int(ch ? added + updated : added);
}

// ---- reading -------------------------------------------------------------------------------

function zcard(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h >= 0) x.r.int(h === 0 ? 0 : lenOf(x, h));
}

function zscore(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0) {
    x.r.nullBulk();
    return;
  }
  const s = zsScore(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), x.u8, x.off[2], x.len[2]);
  if (s === s) x.r.double(s);
  else x.r.nullBulk();
}

function zmscore(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  x.r.array(x.argc - 2);
  for (let i = 2; i < x.argc; i++) {
    const s = h === 0 ? NaN : zsScore(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), x.u8, x.off[i], x.len[i]);
    if (s === s) x.r.double(s);
    else x.r.nullBulk();
  }
}

/** ZRANK/ZREVRANK key member [WITHSCORE] (WITHSCORE since Redis 7.2: a null array when missing). */
function zrank(x: Exec, rev: boolean): void {
  if (x.argc > 4) {
    x.r.error(`ERR wrong number of arguments for '${rev ? 'zrevrank' : 'zrank'}' command`);
    return;
  }
  const withScore = x.argc === 4;
  if (withScore && !x.argIs(3, 'withscore')) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  const r = h === 0 ? -1 : zsRank(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), x.u8, x.off[2], x.len[2]);
  if (r < 0) {
    if (withScore) x.r.nullArray();
    else x.r.nullBulk();
    return;
  }
  if (withScore) x.r.array(2);
  x.r.int(rev ? lenOf(x, h) - 1 - r : r);
  if (withScore) x.r.double(zsScore(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), x.u8, x.off[2], x.len[2]));
}

// ---- ranges ----------------------------------------------------------------------------------

const scoreRange: ScoreRange = { min: 0, max: 0, minex: false, maxex: false };
const lexRange: LexRange = {
  min: { kind: 'min', u8: new Uint8Array(0), off: 0, len: 0 },
  max: { kind: 'max', u8: new Uint8Array(0), off: 0, len: 0 },
};

/** Redis's zslParseRange bound: "(" exclusive, strtod on the rest (a C string). */
function parseScoreBound(x: Exec, i: number, isMax: boolean): boolean {
  let o = x.off[i];
  let n = x.len[i];
  let ex = false;
  if (n > 0 && x.u8[o] === 0x28) {
    ex = true;
    o++;
    n--;
  }
  const v = parseDoubleLoose(x.u8, o, n);
  if (v === null || v !== v) return false;
  if (isMax) {
    scoreRange.max = v;
    scoreRange.maxex = ex;
  } else {
    scoreRange.min = v;
    scoreRange.minex = ex;
  }
  return true;
}

function parseScoreRange(x: Exec, minIdx: number, maxIdx: number): boolean {
  if (parseScoreBound(x, minIdx, false) && parseScoreBound(x, maxIdx, true)) return true;
  x.r.error(ERR_MINMAX_FLOAT);
  return false;
}

function parseLexItem(x: Exec, i: number, item: LexItem): boolean {
  const o = x.off[i];
  const n = x.len[i];
  if (n === 0) return false;
  const c = x.u8[o];
  // '+' and '-' are C-string compared: anything after a NUL is ignored.
  if (c === 0x2b || c === 0x2d) {
    if (n > 1 && x.u8[o + 1] !== 0) return false;
    item.kind = c === 0x2b ? 'max' : 'min';
    return true;
  }
  if (c !== 0x28 && c !== 0x5b) return false;
  item.kind = c === 0x28 ? 'excl' : 'incl';
  item.u8 = x.u8;
  item.off = o + 1;
  item.len = n - 1;
  return true;
}

function parseLexRange(x: Exec, minIdx: number, maxIdx: number): boolean {
  if (parseLexItem(x, minIdx, lexRange.min) && parseLexItem(x, maxIdx, lexRange.max)) return true;
  x.r.error(ERR_MINMAX_LEX);
  return false;
}

const enum RangeType {
  Auto,
  Rank,
  Score,
  Lex,
}
const enum Dir {
  Auto,
  Forward,
  Reverse,
}

/** Where range results go: a reply, or a store (ZRANGESTORE). */
interface Sink {
  begin(n: number): void;
  emit(u8: Uint8Array, off: number, len: number, score: number): void;
}

let sinkX: Exec;
let sinkScores = false;
const replySink: Sink = {
  begin(n) {
    if (sinkScores && !sinkX.resp3) sinkX.r.array(n * 2);
    else sinkX.r.array(n);
  },
  emit(u8, off, len, score) {
    const r = sinkX.r;
    if (!sinkScores) {
      r.bulk(u8, off, len);
      return;
    }
    if (sinkX.resp3) r.array(2);
    r.bulk(u8, off, len);
    r.double(score);
  },
};

let storeMembers: Uint8Array[] = [];
let storeScores: number[] = [];
const storeSink: Sink = {
  begin() {
    storeMembers = [];
    storeScores = [];
  },
  emit(u8, off, len, score) {
    storeMembers.push(sliceBytes(u8, off, len));
    storeScores.push(score);
  },
};

/** Emits the elements of rank [start, end] (after Redis's clamping), in direction order. */
function rankRange(x: Exec, h: number, start: number, end: number, rev: boolean, sink: Sink): void {
  const llen = lenOf(x, h);
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    sink.begin(0);
    return;
  }
  if (end >= llen) end = llen - 1;
  const n = end - start + 1;
  sink.begin(n);
  const iter = iterOf(x, h);
  if (!iter.seekRank(rev ? llen - 1 - start : start)) return;
  for (let k = 0; k < n; k++) {
    sink.emit(iter.u8, iter.off, iter.len, iter.score);
    if (rev ? !iter.prev() : !iter.next()) break;
  }
}

/** Positions `iter` at the first element of a score/lex range in direction order. */
function seekRange(iter: ZIter, type: RangeType, rev: boolean): boolean {
  if (type === RangeType.Score) return rev ? iter.lastInScore(scoreRange) : iter.firstInScore(scoreRange);
  return rev ? iter.lastInLex(lexRange) : iter.firstInLex(lexRange);
}

function stillIn(iter: ZIter, type: RangeType, rev: boolean): boolean {
  if (type === RangeType.Score) {
    const s = iter.score;
    const r = scoreRange;
    return rev ? (r.minex ? s > r.min : s >= r.min) : r.maxex ? s < r.max : s <= r.max;
  }
  return rev ? iter.lexGteMin(lexRange) : iter.lexLteMax(lexRange);
}

/** Walks a score/lex range with Redis's offset/limit rules; emit false only counts. */
function walkRange(x: Exec, h: number, type: RangeType, rev: boolean, offset: number, limit: number, sink: Sink | null): number {
  const iter = iterOf(x, h);
  if (!seekRange(iter, type, rev)) return 0;
  // A negative offset walks off the end (Redis decrements it to exhaustion).
  if (offset < 0) return 0;
  let ok = true;
  for (let k = 0; k < offset && ok; k++) ok = rev ? iter.prev() : iter.next();
  if (!ok) return 0;
  let n = 0;
  while (limit !== 0) {
    if (!stillIn(iter, type, rev)) break;
    if (sink !== null) sink.emit(iter.u8, iter.off, iter.len, iter.score);
    n++;
    if (limit > 0) limit--;
    if (rev ? !iter.prev() : !iter.next()) break;
  }
  return n;
}

function scoreLexRange(x: Exec, h: number, type: RangeType, rev: boolean, offset: number, limit: number, sink: Sink): void {
  if (offset > 0 && offset >= lenOf(x, h)) {
    sink.begin(0);
    return;
  }
  const n = walkRange(x, h, type, rev, offset, limit, null);
  sink.begin(n);
  if (n > 0) walkRange(x, h, type, rev, offset, n, sink);
}

/**
 * Redis's zrangeGenericCommand: ZRANGE and its older forms, and ZRANGESTORE
 * (`store`: destination at 1, source at 2).
 */
function zrangeGeneric(x: Exec, store: boolean, type: RangeType, dir: Dir): void {
  const keyIdx = store ? 2 : 1;
  let minIdx = keyIdx + 1;
  let maxIdx = keyIdx + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyIdx + 3; j < x.argc; j++) {
    const left = x.argc - j - 1;
    if (!store && x.argIs(j, 'withscores')) withscores = true;
    else if (x.argIs(j, 'limit') && left >= 2) {
      const o = x.argLong(j + 1);
      const l = o === null ? null : x.argLong(j + 2);
      if (o === null || l === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (dir === Dir.Auto && x.argIs(j, 'rev')) dir = Dir.Reverse;
    else if (type === RangeType.Auto && x.argIs(j, 'bylex')) type = RangeType.Lex;
    else if (type === RangeType.Auto && x.argIs(j, 'byscore')) type = RangeType.Score;
    else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  if (dir === Dir.Auto) dir = Dir.Forward;
  if (type === RangeType.Auto) type = RangeType.Rank;
  // Redis tests only the count: "LIMIT 5 -1" with a rank range passes.
  if (limit !== -1 && type === RangeType.Rank) {
    x.r.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return;
  }
  if (withscores && type === RangeType.Lex) {
    x.r.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  const rev = dir === Dir.Reverse;
  if (rev && type !== RangeType.Rank) {
    const t = minIdx;
    minIdx = maxIdx;
    maxIdx = t;
  }
  let start = 0;
  let end = 0;
  if (type === RangeType.Rank) {
    const s = x.argLong(minIdx);
    const e = s === null ? null : x.argLong(maxIdx);
    if (s === null || e === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
    start = s;
    end = e;
  } else if (type === RangeType.Score) {
    if (!parseScoreRange(x, minIdx, maxIdx)) return;
  } else if (!parseLexRange(x, minIdx, maxIdx)) return;

  const h = x.lookup(keyIdx, true);
  if (h !== 0 && x.ks.type(h) !== ObjType.ZSet) {
    x.r.error(WRONGTYPE);
    return;
  }
  const sink = store ? storeSink : replySink;
  sinkX = x;
  sinkScores = withscores;
  if (h === 0) sink.begin(0);
  else if (type === RangeType.Rank) rankRange(x, h, start, end, rev, sink);
  else scoreLexRange(x, h, type, rev, offset, limit, sink);
  if (store) {
    if (h === 0) storeMembers = [];
    else zeroesWhilePacked(x, type === RangeType.Rank);
    x.r.int(storeResult(x, 1, storeMembers, storeScores, false));
  }
}

/**
 * Redis 7.0's ZRANGESTORE creates the destination before the first element:
 * a listpack unless a rank range has more elements than
 * zset-max-listpack-entries (a score or lex range's length is unknown then,
 * so it always starts as a listpack), and adds the elements one by one in
 * the range's direction, converting to a skiplist when one is too long or
 * one too many. A -0 added while the destination is still a listpack is
 * stored as 0 (the listpack keeps scores as text) and stays 0 after the
 * conversion; one added after it stays -0. storeResult picks the final
 * encoding (the same as Redis's) up front, so the -0 scores the listpack
 * phase would have turned into 0 are turned here.
 */
function zeroesWhilePacked(x: Exec, rank: boolean): void {
  const n = storeMembers.length;
  const entries = maxEntries(x);
  if (rank && n > entries) return;
  const value = maxValue(x);
  for (let k = 0; k < n && k < entries && storeMembers[k].length <= value; k++) {
    if (storeScores[k] === 0) storeScores[k] = 0;
  }
}

/**
 * Replaces key argument `dst` with the given members (already unique) and
 * scores; deletes it when there are none. Returns the count. `event` is the
 * keyspace event of a non-empty result (GEOSEARCHSTORE's differs from its name).
 */
export function storeResult(x: Exec, dst: number, members: Uint8Array[], scores: number[], sorted: boolean, event = x.name): number {
  const old = x.lookup(dst);
  if (old !== 0) x.ks.removeEntry(x.db, old);
  const n = members.length;
  if (n === 0) {
    // An empty result that deleted nothing changed nothing: Redis does not replay it.
    if (old !== 0) x.notifyArg(Notify.Generic, 'del', dst);
    else x.propagateNothing();
    return 0;
  }
  let maxLen = 0;
  for (const m of members) if (m.length > maxLen) maxLen = m.length;
  x.ks.replacing = old !== 0;
  const h = newZset(x, dst, n, maxLen);
  const a = x.ks.arena;
  const enc = x.ks.encoding(h);
  let v = x.ks.valueWord(h);
  if (!sorted && enc === Enc.ListPack) {
    // Listpack inserts scan from the front: insert in order so each lands last.
    const idx = members.map((_, i) => i).sort((p, q) => cmpScoreMember(scores[p], members[p], scores[q], members[q]));
    for (const i of idx) v = zsInsert(a, enc, v, scores[i], members[i], 0, members[i].length);
  } else {
    for (let i = 0; i < n; i++) v = zsInsert(a, enc, v, scores[i], members[i], 0, members[i].length);
  }
  x.ks.setValueWord(h, v);
  x.ks.modified(h);
  // By default the command's own name: zunionstore, zinterstore, zdiffstore, zrangestore.
  x.notifyArg(Notify.Zset, event, dst);
  return n;
}

function cmpScoreMember(sa: number, ma: Uint8Array, sb: number, mb: Uint8Array): number {
  if (sa !== sb) return sa < sb ? -1 : 1;
  return bytesCompare(ma, 0, ma.length, mb, 0, mb.length);
}

function countRange(x: Exec, type: RangeType): void {
  if (type === RangeType.Score ? !parseScoreRange(x, 2, 3) : !parseLexRange(x, 2, 3)) return;
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  x.r.int(h === 0 ? 0 : walkRange(x, h, type, false, 0, -1, null));
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX. */
function zremrange(x: Exec, type: RangeType): void {
  let start = 0;
  let end = 0;
  if (type === RangeType.Rank) {
    const s = x.argLong(2);
    const e = s === null ? null : x.argLong(3);
    if (s === null || e === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
    start = s;
    end = e;
  } else if (type === RangeType.Score ? !parseScoreRange(x, 2, 3) : !parseLexRange(x, 2, 3)) return;
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0) {
    x.r.int(0);
    return;
  }
  const a = x.ks.arena;
  const llen = lenOf(x, h);
  let count: number;
  if (type === RangeType.Rank) {
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
      x.r.int(0);
      return;
    }
    if (end >= llen) end = llen - 1;
    count = end - start + 1;
  } else {
    const iter = iterOf(x, h);
    if (!seekRange(iter, type, false)) {
      x.r.int(0);
      return;
    }
    start = rankOfIter(x, h, iter);
    count = walkRange(x, h, type, false, 0, -1, null);
  }
  x.ks.setValueWord(h, zsDeleteRange(a, x.ks.encoding(h), x.ks.valueWord(h), start, count));
  // zremrangebyrank, zremrangebyscore, zremrangebylex.
  if (count > 0) changed(x, h, x.name);
  x.r.int(count);
}

function rankOfIter(x: Exec, h: number, iter: ZIter): number {
  return zsRank(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), iter.u8, iter.off, iter.len);
}

function zrem(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  const a = x.ks.arena;
  let deleted = 0;
  for (let i = 2; i < x.argc; i++) {
    if (zsDelete(a, x.ks.encoding(h), x.ks.valueWord(h), x.u8, x.off[i], x.len[i])) {
      deleted++;
      if (lenOf(x, h) === 0) break;
    }
  }
  if (deleted > 0) changed(x, h, 'zrem');
  else x.propagateNothing();
  x.r.int(deleted);
}

// ---- pops ----------------------------------------------------------------------------------------

/**
 * Pops up to `count` elements from entry h (min or max end) and replies
 * them: flat [member, score, ...] (RESP3 with count: [[member, score], ...]),
 * or, `nested`, always pairs as ZMPOP replies them.
 */
function popReply(x: Exec, h: number, max: boolean, count: number, withCount: boolean, nested: boolean): void {
  const a = x.ks.arena;
  const llen = lenOf(x, h);
  const n = count > llen ? llen : count;
  const pairs = nested || (withCount && x.resp3);
  x.r.array(pairs ? n : n * 2);
  const iter = iterOf(x, h);
  if (max) iter.last();
  else iter.first();
  for (let k = 0; k < n; k++) {
    if (pairs) x.r.array(2);
    x.r.bulk(iter.u8, iter.off, iter.len);
    x.r.double(iter.score);
    if (max) iter.prev();
    else iter.next();
  }
  x.ks.setValueWord(h, zsDeleteRange(a, x.ks.encoding(h), x.ks.valueWord(h), max ? llen - n : 0, n));
  if (n > 0) changed(x, h, max ? 'zpopmax' : 'zpopmin');
}

function zpop(x: Exec, max: boolean): void {
  if (x.argc > 3) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const withCount = x.argc === 3;
  let count = 1;
  if (withCount) {
    const v = x.argRange(2, 0, ERR_POSITIVE);
    if (v === null) return;
    count = v;
  }
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0 || count === 0) {
    x.r.array(0);
    return;
  }
  popReply(x, h, max, count, withCount, false);
}

/** ZMPOP / BZMPOP's pop: up to `count` members from the MIN or MAX end, as [member, score] pairs. */
function zmpopSet(x: Exec, h: number, min: boolean, count: number): void {
  popReply(x, h, !min, count, true, true);
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout. */
function bzpop(x: Exec, max: boolean): void {
  const timeout = x.timeoutArg(x.argc - 1);
  if (timeout === null) return;
  const h = startPopReply(x, 1, x.argc - 1, ObjType.ZSet, 3, max ? 'ZPOPMAX' : 'ZPOPMIN', null);
  if (h > 0) {
    const iter = iterOf(x, h);
    if (max) iter.last();
    else iter.first();
    x.r.bulk(iter.u8, iter.off, iter.len);
    x.r.double(iter.score);
    const llen = lenOf(x, h);
    x.ks.setValueWord(h, zsDeleteRange(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), max ? llen - 1 : 0, 1));
    changed(x, h, max ? 'zpopmax' : 'zpopmin');
  } else if (h === 0) noKeyToPop(x, 1, x.argc - 1, timeout);
}

// ---- random, scan ------------------------------------------------------------------------------

function zrandmember(x: Exec): void {
  if (x.argc >= 3) {
    const v = x.argInt64(2);
    if (v === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
    if (v === INT64_MIN) {
      x.r.error(ERR_INT64_RANGE);
      return;
    }
    let withscores = false;
    if (x.argc > 4 || (x.argc === 4 && !x.argIs(3, 'withscores'))) {
      x.r.error(ERR_SYNTAX);
      return;
    }
    if (x.argc === 4) {
      withscores = true;
      const big = typeof v === 'bigint' ? v : BigInt(v);
      if (big < -(INT64_MAX / 2n) || big > INT64_MAX / 2n) { // Redis: l < -LONG_MAX/2 || l > LONG_MAX/2
        x.r.error('ERR value is out of range');
        return;
      }
    }
    const count = typeof v === 'bigint' ? (v > 0n ? LIMIT : -LIMIT) : v;
    randWithCount(x, count, withscores);
    return;
  }
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0) {
    x.r.nullBulk();
    return;
  }
  pickRandom(x, h);
  x.r.bulk(pickU8, pickOff, pickLen);
}

let pickU8: Uint8Array = new Uint8Array(0);
let pickOff = 0;
let pickLen = 0;
let pickScore = 0;

/** A uniformly random element of entry h into pick*. */
function pickRandom(x: Exec, h: number): void {
  const a = x.ks.arena;
  const enc = x.ks.encoding(h);
  if (enc === Enc.ListPack) {
    const iter = iterOf(x, h, it2);
    iter.seekRank(Math.floor(Math.random() * lenOf(x, h)));
    pickU8 = iter.u8;
    pickOff = iter.off;
    pickLen = iter.len;
    pickScore = iter.score;
    return;
  }
  const node = zsRandomNode(a, x.ks.valueWord(h), Math.random);
  const m = nodeMember(a, node);
  pickU8 = m;
  pickOff = 0;
  pickLen = m.length;
  pickScore = nodeScore(a, node);
}

function emitPair(x: Exec, u8: Uint8Array, off: number, len: number, score: number, withscores: boolean): void {
  if (withscores && x.resp3) x.r.array(2);
  x.r.bulk(u8, off, len);
  if (withscores) x.r.double(score);
}

function randWithCount(x: Exec, count: number, withscores: boolean): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0 || count === 0) {
    x.r.array(0);
    return;
  }
  const flat = withscores && !x.resp3;
  const size = lenOf(x, h);
  if (count < 0) {
    const n = -count;
    x.r.array(flat ? n * 2 : n);
    for (let k = 0; k < n; k++) {
      pickRandom(x, h);
      emitPair(x, pickU8, pickOff, pickLen, pickScore, withscores);
    }
    return;
  }
  if (count >= size) {
    x.r.array(flat ? size * 2 : size);
    const iter = iterOf(x, h);
    if (iter.first()) {
      do emitPair(x, iter.u8, iter.off, iter.len, iter.score, withscores);
      while (iter.next());
    }
    return;
  }
  // Distinct ranks.
  const ranks = distinctRandomRefs(
    size,
    count,
    () => {
      const all = new Int32Array(size);
      for (let r = 0; r < size; r++) all[r] = r;
      return all;
    },
    () => Math.floor(Math.random() * size),
  );
  x.r.array(flat ? count * 2 : count);
  const iter = iterOf(x, h);
  for (let k = 0; k < count; k++) {
    iter.seekRank(ranks[k]);
    emitPair(x, iter.u8, iter.off, iter.len, iter.score, withscores);
  }
}

function zscan(x: Exec): void {
  const scan = startCollectionScan(x, ObjType.ZSet);
  if (scan === null) return;
  const { h, cursor, count, match: pattern } = scan;
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  const collect = (u8: Uint8Array, off: number, len: number, score: number): void => {
    const m = sliceBytes(u8, off, len);
    if (pattern !== null && !globMatchBytes(pattern, m)) return;
    members.push(m);
    scores.push(score);
  };
  let next = 0;
  if (x.ks.encoding(h) === Enc.ListPack) {
    const iter = iterOf(x, h);
    if (iter.first()) {
      do collect(iter.u8, iter.off, iter.len, iter.score);
      while (iter.next());
    }
  } else if (cursor < TABLE_CURSOR_END) {
    next = zsScan(x.ks.arena, x.ks.valueWord(h), Number(cursor), count, collect);
  }
  x.r.array(2);
  x.r.bulkString(String(next));
  x.r.array(members.length * 2);
  for (let i = 0; i < members.length; i++) {
    x.r.bulkBytes(members[i]);
    x.r.bulkString(formatDouble17g(scores[i]));
  }
}

// ---- union, inter, diff ------------------------------------------------------------------------------

const enum SetOp {
  Union,
  Inter,
  Diff,
}

/** Redis's zunionInterAggregate. */
function aggregate(agg: number, target: number, val: number): number {
  if (agg === 0) {
    const r = target + val;
    return r !== r ? 0 : r;
  }
  if (agg === 1) return val < target ? val : target;
  return val > target ? val : target;
}

/**
 * ZUNION/ZINTER/ZDIFF (+STORE when dst > 0) and ZINTERCARD: numkeys at
 * `numIdx`. Keys hold sorted sets or plain sets (whose members score 1).
 */
function setOpGeneric(x: Exec, dst: number, numIdx: number, op: SetOp, cardOnly: boolean): void {
  const nk = x.argLong(numIdx);
  if (nk === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  if (nk < 1) {
    x.r.error(`ERR at least 1 input key is needed for '${x.name}' command`);
    return;
  }
  if (nk > x.argc - numIdx - 1) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const keys: number[] = [];
  for (let k = 0; k < nk; k++) {
    const h = x.lookup(numIdx + 1 + k, true);
    // Plain sets are inputs too, every member with score 1.
    if (h !== 0 && x.ks.type(h) !== ObjType.ZSet && x.ks.type(h) !== ObjType.Set) {
      x.r.error(WRONGTYPE);
      return;
    }
    keys.push(h);
  }
  const weights = new Array<number>(nk).fill(1);
  let agg = 0;
  let withscores = false;
  let limit = 0;
  for (let j = numIdx + 1 + nk; j < x.argc; j++) {
    const remaining = x.argc - j - 1;
    if (op !== SetOp.Diff && !cardOnly && remaining >= nk && x.argIs(j, 'weights')) {
      for (let k = 0; k < nk; k++) {
        j++;
        const w = parseDouble(x.u8, x.off[j], x.len[j]);
        if (w === null) {
          x.r.error('ERR weight value is not a float');
          return;
        }
        weights[k] = w;
      }
    } else if (op !== SetOp.Diff && !cardOnly && remaining >= 1 && x.argIs(j, 'aggregate')) {
      j++;
      if (x.argIs(j, 'sum')) agg = 0;
      else if (x.argIs(j, 'min')) agg = 1;
      else if (x.argIs(j, 'max')) agg = 2;
      else {
        x.r.error(ERR_SYNTAX);
        return;
      }
    } else if (cardOnly && remaining >= 1 && x.argIs(j, 'limit')) {
      j++;
      const v = x.argLong(j);
      // Redis reads it with getRangeLongFromObjectOrReply: a non-integer gets the same message.
      if (v === null || v < 0) {
        x.r.error("ERR LIMIT can't be negative");
        return;
      }
      limit = v;
    } else if (dst === 0 && !cardOnly && x.argIs(j, 'withscores')) {
      withscores = true;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  // Result: member (latin1 string key) → index into members/scores.
  const index = new Map<string, number>();
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  const key = (u8: Uint8Array, off: number, len: number): string => Buffer.from(u8.buffer, u8.byteOffset + off, len).toString('latin1');
  // Redis visits the sets smallest first (a stable sort), which decides the order of float sums.
  const order = keys.map((_, k) => k).sort((p, q) => size(x, keys[p]) - size(x, keys[q]));
  if (op === SetOp.Union) {
    for (const k of order) {
      const h = keys[k];
      if (h === 0) continue;
      forEachInput(x, h, (u8, off, len, score) => {
        let s = weights[k] * score;
        if (s !== s) s = 0;
        const ks = key(u8, off, len);
        const at = index.get(ks);
        if (at === undefined) {
          index.set(ks, members.length);
          members.push(sliceBytes(u8, off, len));
          scores.push(s);
        } else scores[at] = aggregate(agg, scores[at], s);
      });
    }
  } else if (op === SetOp.Inter) {
    // An empty or missing set empties the result.
    const first = order[0];
    if (keys[first] !== 0 && size(x, keys[first]) > 0) {
      let full = false;
      forEachInput(x, keys[first], (u8, off, len, score) => {
        if (full) return;
        let s = weights[first] * score;
        if (s !== s) s = 0;
        for (let o = 1; o < order.length; o++) {
          const k = order[o];
          const other = scoreIn(x, keys[k], u8, off, len);
          if (other !== other) return;
          s = aggregate(agg, s, weights[k] * other);
        }
        members.push(sliceBytes(u8, off, len));
        scores.push(s);
        if (cardOnly && limit > 0 && members.length >= limit) full = true;
      });
    }
  } else {
    const h0 = keys[0];
    if (h0 !== 0) {
      forEachInput(x, h0, (u8, off, len, score) => {
        for (let k = 1; k < nk; k++) {
          const h = keys[k];
          if (h === h0) return;
          const s = scoreIn(x, h, u8, off, len);
          if (s === s) return;
        }
        members.push(sliceBytes(u8, off, len));
        scores.push(score);
      });
    }
  }
  if (cardOnly) {
    x.r.int(members.length);
    return;
  }
  if (dst > 0) {
    x.r.int(storeResult(x, dst, members, scores, false));
    return;
  }
  const idx = members.map((_, i) => i).sort((p, q) => cmpScoreMember(scores[p], members[p], scores[q], members[q]));
  x.r.array(withscores && !x.resp3 ? idx.length * 2 : idx.length);
  for (const i of idx) emitPair(x, members[i], 0, members[i].length, scores[i], withscores);
}

function size(x: Exec, h: number): number {
  if (h === 0) return 0;
  return x.ks.type(h) === ObjType.Set ? setSize(x.ks.arena, x.ks.valueWord(h)) : lenOf(x, h);
}

/** A ZUNION/ZINTER/ZDIFF input's score of a member (NaN when absent); members of plain sets score 1. */
function scoreIn(x: Exec, h: number, u8: Uint8Array, off: number, len: number): number {
  if (h === 0) return NaN;
  const v = x.ks.valueWord(h);
  if (x.ks.type(h) === ObjType.Set) return setHas(x.ks.arena, v, u8, off, len) ? 1 : NaN;
  return zsScore(x.ks.arena, x.ks.encoding(h), v, u8, off, len);
}

/** Every (member, score) of a ZUNION/ZINTER/ZDIFF input: a sorted set in order, or a plain set with scores 1. */
function forEachInput(x: Exec, h: number, cb: (u8: Uint8Array, off: number, len: number, score: number) => void): void {
  if (x.ks.type(h) === ObjType.Set) {
    setForEach(x.ks.arena, x.ks.valueWord(h), () => cb(setCur.u8, setCur.off, setCur.len, 1));
    return;
  }
  const iter = new ZIter().init(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h));
  if (!iter.first()) return;
  do cb(iter.u8, iter.off, iter.len, iter.score);
  while (iter.next());
}

export const sortedSetHandlers: Record<string, ShardHandler> = {
  zadd: (x) => zaddGeneric(x, 0),
  zincrby: (x) => {
    // ZINCRBY key increment member is ZADD key INCR increment member.
    const s = parseDouble(x.u8, x.off[2], x.len[2]);
    if (s === null) {
      x.r.error(ERR_NOT_FLOAT);
      return;
    }
    let h = x.lookupTyped(1, ObjType.ZSet);
    if (h < 0) return;
    if (h === 0) h = newZset(x, 1, 1, x.len[3]);
    if (!zsetAdd(x, h, s, x.u8, x.off[3], x.len[3], Add.INCR)) {
      x.r.error('ERR resulting score is not a number (NaN)');
      return;
    }
    // An increment that leaves the score as it was changes nothing: no event, not replicated (as ZADD INCR).
    if (addOut & (ADD_ADDED | ADD_UPDATED)) {
      x.ks.modified(h);
      x.notifyArg(Notify.Zset, 'zincr', 1);
    } else x.propagateNothing();
    x.r.double(addScore);
  },
  zcard,
  zscore,
  zmscore,
  zrank: (x) => zrank(x, false),
  zrevrank: (x) => zrank(x, true),
  zrem,
  zcount: (x) => countRange(x, RangeType.Score),
  zlexcount: (x) => countRange(x, RangeType.Lex),
  zrange: (x) => zrangeGeneric(x, false, RangeType.Auto, Dir.Auto),
  zrangestore: (x) => zrangeGeneric(x, true, RangeType.Auto, Dir.Auto),
  zrevrange: (x) => zrangeGeneric(x, false, RangeType.Rank, Dir.Reverse),
  zrangebyscore: (x) => zrangeGeneric(x, false, RangeType.Score, Dir.Forward),
  zrevrangebyscore: (x) => zrangeGeneric(x, false, RangeType.Score, Dir.Reverse),
  zrangebylex: (x) => zrangeGeneric(x, false, RangeType.Lex, Dir.Forward),
  zrevrangebylex: (x) => zrangeGeneric(x, false, RangeType.Lex, Dir.Reverse),
  zremrangebyrank: (x) => zremrange(x, RangeType.Rank),
  zremrangebyscore: (x) => zremrange(x, RangeType.Score),
  zremrangebylex: (x) => zremrange(x, RangeType.Lex),
  zpopmin: (x) => zpop(x, false),
  zpopmax: (x) => zpop(x, true),
  zmpop: (x) => mpopCommand(x, 'zmpop', ObjType.ZSet, zmpopSet),
  bzpopmin: (x) => bzpop(x, false),
  bzpopmax: (x) => bzpop(x, true),
  bzmpop: (x) => mpopCommand(x, 'bzmpop', ObjType.ZSet, zmpopSet),
  zrandmember,
  zscan,
  zunion: (x) => setOpGeneric(x, 0, 1, SetOp.Union, false),
  zinter: (x) => setOpGeneric(x, 0, 1, SetOp.Inter, false),
  zdiff: (x) => setOpGeneric(x, 0, 1, SetOp.Diff, false),
  zunionstore: (x) => setOpGeneric(x, 1, 2, SetOp.Union, false),
  zinterstore: (x) => setOpGeneric(x, 1, 2, SetOp.Inter, false),
  zdiffstore: (x) => setOpGeneric(x, 1, 2, SetOp.Diff, false),
  zintercard: (x) => setOpGeneric(x, 0, 1, SetOp.Inter, true),
};
