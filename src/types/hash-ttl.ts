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
 * Fields are keyed by their bytes as a latin1 string. A min-heap over the
 * times makes the per-access check "has any field expired?" a comparison
 * and reclaiming the due fields O(log n) each, however many fields have TTLs.
 */
import type { Arena } from 'native-free-arena';

export class FieldTtls {
  /** Field → expire-at. Read it freely; change it only through set / delete / takeDue. */
  readonly at = new Map<string, number>();
  /**
   * A binary min-heap of (time, field) over `at`, with lazy deletion: an
   * entry whose field no longer has that time in `at` is stale and dropped
   * when it surfaces; the heap is rebuilt when stale entries outnumber live
   * ones. The earliest time, and the due fields in order, cost O(log n).
   */
  private times: number[] = [];
  private fields: string[] = [];
  /** Bytes of the field names (MEMORY USAGE without a walk). */
  private nameBytes = 0;

  get size(): number {
    return this.at.size;
  }

  /** The earliest expire-at, or Infinity. */
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

  /** Removes and returns at most `max` fields whose time is at or before `now`, earliest first. */
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

  /** Bytes MEMORY USAGE counts for the table (an estimate: it lives on the JS heap). */
  memory(): number {
    return 48 + 40 * this.at.size + 16 * this.times.length + this.nameBytes;
  }

  private dropStale(): void {
    while (this.times.length !== 0 && this.at.get(this.fields[0]) !== this.times[0]) this.pop();
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
