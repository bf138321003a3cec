/**
 * Field expiry of hashes (Redis 7.4's HEXPIRE family): each hash that has
 * ever had a field TTL gets a side table, field → expire-at (ms since the
 * epoch), created by its first HEXPIRE / HSETEX / HGETEX. Hashes without one
 * cost nothing more than before: no byte per field, no flag in the entry.
 *
 * Like the DashTables of big collections (collection-table.ts), the side
 * table is found from the hash's value word in a per-arena map, and follows
 * the value word when it changes (a listpack block that moves, conversion to
 * a hashtable, defragmentation): hash.ts does all of that, since every
 * change of the value word happens there. A hash that had TTLs and lost them
 * all keeps its (empty) table, as a Redis 7.4 hash stays `listpackex` after
 * HPERSIST.
 *
 * Two forms, behind one interface (`Ttls`):
 *  - packed (up to SMALL fields, as most hashes with TTLs have): one arena
 *    block, searched linearly, the map holding just its handle:
 *      +0 u32 count   +4 u32 record bytes   +8 records, each
 *      [f64 expire-at][u32 field length][field bytes], padded to 8 bytes
 *  - big: a JS map and a min-heap over the times with lazy deletion, so the
 *    earliest time and each due field cost O(log n) however many there are.
 * Fields are named by their bytes as a latin1 string.
 */
import { type Arena, offOf, segOf } from 'native-free-arena';
import { copyBytes } from '../util/bytes.js';

/** A hash's field TTLs, whichever form holds them. */
export interface Ttls {
  readonly size: number;
  /** The field's expire-at, or undefined when it has none. */
  get(field: string): number | undefined;
  /** Every (field, expire-at). */
  entries(): IterableIterator<[string, number]>;
  /** The earliest expire-at, or Infinity. */
  min(): number;
  set(field: string, t: number): void;
  delete(field: string): boolean;
  /** Removes and returns at most `max` fields whose time is at or before `now`, earliest first. */
  takeDue(now: number, max: number): string[];
  /** Bytes MEMORY USAGE counts for the table. */
  memory(): number;
}

/** Up to this many TTLs a table stays packed in the arena. */
const SMALL = 8;

/** The big form: a map and a min-heap of (time, field) with lazy deletion. */
export class FieldTtls implements Ttls {
  private readonly at = new Map<string, number>();
  /**
   * An entry whose field no longer has that time in `at` is stale and
   * dropped when it surfaces; the heap is rebuilt when stale entries
   * outnumber live ones.
   */
  private times: number[] = [];
  private fields: string[] = [];
  /** Bytes of the field names (MEMORY USAGE without a walk). */
  private nameBytes = 0;

  get size(): number {
    return this.at.size;
  }

  get(field: string): number | undefined {
    return this.at.get(field);
  }

  entries(): IterableIterator<[string, number]> {
    return this.at.entries();
  }

  min(): number {
    this.dropStale();
    return this.times.length === 0 ? Infinity : this.times[0];
  }

  set(field: string, t: number): void {
    const old = this.at.get(field);
    if (old === t) return;
    if (old === undefined) this.nameBytes += field.length;
    this.at.set(field, t);
    this.push(t, field);
    if (this.times.length > 2 * this.at.size + 16) this.rebuild();
  }

  delete(field: string): boolean {
    if (!this.at.delete(field)) return false;
    this.nameBytes -= field.length;
    return true;
  }

  takeDue(now: number, max: number): string[] {
    const out: string[] = [];
    while (out.length < max) {
      this.dropStale();
      if (this.times.length === 0 || this.times[0] > now) break;
      const f = this.fields[0];
      this.pop();
      this.delete(f);
      out.push(f);
    }
    return out;
  }

  /** An estimate: this form lives on the JS heap. */
  memory(): number {
    return 96 + 40 * this.at.size + 16 * this.times.length + this.nameBytes;
  }

  private dropStale(): void {
    const ts = this.times;
    const fs = this.fields;
    while (ts.length !== 0 && this.at.get(fs[0]) !== ts[0]) this.pop();
  }

  private rebuild(): void {
    this.times = [];
    this.fields = [];
    for (const [f, t] of this.at) this.push(t, f);
  }

  private push(t: number, f: string): void {
    const ts = this.times;
    const fs = this.fields;
    let i = ts.length;
    ts.push(t);
    fs.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ts[p] <= t) break;
      ts[i] = ts[p];
      fs[i] = fs[p];
      i = p;
    }
    ts[i] = t;
    fs[i] = f;
  }

  private pop(): void {
    const ts = this.times;
    const fs = this.fields;
    const t = ts.pop()!;
    const f = fs.pop()!;
    const n = ts.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && ts[l + 1] < ts[l] ? l + 1 : l;
      if (ts[c] >= t) break;
      ts[i] = ts[c];
      fs[i] = fs[c];
      i = c;
    }
    ts[i] = t;
    fs[i] = f;
  }
}

const P_HDR = 8;

/** Bytes of a packed record for a field of n bytes. */
function recordSize(n: number): number {
  return (12 + n + 7) & ~7;
}

/**
 * The packed form, as a view of the block of hash `v`: one instance, bound
 * by ttlsOf / ensureTtls to the table asked for last, so use it before
 * asking for another hash's table. When a `set` makes the table big, the
 * view passes everything on to the big form.
 */
class PackedTtls implements Ttls {
  a: Arena = null as unknown as Arena;
  /** The hash's value word (the map's key) and the block's handle. */
  v = 0;
  h = 0;
  /** Once `set` made the table big: where this view sends everything (a caller may still hold it). */
  private big: FieldTtls | null = null;

  bind(a: Arena, v: number, h: number): this {
    this.a = a;
    this.v = v;
    this.h = h;
    this.big = null;
    return this;
  }

  private u32(i: number): number {
    return this.a.u32[segOf(this.h)][(offOf(this.h) + i) >> 2];
  }
  private setU32(i: number, x: number): void {
    this.a.u32[segOf(this.h)][(offOf(this.h) + i) >> 2] = x;
  }

  get size(): number {
    return this.big !== null ? this.big.size : this.u32(0);
  }

  /** Offset (from the block's start) of the record of `field`, or -1. */
  private find(field: string): number {
    const d = this.a.u8[segOf(this.h)];
    const base = offOf(this.h);
    const end = P_HDR + this.u32(4);
    const n = field.length;
    for (let p = P_HDR; p < end; ) {
      const len = this.u32(p + 8);
      if (len === n) {
        const q = base + p + 12;
        let i = 0;
        while (i < n && d[q + i] === field.charCodeAt(i)) i++;
        if (i === n) return p;
      }
      p += recordSize(len);
    }
    return -1;
  }

  private timeAt(p: number): number {
    return this.a.f64[segOf(this.h)][(offOf(this.h) + p) >> 3];
  }

  get(field: string): number | undefined {
    if (this.big !== null) return this.big.get(field);
    const p = this.find(field);
    return p < 0 ? undefined : this.timeAt(p);
  }

  entries(): IterableIterator<[string, number]> {
    return this.big !== null ? this.big.entries() : this.records();
  }

  private *records(): IterableIterator<[string, number]> {
    const end = P_HDR + this.u32(4);
    const u8 = this.a.u8[segOf(this.h)];
    for (let p = P_HDR; p < end; ) {
      const len = this.u32(p + 8);
      const q = offOf(this.h) + p + 12;
      yield [Buffer.from(u8.buffer, u8.byteOffset + q, len).toString('latin1'), this.timeAt(p)];
      p += recordSize(len);
    }
  }

  min(): number {
    if (this.big !== null) return this.big.min();
    let m = Infinity;
    const end = P_HDR + this.u32(4);
    for (let p = P_HDR; p < end; p += recordSize(this.u32(p + 8))) {
      const t = this.timeAt(p);
      if (t < m) m = t;
    }
    return m;
  }

  set(field: string, t: number): void {
    if (this.big !== null) return this.big.set(field, t);
    const p = this.find(field);
    if (p >= 0) {
      this.a.f64[segOf(this.h)][(offOf(this.h) + p) >> 3] = t;
      return;
    }
    if (this.size === SMALL) return this.grow().set(field, t);
    const used = this.u32(4);
    const rec = recordSize(field.length);
    if (P_HDR + used + rec > this.a.usableSize(this.h)) this.rehome(this.a.realloc(this.h, P_HDR + used + rec));
    const d = this.a.u8[segOf(this.h)];
    const q = offOf(this.h) + P_HDR + used;
    this.a.f64[segOf(this.h)][q >> 3] = t;
    this.a.u32[segOf(this.h)][(q + 8) >> 2] = field.length;
    for (let i = 0; i < field.length; i++) d[q + 12 + i] = field.charCodeAt(i);
    this.setU32(0, this.size + 1);
    this.setU32(4, used + rec);
  }

  delete(field: string): boolean {
    if (this.big !== null) return this.big.delete(field);
    const p = this.find(field);
    if (p < 0) return false;
    const rec = recordSize(this.u32(p + 8));
    const used = this.u32(4);
    const d = this.a.u8[segOf(this.h)];
    const base = offOf(this.h);
    copyBytes(d, base + p, d, base + p + rec, P_HDR + used - (p + rec));
    this.setU32(0, this.size - 1);
    this.setU32(4, used - rec);
    const usable = this.a.usableSize(this.h);
    if (usable > 64 && P_HDR + used - rec < usable >>> 1) this.rehome(this.a.realloc(this.h, P_HDR + used - rec));
    return true;
  }

  takeDue(now: number, max: number): string[] {
    if (this.big !== null) return this.big.takeDue(now, max);
    const due = [...this.records()].filter(([, t]) => t <= now);
    due.sort((x, y) => x[1] - y[1]);
    const out = due.slice(0, max).map(([f]) => f);
    for (const f of out) this.delete(f);
    return out;
  }

  memory(): number {
    return this.big !== null ? this.big.memory() : this.a.usableSize(this.h);
  }

  /** The block moved: the map follows. */
  private rehome(h: number): void {
    this.h = h;
    tablesOf(this.a).set(this.v, h);
  }

  /** Past SMALL fields: the big form takes over, and the block is freed. */
  private grow(): FieldTtls {
    const big = new FieldTtls();
    for (const [f, t] of this.records()) big.set(f, t);
    this.a.free(this.h);
    tablesOf(this.a).set(this.v, big);
    this.h = 0;
    this.big = big;
    return big;
  }
}

/** The one view of packed tables (see PackedTtls). */
const PACKED = new PackedTtls();

/** Per arena: hash value word → its packed table's block handle, or its big table. */
const tables = new WeakMap<Arena, Map<number, number | FieldTtls>>();
/** Tables alive in this thread, over every arena: while 0, hashes skip every TTL lookup. */
let live = 0;

/** Whether any hash of this thread has a TTL table (the fast path's one test). */
export function anyTtls(): boolean {
  return live !== 0;
}

function tablesOf(a: Arena): Map<number, number | FieldTtls> {
  let m = tables.get(a);
  if (m === undefined) tables.set(a, (m = new Map()));
  return m;
}

/** The field key of bytes u8[off, off + len). */
export function fieldKey(u8: Uint8Array, off: number, len: number): string {
  return Buffer.from(u8.buffer, u8.byteOffset + off, len).toString('latin1');
}

/** The TTL table of hash `v`, or undefined when it never had a field TTL. */
export function ttlsOf(a: Arena, v: number): Ttls | undefined {
  if (live === 0) return undefined;
  const e = tables.get(a)?.get(v);
  if (typeof e === 'number') return PACKED.bind(a, v, e);
  return e;
}

/** The TTL table of hash `v`, created (packed, empty) when missing. */
export function ensureTtls(a: Arena, v: number): Ttls {
  const m = tablesOf(a);
  const e = m.get(v);
  if (e !== undefined) return typeof e === 'number' ? PACKED.bind(a, v, e) : e;
  const h = a.alloc(P_HDR + 24);
  a.u32[segOf(h)][offOf(h) >> 2] = 0;
  a.u32[segOf(h)][(offOf(h) + 4) >> 2] = 0;
  m.set(v, h);
  live++;
  return PACKED.bind(a, v, h);
}

/** Hash `from` is now at value word `to`: its table follows. */
export function moveTtls(a: Arena, from: number, to: number): void {
  if (from === to || live === 0) return;
  const m = tables.get(a);
  const e = m?.get(from);
  if (e === undefined) return;
  m!.delete(from);
  m!.set(to, e);
  if (PACKED.a === a && PACKED.v === from) PACKED.v = to;
}

/** Hash `v` is freed: its table goes. */
export function dropTtls(a: Arena, v: number): void {
  if (live === 0) return;
  const m = tables.get(a);
  const e = m?.get(v);
  if (e === undefined) return;
  if (typeof e === 'number') a.free(e);
  m!.delete(v);
  live--;
  if (PACKED.a === a && PACKED.v === v) PACKED.h = 0;
}

/** Defragmentation: moves hash `v`'s packed block when `moving` picks it. */
export function relocateTtls(a: Arena, v: number, moving: (h: number) => boolean): void {
  if (live === 0) return;
  const m = tables.get(a);
  const e = m?.get(v);
  if (typeof e !== 'number' || !moving(e)) return;
  const nh = a.alloc(a.requestedSize(e));
  a.copy(nh, 0, e, 0, a.usableSize(e));
  a.free(e);
  m!.set(v, nh);
  if (PACKED.a === a && PACKED.v === v) PACKED.h = nh;
}

/** How many hashes of the arena have a TTL table (tests). */
export function ttlTableCount(a: Arena): number {
  return tables.get(a)?.size ?? 0;
}
