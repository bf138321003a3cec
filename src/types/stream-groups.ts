/**
 * A stream's consumer groups: each group's last delivered ID, entries-read
 * counter, pending entries list (PEL) and consumers, each consumer with its
 * own PEL. Unlike the entries, these are JavaScript objects beside the
 * arena, found by the stream's header handle (which never changes): they
 * change on nearly every XREADGROUP and XACK, and keeping them as objects
 * keeps those O(log n) without a packed form to rewrite. MEMORY USAGE
 * counts them with a fixed estimate per object (docs/types/streams.md).
 */
import type { Arena } from 'native-free-arena';
import type { StreamId } from './stream.js';

export interface PendingEntry {
  id: StreamId;
  consumer: Consumer;
  /** Last delivery time (ms). */
  deliveryTime: number;
  deliveryCount: number;
}

export interface Consumer {
  name: Uint8Array;
  /** Last time the consumer was seen (ms): any interaction. */
  seenTime: number;
  pel: IdMap<PendingEntry>;
}

export interface Group {
  name: Uint8Array;
  lastId: StreamId;
  /** Entries read by the group, or -1 when it cannot be known (Redis's SCG_INVALID_ENTRIES_READ). */
  entriesRead: bigint;
  pel: IdMap<PendingEntry>;
  /** By name (latin1), listed in byte order as Redis's radix tree lists them. */
  consumers: Map<string, Consumer>;
}

/** Groups by name (latin1). */
export type Groups = Map<string, Group>;

/** A map from stream IDs to values that iterates in ID order. */
export class IdMap<T> {
  private ids: bigint[] = [];
  private readonly map = new Map<bigint, T>();

  get size(): number {
    return this.ids.length;
  }

  get(id: bigint): T | undefined {
    return this.map.get(id);
  }

  has(id: bigint): boolean {
    return this.map.has(id);
  }

  set(id: bigint, v: T): void {
    if (!this.map.has(id)) {
      const ids = this.ids;
      if (ids.length === 0 || ids[ids.length - 1] < id) ids.push(id);
      else ids.splice(this.lowerBound(id), 0, id);
    }
    this.map.set(id, v);
  }

  delete(id: bigint): boolean {
    if (!this.map.delete(id)) return false;
    const ids = this.ids;
    if (ids[0] === id) ids.shift();
    else ids.splice(this.lowerBound(id), 1);
    return true;
  }

  /** Index of the first ID >= id. */
  lowerBound(id: bigint): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  idAt(i: number): bigint {
    return this.ids[i];
  }

  valueAt(i: number): T {
    return this.map.get(this.ids[i])!;
  }

  first(): bigint | undefined {
    return this.ids[0];
  }

  last(): bigint | undefined {
    return this.ids[this.ids.length - 1];
  }
}

const TABLES = new WeakMap<Arena, Map<number, Groups>>();

/** The groups of stream v, or undefined when it has none. */
export function groupsOf(a: Arena, v: number): Groups | undefined {
  return TABLES.get(a)?.get(v);
}

/** The groups of stream v, created empty when missing. */
export function groupsFor(a: Arena, v: number): Groups {
  let t = TABLES.get(a);
  if (t === undefined) TABLES.set(a, (t = new Map()));
  let g = t.get(v);
  if (g === undefined) t.set(v, (g = new Map()));
  return g;
}

export function dropGroups(a: Arena, v: number): void {
  TABLES.get(a)?.delete(v);
}

/** The stream's header moved from v to nv (defragmentation): its groups follow it. */
export function moveGroups(a: Arena, v: number, nv: number): void {
  const t = TABLES.get(a);
  const g = t?.get(v);
  if (t === undefined || g === undefined) return;
  t.delete(v);
  t.set(nv, g);
}

/** An estimate of the bytes the groups take (per group, consumer and pending entry, as Redis's structures roughly take). */
export function groupsMemory(g: Groups | undefined): number {
  if (g === undefined) return 0;
  let bytes = 0;
  for (const grp of g.values()) {
    bytes += 64 + grp.name.length + grp.pel.size * 64;
    for (const c of grp.consumers.values()) bytes += 64 + c.name.length + c.pel.size * 24;
  }
  return bytes;
}

export const groupKey = (name: Uint8Array): string => Buffer.from(name.buffer, name.byteOffset, name.length).toString('latin1');

/** The consumers of a group in Redis's order (byte order of their names). */
export function sortedConsumers(g: Group): Consumer[] {
  return [...g.consumers.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
}

/** The groups in Redis's order (byte order of their names). */
export function sortedGroups(g: Groups | undefined): Group[] {
  if (g === undefined) return [];
  return [...g.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
}
