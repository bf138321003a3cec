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
 * Fields are keyed by their bytes as a latin1 string. A table of a few
 * TTLs is one flat array (most hashes with TTLs have a few); past that, a
 * map and a min-heap over the times make the per-access check "has any
 * field expired?" a comparison and reclaiming the due fields O(log n)
 * each, however many fields have TTLs.
 */
import type { Arena } from 'native-free-arena';

/** The heap of a small table: none (shared, never written). */
const NONE_T: number[] = [];
const NONE_F: string[] = [];
/** An empty small table's pairs (shared: `set` makes a new array, `delete` finds nothing in it). */
const NONE_FLAT: Array<string | number> = [];

/** Up to this many TTLs, a table is one flat array, searched linearly (most hashes with TTLs have a few). */
const SMALL = 8;

export class FieldTtls {
  /** Small form: field, time, field, time ...; null once the table is big. */
  private flat: Array<string | number> | null = NONE_FLAT;
  /** Big form: field → expire-at. */
  private map: Map<string, number> | null = null;
  /**
   * Big form: a binary min-heap of (time, field) over `map`, with lazy
   * deletion: an entry whose field no longer has that time in `map` is
   * stale and dropped when it surfaces; the heap is rebuilt when stale
   * entries outnumber live ones. The earliest time, and the due fields in
   * order, cost O(log n).
   */
  private times: number[] = NONE_T;
  private fields: string[] = NONE_F;
  /** Bytes of the field names (MEMORY USAGE without a walk). */
  private nameBytes = 0;

  get size(): number {
    return this.flat !== null ? this.flat.length >> 1 : this.map!.size;
  }

  /** The field's expire-at, or undefined when it has none. */
  get(field: string): number | undefined {
    const flat = this.flat;
    if (flat === null) return this.map!.get(field);
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === field) return flat[i + 1] as number;
    return undefined;
  }

  /** Every (field, expire-at). */
  *entries(): IterableIterator<[string, number]> {
    const flat = this.flat;
    if (flat === null) {
      yield* this.map!;
      return;
    }
    for (let i = 0; i < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as number];
  }

  /** The earliest expire-at, or Infinity. */
  min(): number {
    const flat = this.flat;
    if (flat !== null) {
      let m = Infinity;
      for (let i = 1; i < flat.length; i += 2) if ((flat[i] as number) < m) m = flat[i] as number;
      return m;
    }
    this.dropStale();
    return this.times.length === 0 ? Infinity : this.times[0];
  }

  set(field: string, t: number): void {
    const flat = this.flat;
    if (flat !== null) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] === field) {
          flat[i + 1] = t;
          return;
        }
      }
      this.nameBytes += field.length;
      // A new array of the exact size: a push would give it room for 17.
      this.flat = flat.length === 0 ? [field, t] : flat.concat(field, t);
      if (this.flat.length > 2 * SMALL) this.grow();
      return;
    }
    const map = this.map!;
    const old = map.get(field);
    if (old === t) return;
    if (old === undefined) this.nameBytes += field.length;
    map.set(field, t);
    this.push(t, field);
    if (this.times.length > 2 * map.size + 16) this.rebuild();
  }

  delete(field: string): boolean {
    const flat = this.flat;
    if (flat !== null) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] !== field) continue;
        // Order does not matter: the last pair takes the place.
        const n = flat.length;
        flat[i] = flat[n - 2];
        flat[i + 1] = flat[n - 1];
        flat.length = n - 2;
        this.nameBytes -= field.length;
        return true;
      }
      return false;
    }
    if (!this.map!.delete(field)) return false;
    this.nameBytes -= field.length;
    return true;
  }

  /** Removes and returns at most `max` fields whose time is at or before `now`, earliest first. */
  takeDue(now: number, max: number): string[] {
    if (this.flat !== null) {
      const due = [...this.entries()].filter(([, t]) => t <= now);
      due.sort((p, q) => p[1] - q[1]);
      const out = due.slice(0, max).map(([f]) => f);
      for (const f of out) this.delete(f);
      return out;
    }
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

  /** Bytes MEMORY USAGE counts for the table (an estimate: it lives on the JS heap). */
  memory(): number {
    return this.flat !== null ? 64 + 24 * this.flat.length + this.nameBytes : 96 + 40 * this.map!.size + 16 * this.times.length + this.nameBytes;
  }

  /** Small to big: the flat pairs go into a map and a heap. */
  private grow(): void {
    const map = new Map<string, number>();
    for (const [f, t] of this.entries()) map.set(f, t);
    this.map = map;
    this.flat = null;
    this.rebuild();
  }

  private dropStale(): void {
    const ts = this.times;
    const fs = this.fields;
    const map = this.map!;
    while (ts.length !== 0 && map.get(fs[0]) !== ts[0]) this.pop();
  }

  private rebuild(): void {
    this.times = [];
    this.fields = [];
    for (const [f, t] of this.map!) this.push(t, f);
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

const tables = new WeakMap<Arena, Map<number, FieldTtls>>();
/** Tables alive in this thread, over every arena: while 0, hashes skip every TTL lookup. */
let live = 0;

/** Whether any hash of this thread has a TTL table (the fast path's one test). */
export function anyTtls(): boolean {
  return live !== 0;
}

function tablesOf(a: Arena): Map<number, FieldTtls> {
  let m = tables.get(a);
  if (m === undefined) tables.set(a, (m = new Map()));
  return m;
}

/** The field key of bytes u8[off, off + len). */
export function fieldKey(u8: Uint8Array, off: number, len: number): string {
  return Buffer.from(u8.buffer, u8.byteOffset + off, len).toString('latin1');
}

/** The TTL table of hash `v`, or undefined when it never had a field TTL. */
export function ttlsOf(a: Arena, v: number): FieldTtls | undefined {
  if (live === 0) return undefined;
  return tables.get(a)?.get(v);
}

/** The TTL table of hash `v`, created when missing. */
export function ensureTtls(a: Arena, v: number): FieldTtls {
  const m = tablesOf(a);
  let t = m.get(v);
  if (t === undefined) {
    m.set(v, (t = new FieldTtls()));
    live++;
  }
  return t;
}

/** Attaches a built table to hash `v` (deserialization). */
export function attachTtls(a: Arena, v: number, t: FieldTtls): void {
  const m = tablesOf(a);
  if (!m.has(v)) live++;
  m.set(v, t);
}

/** Hash `from` is now at value word `to`: its table follows. */
export function moveTtls(a: Arena, from: number, to: number): void {
  if (from === to || live === 0) return;
  const m = tables.get(a);
  const t = m?.get(from);
  if (t === undefined) return;
  m!.delete(from);
  m!.set(to, t);
}

/** Hash `v` is freed. */
export function dropTtls(a: Arena, v: number): void {
  if (live !== 0 && tables.get(a)?.delete(v) === true) live--;
}

/** How many hashes of the arena have a TTL table (tests, INFO). */
export function ttlTableCount(a: Arena): number {
  return tables.get(a)?.size ?? 0;
}
