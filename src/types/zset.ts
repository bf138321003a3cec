/**
 * Sorted-set values, stored entirely in the shard's arena.
 *
 * Two encodings, as in Redis:
 *
 * LISTPACK (Enc.ListPack) — one block: +0 u32 count, +4 u32 used payload
 * bytes, then the entries sorted by (score, member bytes). An entry is
 *   [len field][member bytes][f64 score, unaligned][len trailer]
 * with the length field and trailer of packed-entry.ts (1, 2 or 5 bytes),
 * so the block can be walked both ways (ZREVRANGE). The block is reallocated
 * when it grows, so its handle (the keyspace value word) can change on insert.
 *
 * SKIPLIST (Enc.SkipList) — a skiplist with spans (O(log n) rank), whose
 * nodes are arena blocks, plus a member → node index (a DashTable from
 * collection-table.ts, keyed by the header handle; the node holds score and
 * member, so the table stores only node handles).
 *   header block: +0 u32 length, +4 u32 level, +8 f64 node bytes (usable
 *     sizes of all nodes, for MEMORY USAGE without a walk), +16 u32 tail,
 *     +20 32 × (u32 forward, u32 span)
 *   node block:   +0 f64 score, +8 u32 backward, +12 u32 member length,
 *     +16 u32 level, +20 level × (u32 forward, u32 span), then the member.
 * The header's level array sits at the same offset as a node's, so the
 * descent loops treat the header as a node. Nodes are never moved: a score
 * change relinks the same block, so the index never needs updating for it.
 * A 10-byte member costs a 40-byte node plus its index slot.
 */
import { type Arena, offOf, segOf } from 'native-free-arena';
import { moveBlock, type TypeOps } from '../shard/value-ops.js';
import { Enc } from '../shard/object.js';
import { dropTable, hasTable, memberHash, newTable, renameTable, tableOf } from './collection-table.js';
import { fieldSizeOf, isShortestField, lenSize, readLen, readLenBefore, writeLen, writeLenTrailer } from './packed-entry.js';
import { bytesCompare, copyBytes, sameBytes, sliceBytes } from '../util/bytes.js';

const MAX_LEVEL = 32;
const LP_HDR = 8;
const SL_LV = 20;
const SL_HDR_SIZE = SL_LV + MAX_LEVEL * 8;

// header fields
const H_LEN = 0;
const H_LEVEL = 4;
const H_BYTES = 8;
const H_TAIL = 16;
// node fields
const N_BACK = 8;
const N_MLEN = 12;
const N_LEVEL = 16;

/** Descent steps taken by skiplist searches (tests compare its growth with n). */
export const zslStats = { visited: 0 };

// ---- bytes, scores ------------------------------------------------------------------

const sF = new Float64Array(1);
const sB = new Uint8Array(sF.buffer);

function getF64(d: Uint8Array, p: number): number {
  for (let k = 0; k < 8; k++) sB[k] = d[p + k];
  return sF[0];
}
function putF64(d: Uint8Array, p: number, v: number): void {
  sF[0] = v;
  for (let k = 0; k < 8; k++) d[p + k] = sB[k];
}

function entrySize(n: number): number {
  return n + 8 + 2 * lenSize(n);
}

function writeEntry(d: Uint8Array, p: number, score: number, src: Uint8Array, so: number, n: number): void {
  p += writeLen(d, p, n);
  copyBytes(d, p, src, so, n);
  p += n;
  // Redis's listpack keeps scores as text, where -0 comes back as 0.
  putF64(d, p, score === 0 ? 0 : score);
  writeLenTrailer(d, p + 8, n);
}

// ---- listpack ------------------------------------------------------------------------

function u32(a: Arena, h: number, f: number): number {
  return a.u32[segOf(h)][(offOf(h) + f) >> 2];
}
function setU32(a: Arena, h: number, f: number, v: number): void {
  a.u32[segOf(h)][(offOf(h) + f) >> 2] = v;
}

export function lpCreate(a: Arena, cap = 32): number {
  const h = a.alloc(LP_HDR + cap);
  setU32(a, h, 0, 0);
  setU32(a, h, 4, 0);
  return h;
}

/** The score of the entry the last successful lpFind found (it returns the entry's offset). */
let foundScore = 0;

/** Absolute offset of the entry for member m, or -1. */
function lpFind(a: Arena, v: number, m: Uint8Array, mo: number, mn: number): number {
  const d = a.u8[segOf(v)];
  let p = offOf(v) + LP_HDR;
  const end = p + u32(a, v, 4);
  while (p < end) {
    const n = readLen(d, p);
    const fs = lenSize(n);
    if (n === mn && sameBytes(d, p + fs, m, mo, mn)) {
      foundScore = getF64(d, p + fs + n);
      return p;
    }
    p += n + 8 + 2 * fs;
  }
  return -1;
}

/** Inserts (member must be absent); returns the block's (possibly new) handle. */
function lpInsert(a: Arena, v: number, score: number, m: Uint8Array, mo: number, mn: number): number {
  const used = u32(a, v, 4);
  const e = entrySize(mn);
  if (LP_HDR + used + e > a.usableSize(v)) {
    const want = LP_HDR + used + e;
    v = a.realloc(v, want + (want >>> 1));
  }
  const d = a.u8[segOf(v)];
  const start = offOf(v) + LP_HDR;
  const end = start + used;
  let p = start;
  while (p < end) {
    const n = readLen(d, p);
    const fs = lenSize(n);
    const s = getF64(d, p + fs + n);
    if (s > score || (s === score && bytesCompare(d, p + fs, n, m, mo, mn) > 0)) break;
    p += n + 8 + 2 * fs;
  }
  copyBytes(d, p + e, d, p, end - p);
  writeEntry(d, p, score, m, mo, mn);
  setU32(a, v, 0, u32(a, v, 0) + 1);
  setU32(a, v, 4, used + e);
  return v;
}

/** Removes the entry at absolute offset p. */
function lpDeleteAt(a: Arena, v: number, p: number): void {
  const d = a.u8[segOf(v)];
  const end = offOf(v) + LP_HDR + u32(a, v, 4);
  const n = readLen(d, p);
  const e = entrySize(n);
  copyBytes(d, p, d, p + e, end - (p + e));
  setU32(a, v, 0, u32(a, v, 0) - 1);
  setU32(a, v, 4, u32(a, v, 4) - e);
}

/** Removes count entries starting at the one at absolute offset p. */
function lpDeleteRun(a: Arena, v: number, p: number, count: number): void {
  const d = a.u8[segOf(v)];
  const end = offOf(v) + LP_HDR + u32(a, v, 4);
  let q = p;
  for (let k = 0; k < count; k++) q += entrySize(readLen(d, q));
  copyBytes(d, p, d, q, end - q);
  setU32(a, v, 0, u32(a, v, 0) - count);
  setU32(a, v, 4, u32(a, v, 4) - (q - p));
}

/** Gives back slack when the block holds much less than it could. */
function lpMaybeShrink(a: Arena, v: number): number {
  const used = u32(a, v, 4);
  if (a.usableSize(v) > 256 && LP_HDR + used < a.usableSize(v) >>> 2) return a.realloc(v, LP_HDR + used + (used >>> 2));
  return v;
}

// ---- skiplist --------------------------------------------------------------------------

function fw(a: Arena, x: number, i: number): number {
  return a.u32[segOf(x)][(offOf(x) + SL_LV + i * 8) >> 2];
}
function span(a: Arena, x: number, i: number): number {
  return a.u32[segOf(x)][(offOf(x) + SL_LV + i * 8 + 4) >> 2];
}
function setFw(a: Arena, x: number, i: number, v: number): void {
  a.u32[segOf(x)][(offOf(x) + SL_LV + i * 8) >> 2] = v;
}
function setSpan(a: Arena, x: number, i: number, v: number): void {
  a.u32[segOf(x)][(offOf(x) + SL_LV + i * 8 + 4) >> 2] = v;
}
export function nodeScore(a: Arena, x: number): number {
  return a.f64[segOf(x)][offOf(x) >> 3];
}
function setNodeScore(a: Arena, x: number, s: number): void {
  a.f64[segOf(x)][offOf(x) >> 3] = s;
}
function nodeLevel(a: Arena, x: number): number {
  return u32(a, x, N_LEVEL);
}
function memberOff(a: Arena, x: number): number {
  return offOf(x) + SL_LV + nodeLevel(a, x) * 8;
}
function addNodeBytes(a: Arena, zh: number, d: number): void {
  a.f64[segOf(zh)][(offOf(zh) + H_BYTES) >> 3] += d;
}

/** Redis's zslRandomLevel: each level with probability 1/4. */
function randomLevel(): number {
  let l = 1;
  while (l < MAX_LEVEL && Math.random() < 0.25) l++;
  return l;
}

function slCreate(a: Arena): number {
  const zh = a.alloc(SL_HDR_SIZE);
  a.fill(zh, 0, SL_HDR_SIZE, 0);
  setU32(a, zh, H_LEVEL, 1);
  newTable(a, zh);
  return zh;
}

function slNewNode(a: Arena, zh: number, level: number, score: number, m: Uint8Array, mo: number, mn: number): number {
  const x = a.alloc(SL_LV + level * 8 + mn);
  const o = offOf(x);
  a.f64[segOf(x)][o >> 3] = score;
  const w = a.u32[segOf(x)];
  w[(o + N_BACK) >> 2] = 0;
  w[(o + N_MLEN) >> 2] = mn;
  w[(o + N_LEVEL) >> 2] = level;
  copyBytes(a.u8[segOf(x)], o + SL_LV + level * 8, m, mo, mn);
  addNodeBytes(a, zh, a.usableSize(x));
  return x;
}

/** Whether node y sorts before (score, member) of node x. */
function nodeLess(a: Arena, y: number, s: number, xd: Uint8Array, xo: number, xn: number): boolean {
  const ys = nodeScore(a, y);
  if (ys !== s) return ys < s;
  return bytesCompare(a.u8[segOf(y)], memberOff(a, y), u32(a, y, N_MLEN), xd, xo, xn) < 0;
}

const update = new Int32Array(MAX_LEVEL);
const rankAt = new Float64Array(MAX_LEVEL);

/** Links node x (its level and score already set) at its place. */
function slLink(a: Arena, zh: number, x: number): void {
  const s = nodeScore(a, x);
  const xd = a.u8[segOf(x)];
  const xo = memberOff(a, x);
  const xn = u32(a, x, N_MLEN);
  let level = u32(a, zh, H_LEVEL);
  let y = zh;
  for (let i = level - 1; i >= 0; i--) {
    rankAt[i] = i === level - 1 ? 0 : rankAt[i + 1];
    for (;;) {
      const f = fw(a, y, i);
      zslStats.visited++;
      if (f === 0 || !nodeLess(a, f, s, xd, xo, xn)) break;
      rankAt[i] += span(a, y, i);
      y = f;
    }
    update[i] = y;
  }
  const lvl = nodeLevel(a, x);
  const len = u32(a, zh, H_LEN);
  if (lvl > level) {
    for (let i = level; i < lvl; i++) {
      rankAt[i] = 0;
      update[i] = zh;
      setSpan(a, zh, i, len);
    }
    level = lvl;
    setU32(a, zh, H_LEVEL, level);
  }
  for (let i = 0; i < lvl; i++) {
    const u = update[i];
    setFw(a, x, i, fw(a, u, i));
    setFw(a, u, i, x);
    setSpan(a, x, i, span(a, u, i) - (rankAt[0] - rankAt[i]));
    setSpan(a, u, i, rankAt[0] - rankAt[i] + 1);
  }
  for (let i = lvl; i < level; i++) setSpan(a, update[i], i, span(a, update[i], i) + 1);
  setU32(a, x, N_BACK, update[0] === zh ? 0 : update[0]);
  const next = fw(a, x, 0);
  if (next !== 0) setU32(a, next, N_BACK, x);
  else setU32(a, zh, H_TAIL, x);
  setU32(a, zh, H_LEN, len + 1);
}

/** Fills `update` with the predecessors of node x at every level. */
function slPathTo(a: Arena, zh: number, x: number): void {
  const s = nodeScore(a, x);
  const xd = a.u8[segOf(x)];
  const xo = memberOff(a, x);
  const xn = u32(a, x, N_MLEN);
  let y = zh;
  for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
    for (;;) {
      const f = fw(a, y, i);
      zslStats.visited++;
      if (f === 0 || !nodeLess(a, f, s, xd, xo, xn)) break;
      y = f;
    }
    update[i] = y;
  }
}

/** Unlinks node x given `update` (its predecessors); does not free it. */
function slUnlink(a: Arena, zh: number, x: number): void {
  let level = u32(a, zh, H_LEVEL);
  for (let i = 0; i < level; i++) {
    const u = update[i];
    if (fw(a, u, i) === x) {
      setSpan(a, u, i, span(a, u, i) + span(a, x, i) - 1);
      setFw(a, u, i, fw(a, x, i));
    } else {
      setSpan(a, u, i, span(a, u, i) - 1);
    }
  }
  const next = fw(a, x, 0);
  const back = u32(a, x, N_BACK);
  if (next !== 0) setU32(a, next, N_BACK, back);
  else setU32(a, zh, H_TAIL, back);
  while (level > 1 && fw(a, zh, level - 1) === 0) level--;
  setU32(a, zh, H_LEVEL, level);
  setU32(a, zh, H_LEN, u32(a, zh, H_LEN) - 1);
}

// The member probe of the index's eq closure (allocation-free lookups).
let probeArena: Arena | null = null;
let probeU8: Uint8Array = new Uint8Array(0);
let probeOff = 0;
let probeLen = 0;
const nodeEq = (x: number): boolean => {
  const a = probeArena!;
  return u32(a, x, N_MLEN) === probeLen && sameBytes(a.u8[segOf(x)], memberOff(a, x), probeU8, probeOff, probeLen);
};

/** The node of member m, or 0. */
function slFind(a: Arena, zh: number, m: Uint8Array, mo: number, mn: number): number {
  probeArena = a;
  probeU8 = m;
  probeOff = mo;
  probeLen = mn;
  return tableOf(a, zh).find(memberHash(m, mo, mn), nodeEq);
}

function slInsert(a: Arena, zh: number, score: number, m: Uint8Array, mo: number, mn: number): number {
  const x = slNewNode(a, zh, randomLevel(), score, m, mo, mn);
  slLink(a, zh, x);
  tableOf(a, zh).insert(memberHash(m, mo, mn), x);
  return x;
}

function slFreeNode(a: Arena, zh: number, x: number): void {
  const d = a.u8[segOf(x)];
  const mo = memberOff(a, x);
  tableOf(a, zh).remove(memberHash(d, mo, u32(a, x, N_MLEN)), x);
  addNodeBytes(a, zh, -a.usableSize(x));
  a.free(x);
}

function slDeleteNode(a: Arena, zh: number, x: number): void {
  slPathTo(a, zh, x);
  slUnlink(a, zh, x);
  slFreeNode(a, zh, x);
}

/** Changes a node's score, relinking it only when its position changes. */
function slUpdateScore(a: Arena, zh: number, x: number, s: number): void {
  const back = u32(a, x, N_BACK);
  const next = fw(a, x, 0);
  const d = a.u8[segOf(x)];
  const mo = memberOff(a, x);
  const mn = u32(a, x, N_MLEN);
  if ((back === 0 || nodeLess(a, back, s, d, mo, mn)) && (next === 0 || !nodeLess(a, next, s, d, mo, mn))) {
    setNodeScore(a, x, s);
    return;
  }
  slPathTo(a, zh, x);
  slUnlink(a, zh, x);
  setNodeScore(a, x, s);
  slLink(a, zh, x);
}

/** 1-based rank of node x. */
function slRank(a: Arena, zh: number, x: number): number {
  const s = nodeScore(a, x);
  const xd = a.u8[segOf(x)];
  const xo = memberOff(a, x);
  const xn = u32(a, x, N_MLEN);
  let rank = 0;
  let y = zh;
  for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
    for (;;) {
      const f = fw(a, y, i);
      zslStats.visited++;
      if (f === 0 || !(f === x || nodeLess(a, f, s, xd, xo, xn))) break;
      rank += span(a, y, i);
      y = f;
    }
    if (y === x) return rank;
  }
  return 0;
}

/** The node of 1-based rank r, or 0. */
function slByRank(a: Arena, zh: number, r: number): number {
  let traversed = 0;
  let y = zh;
  for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
    for (;;) {
      const f = fw(a, y, i);
      zslStats.visited++;
      if (f === 0 || traversed + span(a, y, i) > r) break;
      traversed += span(a, y, i);
      y = f;
    }
    if (traversed === r) return y;
  }
  return 0;
}

function slFree(a: Arena, zh: number): void {
  let x = fw(a, zh, 0);
  while (x !== 0) {
    const n = fw(a, x, 0);
    a.free(x);
    x = n;
  }
  dropTable(a, zh);
  a.free(zh);
}

// ---- ranges ----------------------------------------------------------------------------

/** A score range: [min, max] with exclusive ends flagged. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** A lex range item: -inf ('-'), +inf ('+'), or bytes, inclusive or exclusive. */
export interface LexItem {
  kind: 'min' | 'max' | 'incl' | 'excl';
  u8: Uint8Array;
  off: number;
  len: number;
}
export interface LexRange {
  min: LexItem;
  max: LexItem;
}

function gteMin(s: number, r: ScoreRange): boolean {
  return r.minex ? s > r.min : s >= r.min;
}
function lteMax(s: number, r: ScoreRange): boolean {
  return r.maxex ? s < r.max : s <= r.max;
}
function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

function lexCmp(d: Uint8Array, o: number, n: number, it: LexItem): number {
  if (it.kind === 'min') return 1;
  if (it.kind === 'max') return -1;
  return bytesCompare(d, o, n, it.u8, it.off, it.len);
}
function lexGteMin(d: Uint8Array, o: number, n: number, r: LexRange): boolean {
  const c = lexCmp(d, o, n, r.min);
  return r.min.kind === 'excl' ? c > 0 : c >= 0;
}
function lexLteMax(d: Uint8Array, o: number, n: number, r: LexRange): boolean {
  const c = lexCmp(d, o, n, r.max);
  return r.max.kind === 'excl' ? c < 0 : c <= 0;
}
/** Redis's sdscmplex test on the range ends themselves. */
function lexRangeEmpty(r: LexRange): boolean {
  const a = r.min;
  const b = r.max;
  let c: number;
  if (a.kind === b.kind && (a.kind === 'min' || a.kind === 'max')) c = 0;
  else if (a.kind === 'min' || b.kind === 'max') c = -1;
  else if (a.kind === 'max' || b.kind === 'min') c = 1;
  else c = bytesCompare(a.u8, a.off, a.len, b.u8, b.off, b.len);
  return c > 0 || (c === 0 && (a.kind === 'excl' || b.kind === 'excl'));
}

// ---- the encoding-independent API ----------------------------------------------------------

/**
 * A position in a sorted set, moved forward or backward: for a listpack the
 * entry's absolute offset in the block's segment, for a skiplist the node.
 * After a successful move, u8/off/len is the member and score its score.
 * Valid until the set is changed.
 */
export class ZIter {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  score = 0;
  /** 0 when not on an element. */
  pos = 0;
  private a: Arena | null = null;
  private enc = 0;
  private v = 0;
  private start = 0;
  private end = 0;

  init(a: Arena, enc: number, v: number): this {
    this.a = a;
    this.enc = enc;
    this.v = v;
    this.pos = 0;
    if (enc === Enc.ListPack) {
      this.u8 = a.u8[segOf(v)];
      this.start = offOf(v) + LP_HDR;
      this.end = this.start + u32(a, v, 4);
    }
    return this;
  }

  /** Loads the element at pos (nonzero). */
  private load(): boolean {
    const a = this.a!;
    const p = this.pos;
    if (this.enc === Enc.ListPack) {
      const n = readLen(this.u8, p);
      this.off = p + lenSize(n);
      this.len = n;
      this.score = getF64(this.u8, this.off + n);
    } else {
      this.u8 = a.u8[segOf(p)];
      this.off = memberOff(a, p);
      this.len = u32(a, p, N_MLEN);
      this.score = nodeScore(a, p);
    }
    return true;
  }

  private fail(): boolean {
    this.pos = 0;
    return false;
  }

  /** Moves to the element of 0-based rank r (in ascending order). */
  seekRank(r: number): boolean {
    const a = this.a!;
    if (r < 0 || r >= zsLength(a, this.enc, this.v)) return this.fail();
    if (this.enc === Enc.ListPack) {
      let p = this.start;
      for (let k = 0; k < r; k++) p += entrySize(readLen(this.u8, p));
      this.pos = p;
    } else {
      this.pos = slByRank(a, this.v, r + 1);
    }
    return this.load();
  }

  next(): boolean {
    if (this.pos === 0) return false;
    if (this.enc === Enc.ListPack) {
      const p = this.pos + entrySize(readLen(this.u8, this.pos));
      if (p >= this.end) return this.fail();
      this.pos = p;
    } else {
      const n = fw(this.a!, this.pos, 0);
      if (n === 0) return this.fail();
      this.pos = n;
    }
    return this.load();
  }

  prev(): boolean {
    if (this.pos === 0) return false;
    if (this.enc === Enc.ListPack) {
      if (this.pos <= this.start) return this.fail();
      const n = readLenBefore(this.u8, this.pos);
      this.pos -= entrySize(n);
    } else {
      const b = u32(this.a!, this.pos, N_BACK);
      if (b === 0) return this.fail();
      this.pos = b;
    }
    return this.load();
  }

  first(): boolean {
    return this.seekRank(0);
  }

  last(): boolean {
    const a = this.a!;
    const n = zsLength(a, this.enc, this.v);
    if (n === 0) return this.fail();
    if (this.enc === Enc.ListPack) {
      const len = readLenBefore(this.u8, this.end);
      this.pos = this.end - entrySize(len);
      return this.load();
    }
    this.pos = u32(a, this.v, H_TAIL);
    return this.load();
  }

  /** First element with score in range (Redis's zzl/zslFirstInRange). */
  firstInScore(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return this.fail();
    const a = this.a!;
    if (this.enc === Enc.ListPack) {
      if (!this.first()) return false;
      do {
        if (gteMin(this.score, r)) return lteMax(this.score, r) ? true : this.fail();
      } while (this.next());
      return false;
    }
    const zh = this.v;
    const tail = u32(a, zh, H_TAIL);
    if (tail === 0 || !gteMin(nodeScore(a, tail), r)) return this.fail();
    let y = zh;
    for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
      for (;;) {
        const f = fw(a, y, i);
        zslStats.visited++;
        if (f === 0 || gteMin(nodeScore(a, f), r)) break;
        y = f;
      }
    }
    const x = fw(a, y, 0);
    if (x === 0 || !lteMax(nodeScore(a, x), r)) return this.fail();
    this.pos = x;
    return this.load();
  }

  /** Last element with score in range. */
  lastInScore(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return this.fail();
    const a = this.a!;
    if (this.enc === Enc.ListPack) {
      if (!this.last()) return false;
      do {
        if (lteMax(this.score, r)) return gteMin(this.score, r) ? true : this.fail();
      } while (this.prev());
      return false;
    }
    const zh = this.v;
    const head = fw(a, zh, 0);
    if (head === 0 || !lteMax(nodeScore(a, head), r)) return this.fail();
    let y = zh;
    for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
      for (;;) {
        const f = fw(a, y, i);
        zslStats.visited++;
        if (f === 0 || !lteMax(nodeScore(a, f), r)) break;
        y = f;
      }
    }
    if (y === zh || !gteMin(nodeScore(a, y), r)) return this.fail();
    this.pos = y;
    return this.load();
  }

  /** Whether the current element's member is within the lex range's max / min. */
  lexLteMax(r: LexRange): boolean {
    return lexLteMax(this.u8, this.off, this.len, r);
  }
  lexGteMin(r: LexRange): boolean {
    return lexGteMin(this.u8, this.off, this.len, r);
  }

  firstInLex(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return this.fail();
    const a = this.a!;
    if (this.enc === Enc.ListPack) {
      if (!this.first()) return false;
      do {
        if (this.lexGteMin(r)) return this.lexLteMax(r) ? true : this.fail();
      } while (this.next());
      return false;
    }
    const zh = this.v;
    const tail = u32(a, zh, H_TAIL);
    if (tail === 0 || !lexGteMin(a.u8[segOf(tail)], memberOff(a, tail), u32(a, tail, N_MLEN), r)) return this.fail();
    let y = zh;
    for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
      for (;;) {
        const f = fw(a, y, i);
        zslStats.visited++;
        if (f === 0 || lexGteMin(a.u8[segOf(f)], memberOff(a, f), u32(a, f, N_MLEN), r)) break;
        y = f;
      }
    }
    const x = fw(a, y, 0);
    if (x === 0) return this.fail();
    this.pos = x;
    this.load();
    return this.lexLteMax(r) ? true : this.fail();
  }

  lastInLex(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return this.fail();
    const a = this.a!;
    if (this.enc === Enc.ListPack) {
      if (!this.last()) return false;
      do {
        if (this.lexLteMax(r)) return this.lexGteMin(r) ? true : this.fail();
      } while (this.prev());
      return false;
    }
    const zh = this.v;
    const head = fw(a, zh, 0);
    if (head === 0 || !lexLteMax(a.u8[segOf(head)], memberOff(a, head), u32(a, head, N_MLEN), r)) return this.fail();
    let y = zh;
    for (let i = u32(a, zh, H_LEVEL) - 1; i >= 0; i--) {
      for (;;) {
        const f = fw(a, y, i);
        zslStats.visited++;
        if (f === 0 || !lexLteMax(a.u8[segOf(f)], memberOff(a, f), u32(a, f, N_MLEN), r)) break;
        y = f;
      }
    }
    if (y === zh) return this.fail();
    this.pos = y;
    this.load();
    return this.lexGteMin(r) ? true : this.fail();
  }
}

/** Allocates an empty sorted set of the given encoding. */
export function zsCreate(a: Arena, enc: number): number {
  return enc === Enc.ListPack ? lpCreate(a) : slCreate(a);
}

export function zsLength(a: Arena, enc: number, v: number): number {
  return enc === Enc.ListPack ? u32(a, v, 0) : u32(a, v, H_LEN);
}

/** Score of member m, or NaN when absent (no score is ever NaN). */
export function zsScore(a: Arena, enc: number, v: number, m: Uint8Array, mo: number, mn: number): number {
  if (enc === Enc.ListPack) return lpFind(a, v, m, mo, mn) < 0 ? NaN : foundScore;
  const x = slFind(a, v, m, mo, mn);
  return x === 0 ? NaN : nodeScore(a, x);
}

/** 0-based ascending rank of member m, or -1. */
export function zsRank(a: Arena, enc: number, v: number, m: Uint8Array, mo: number, mn: number): number {
  if (enc === Enc.ListPack) {
    const d = a.u8[segOf(v)];
    let p = offOf(v) + LP_HDR;
    const end = p + u32(a, v, 4);
    for (let r = 0; p < end; r++) {
      const n = readLen(d, p);
      const fs = lenSize(n);
      if (n === mn && sameBytes(d, p + fs, m, mo, mn)) return r;
      p += n + 8 + 2 * fs;
    }
    return -1;
  }
  const x = slFind(a, v, m, mo, mn);
  return x === 0 ? -1 : slRank(a, v, x) - 1;
}

/** Inserts a member known to be absent; returns the (possibly new) value handle. */
export function zsInsert(a: Arena, enc: number, v: number, score: number, m: Uint8Array, mo: number, mn: number): number {
  if (enc === Enc.ListPack) return lpInsert(a, v, score, m, mo, mn);
  slInsert(a, v, score, m, mo, mn);
  return v;
}

/** Sets the score of a member known to be present; returns the value handle. */
export function zsUpdate(a: Arena, enc: number, v: number, score: number, m: Uint8Array, mo: number, mn: number): number {
  if (enc === Enc.ListPack) {
    // Delete and reinsert: the block never grows, so the handle stays.
    const p = lpFind(a, v, m, mo, mn);
    // m may point into this block (a member read from it): copy it first.
    const copy = sliceBytes(m, mo, mn);
    lpDeleteAt(a, v, p);
    return lpInsert(a, v, score, copy, 0, mn);
  }
  slUpdateScore(a, v, slFind(a, v, m, mo, mn), score);
  return v;
}

/** Removes member m; returns whether it was there. Never moves the value. */
export function zsDelete(a: Arena, enc: number, v: number, m: Uint8Array, mo: number, mn: number): boolean {
  if (enc === Enc.ListPack) {
    const p = lpFind(a, v, m, mo, mn);
    if (p < 0) return false;
    lpDeleteAt(a, v, p);
    return true;
  }
  const x = slFind(a, v, m, mo, mn);
  if (x === 0) return false;
  slDeleteNode(a, v, x);
  return true;
}

/** Removes the elements of 0-based ranks [start, start + count) (within range); returns the value handle. */
export function zsDeleteRange(a: Arena, enc: number, v: number, start: number, count: number): number {
  if (count <= 0) return v;
  if (enc === Enc.ListPack) {
    const d = a.u8[segOf(v)];
    let p = offOf(v) + LP_HDR;
    for (let k = 0; k < start; k++) p += entrySize(readLen(d, p));
    lpDeleteRun(a, v, p, count);
    return lpMaybeShrink(a, v);
  }
  // Walk to the first with the predecessors, then unlink one by one (O(log n + count)).
  let traversed = 0;
  let y = v;
  for (let i = u32(a, v, H_LEVEL) - 1; i >= 0; i--) {
    for (;;) {
      const f = fw(a, y, i);
      zslStats.visited++;
      if (f === 0 || traversed + span(a, y, i) > start) break;
      traversed += span(a, y, i);
      y = f;
    }
    update[i] = y;
  }
  let x = fw(a, y, 0);
  for (let k = 0; k < count && x !== 0; k++) {
    const next = fw(a, x, 0);
    slUnlink(a, v, x);
    slFreeNode(a, v, x);
    x = next;
  }
  return v;
}

/** Converts a listpack set to a skiplist; returns the new value handle (the listpack is freed). */
export function zsToSkiplist(a: Arena, lp: number): number {
  const zh = slCreate(a);
  const it = new ZIter().init(a, Enc.ListPack, lp);
  if (it.first()) {
    do slInsert(a, zh, it.score, it.u8, it.off, it.len);
    while (it.next());
  }
  a.free(lp);
  return zh;
}

export function zsFree(a: Arena, enc: number, v: number): void {
  if (enc === Enc.ListPack) a.free(v);
  else slFree(a, v);
}

export function zsMemory(a: Arena, enc: number, v: number): number {
  if (enc === Enc.ListPack) return a.usableSize(v);
  return a.usableSize(v) + a.f64[segOf(v)][(offOf(v) + H_BYTES) >> 3] + tableOf(a, v).memoryUsage();
}

/** ZSCAN of a skiplist set, through its member index: calls cb with each member and its score; returns the next cursor. */
export function zsScan(a: Arena, v: number, cursor: number, count: number, cb: (u8: Uint8Array, off: number, len: number, score: number) => void): number {
  return tableOf(a, v).scan(cursor, count, (x) => cb(a.u8[segOf(x)], memberOff(a, x), u32(a, x, N_MLEN), nodeScore(a, x)));
}

/** A random element of a skiplist set, as its node handle (read it with nodeMember / nodeScore). */
export function zsRandomNode(a: Arena, v: number, rand: () => number): number {
  return tableOf(a, v).randomEntry(rand);
}
export function nodeMember(a: Arena, x: number): Uint8Array {
  const o = memberOff(a, x);
  return a.u8[segOf(x)].subarray(o, o + u32(a, x, N_MLEN));
}

// ---- serialization -------------------------------------------------------------------------

/** u32 count, then per element in order: u32 length, member bytes, f64 score (all LE). */
export function zsSerialize(a: Arena, enc: number, v: number): Uint8Array {
  const it = new ZIter().init(a, enc, v);
  let bytes = 4;
  if (it.first()) {
    do bytes += 12 + it.len;
    while (it.next());
  }
  const out = new Uint8Array(bytes);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, zsLength(a, enc, v), true);
  let o = 4;
  if (it.first()) {
    do {
      dv.setUint32(o, it.len, true);
      copyBytes(out, o + 4, it.u8, it.off, it.len);
      o += 4 + it.len;
      dv.setFloat64(o, it.score, true);
      o += 8;
    } while (it.next());
  }
  return out;
}

export function zsDeserialize(a: Arena, src: Uint8Array, off: number, end: number, enc: number): number {
  if (end - off < 4) throw new Error('zset blob too short');
  const dv = new DataView(src.buffer, src.byteOffset);
  const count = dv.getUint32(off, true);
  // Validate before allocating anything.
  let p = off + 4;
  for (let k = 0; k < count; k++) {
    if (p + 4 > end) throw new Error('zset blob truncated');
    p += 4 + dv.getUint32(p, true) + 8;
    if (p > end) throw new Error('zset blob truncated');
  }
  if (p !== end) throw new Error('zset blob has trailing bytes');
  const e = enc === Enc.ListPack ? Enc.ListPack : Enc.SkipList;
  let v = zsCreate(a, e);
  p = off + 4;
  for (let k = 0; k < count; k++) {
    const n = dv.getUint32(p, true);
    const score = dv.getFloat64(p + 4 + n, true);
    // Elements arrive sorted, so each lands at the end (a listpack insert still scans the block to find it).
    v = zsInsert(a, e, v, score, src, p + 4, n);
    p += 12 + n;
  }
  return v;
}

// ---- checks (tests) ---------------------------------------------------------------------------

/** All elements in order as [member copy, score]. */
export function zsToArray(a: Arena, enc: number, v: number): Array<[Uint8Array, number]> {
  const out: Array<[Uint8Array, number]> = [];
  const it = new ZIter().init(a, enc, v);
  if (it.first()) {
    do out.push([sliceBytes(it.u8, it.off, it.len), it.score]);
    while (it.next());
  }
  return out;
}

/** Verifies the structure's invariants; throws a description of the first violation. */
export function zsCheck(a: Arena, enc: number, v: number): void {
  if (enc === Enc.ListPack) {
    const d = a.u8[segOf(v)];
    const start = offOf(v) + LP_HDR;
    const used = u32(a, v, 4);
    if (LP_HDR + used > a.usableSize(v)) throw new Error('listpack: used beyond block');
    let p = start;
    let c = 0;
    let ps = -Infinity;
    let pm: Uint8Array | null = null;
    while (p < start + used) {
      const n = readLen(d, p);
      const fs = lenSize(n);
      const end = p + entrySize(n);
      if (!isShortestField(d, p) || fieldSizeOf(d[end - 1]) !== fs) throw new Error(`listpack: length field of ${c} is not the shortest`);
      if (readLenBefore(d, end) !== n) throw new Error(`listpack: trailer mismatch at ${c}`);
      const s = getF64(d, p + fs + n);
      if (s !== s) throw new Error('listpack: NaN score');
      if (pm !== null && (s < ps || (s === ps && bytesCompare(pm, 0, pm.length, d, p + fs, n) >= 0))) throw new Error(`listpack: order at ${c}`);
      ps = s;
      pm = sliceBytes(d, p + fs, n);
      p = end;
      c++;
    }
    if (p !== start + used) throw new Error('listpack: overrun');
    if (c !== u32(a, v, 0)) throw new Error(`listpack: count ${u32(a, v, 0)} but ${c}`);
    return;
  }
  const zh = v;
  const len = u32(a, zh, H_LEN);
  const level = u32(a, zh, H_LEVEL);
  // Level 0: order, backward links, count, node bytes.
  const rankOf = new Map<number, number>();
  let prev = 0;
  let r = 0;
  let bytes = 0;
  for (let x = fw(a, zh, 0); x !== 0; x = fw(a, x, 0)) {
    r++;
    rankOf.set(x, r);
    if (u32(a, x, N_BACK) !== prev) throw new Error(`skiplist: bad backward at rank ${r}`);
    if (span(a, x, 0) !== (fw(a, x, 0) === 0 ? span(a, x, 0) : 1)) throw new Error(`skiplist: level-0 span at rank ${r}`);
    if (prev !== 0 && !nodeLess(a, prev, nodeScore(a, x), a.u8[segOf(x)], memberOff(a, x), u32(a, x, N_MLEN))) throw new Error(`skiplist: order at rank ${r}`);
    if (nodeLevel(a, x) < 1 || nodeLevel(a, x) > level) throw new Error(`skiplist: node level ${nodeLevel(a, x)} > ${level}`);
    if (slFind(a, zh, a.u8[segOf(x)], memberOff(a, x), u32(a, x, N_MLEN)) !== x) throw new Error(`skiplist: index misses rank ${r}`);
    bytes += a.usableSize(x);
    prev = x;
  }
  if (r !== len) throw new Error(`skiplist: length ${len} but ${r} nodes`);
  if (u32(a, zh, H_TAIL) !== prev) throw new Error('skiplist: bad tail');
  if (tableOf(a, zh).size !== len) throw new Error(`skiplist: index holds ${tableOf(a, zh).size}, length ${len}`);
  if (a.f64[segOf(zh)][(offOf(zh) + H_BYTES) >> 3] !== bytes) throw new Error('skiplist: node bytes');
  if (level > 1 && fw(a, zh, level - 1) === 0) throw new Error('skiplist: empty top level');
  // Every level: forward links skip exactly `span` ranks.
  for (let i = 0; i < level; i++) {
    let x = zh;
    let xr = 0;
    for (;;) {
      const f = fw(a, x, i);
      if (f === 0) break;
      const fr = rankOf.get(f)!;
      if (fr - xr !== span(a, x, i)) throw new Error(`skiplist: span at level ${i} rank ${xr}: ${span(a, x, i)} != ${fr - xr}`);
      x = f;
      xr = fr;
    }
  }
}

/** The keyspace frees and measures by value word only: a skiplist header has a table, a listpack has none. */
function encodingOf(a: Arena, v: number): number {
  return hasTable(a, v) ? Enc.SkipList : Enc.ListPack;
}

/**
 * Defragmentation: a listpack moves whole; a skiplist moves its header (its
 * index table follows) and, when it has at most `maxElements` members, the
 * nodes `moving` picks. Walking level 0 in order, the last node seen at each
 * level is the predecessor whose forward link points at the next node of
 * that level, so a moved node is relinked without a search.
 */
function zsRelocate(a: Arena, v: number, moving: (h: number) => boolean, maxElements: number): number {
  if (encodingOf(a, v) === Enc.ListPack) return moving(v) ? moveBlock(a, v) : v;
  let zh = v;
  if (moving(zh)) {
    zh = moveBlock(a, zh);
    renameTable(a, v, zh);
  }
  if (u32(a, zh, H_LEN) > maxElements) return zh;
  const last = new Array<number>(u32(a, zh, H_LEVEL)).fill(zh);
  const t = tableOf(a, zh);
  for (let x = fw(a, zh, 0); x !== 0; ) {
    const level = nodeLevel(a, x);
    let nx = x;
    if (moving(x)) {
      nx = a.alloc(a.requestedSize(x));
      a.copy(nx, 0, x, 0, a.usableSize(x));
      for (let i = 0; i < level; i++) setFw(a, last[i], i, nx);
      const next = fw(a, nx, 0);
      if (next !== 0) setU32(a, next, N_BACK, nx);
      else setU32(a, zh, H_TAIL, nx);
      t.replace(memberHash(a.u8[segOf(nx)], memberOff(a, nx), u32(a, nx, N_MLEN)), x, nx);
      addNodeBytes(a, zh, a.usableSize(nx) - a.usableSize(x));
      a.free(x);
    }
    for (let i = 0; i < level; i++) last[i] = nx;
    x = fw(a, nx, 0);
  }
  return zh;
}

/** The sorted-set row of the keyspace's type table. */
export const zsetOps: TypeOps = {
  free: (a, v) => zsFree(a, encodingOf(a, v), v),
  memory: (a, v) => zsMemory(a, encodingOf(a, v), v),
  serialize: (a, v, enc) => zsSerialize(a, enc, v),
  deserialize: (a, src, off, end, enc) => zsDeserialize(a, src, off, end, enc),
  relocate: zsRelocate,
};
