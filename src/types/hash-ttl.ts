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
 * Fields are keyed by their bytes as a latin1 string. `min` caches the
 * earliest expire-at (Infinity: none), so the per-access check "has any
 * field expired?" is one comparison.
 */
import type { Arena } from 'native-free-arena';

export class FieldTtls {
  readonly at = new Map<string, number>();
  /** The earliest expire-at, or Infinity; NaN: to be recomputed. */
  private minAt = Infinity;

  get size(): number {
    return this.at.size;
  }

  min(): number {
    if (Number.isNaN(this.minAt)) {
      let m = Infinity;
      for (const t of this.at.values()) if (t < m) m = t;
      this.minAt = m;
    }
    return this.minAt;
  }

  set(field: string, t: number): void {
    const old = this.at.get(field);
    this.at.set(field, t);
    if (old === this.minAt && t > old) this.minAt = NaN;
    else if (t < this.minAt) this.minAt = t;
  }

  delete(field: string): boolean {
    const old = this.at.get(field);
    if (old === undefined) return false;
    this.at.delete(field);
    if (old === this.minAt) this.minAt = NaN;
    return true;
  }

  /** The fields whose time is at or before `now`, earliest first. */
  due(now: number): string[] {
    if (this.min() > now) return [];
    const out: Array<[string, number]> = [];
    for (const [f, t] of this.at) if (t <= now) out.push([f, t]);
    out.sort((p, q) => p[1] - q[1]);
    return out.map((p) => p[0]);
  }

  /** Arena-equivalent bytes MEMORY USAGE counts for the table (an estimate: it lives on the JS heap). */
  memory(): number {
    let n = 48;
    for (const f of this.at.keys()) n += 40 + f.length;
    return n;
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
