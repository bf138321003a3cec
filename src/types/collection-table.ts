/**
 * The hash tables of large collections (hashtable-encoded hashes and sets,
 * the member index of skiplist sorted sets). Each is a native-free-arena
 * DashTable: its segments live in the shard's arena, it grows by splitting
 * one segment at a time (no stop-the-world rehash) and shrinks by merging
 * nearly empty ones as elements go, and its scan cursor keeps SCAN's
 * guarantee through both.
 *
 * A DashTable's directory is a small JS array, so the table object cannot
 * live in the arena; it is found from the collection's header handle (the
 * keyspace entry's value word) in a per-arena map. Only collections past
 * their packed encoding's threshold have one, so these objects are few.
 */
import { type Arena, DashTable, hashBytes } from 'native-free-arena';

const tables = new WeakMap<Arena, Map<number, DashTable>>();

function tablesOf(a: Arena): Map<number, DashTable> {
  let m = tables.get(a);
  if (m === undefined) tables.set(a, (m = new Map()));
  return m;
}

/** Creates the table of collection `header` (its value handle). */
export function newTable(a: Arena, header: number): DashTable {
  const t = new DashTable(a);
  tablesOf(a).set(header, t);
  return t;
}

/** The table of collection `header`. */
export function tableOf(a: Arena, header: number): DashTable {
  const t = tables.get(a)?.get(header);
  if (t === undefined) throw new Error(`no table for collection ${header}`);
  return t;
}

/** Whether collection `header` has a table. */
export function hasTable(a: Arena, header: number): boolean {
  return tables.get(a)?.has(header) ?? false;
}

/** Frees the table of collection `header`, calling `onEntry` for each entry first (to free it). */
export function dropTable(a: Arena, header: number, onEntry?: (h: number) => void): void {
  const m = tablesOf(a);
  const t = m.get(header);
  if (t === undefined) return;
  t.destroy(onEntry);
  m.delete(header);
}

/**
 * A process-wide random seed: clients cannot choose members that pile into one
 * segment (a DashTable refuses more than 48 entries sharing 24 hash bits).
 */
const SEED = (Math.random() * 0x100000000) >>> 0;

/** The hash of a field or member in collection tables. */
export function memberHash(u8: Uint8Array, off: number, len: number): number {
  return hashBytes(u8, off, len, SEED);
}

/** The collection's header moved (defragmentation): its table follows it. */
export function renameTable(a: Arena, from: number, to: number): void {
  const m = tablesOf(a);
  const t = m.get(from);
  if (t === undefined) return;
  m.delete(from);
  m.set(to, t);
}

/**
 * Moves the element blocks of a collection table that `moving` picks,
 * repointing the table (`hashOf` gives an element's hash from its block).
 */
export function relocateElements(a: Arena, t: DashTable, moving: (h: number) => boolean, hashOf: (h: number) => number): void {
  const picked: number[] = [];
  t.forEach((h) => {
    if (moving(h)) picked.push(h);
  });
  for (const h of picked) {
    const nh = a.alloc(a.requestedSize(h));
    a.copy(nh, 0, h, 0, a.usableSize(h));
    t.replace(hashOf(h), h, nh);
    a.free(h);
  }
}

/** Moves the table segments of every collection that `shouldMove` picks (defragmentation). */
export function relocateCollectionTables(a: Arena, shouldMove: (h: number) => boolean): number {
  let moved = 0;
  for (const t of tables.get(a)?.values() ?? []) moved += t.relocateSegments(shouldMove);
  return moved;
}
