/**
 * What the keyspace needs to know about each collection type, in one table:
 * how to free a value, how many arena bytes it occupies (MEMORY USAGE), and
 * how to turn it into bytes and back (RENAME/COPY/MOVE across shards, and the
 * foreign keys of multi-key commands). The value types (src/types/) fill the
 * table (types/types.ts) — the keyspace knows the table, not the types.
 * `TYPE_OPS` is indexed by ObjType. Strings are not here: their value lives
 * inline in the keyspace entry.
 */
import type { Arena } from 'native-free-arena';

export interface TypeOps {
  /** Frees the value (the handle in the entry's value word) with every block it owns. */
  free(a: Arena, v: number): void;
  /** Arena bytes the value occupies (usable sizes of all its blocks). */
  memory(a: Arena, v: number): number;
  /** The value as bytes (any layout the type chooses; the encoding travels beside it). */
  serialize(a: Arena, v: number, enc: number): Uint8Array;
  /**
   * Builds a value from `serialize` bytes src[off, end) that had encoding
   * `enc`; returns the new value word. Throws on a malformed blob before
   * leaving anything allocated.
   */
  deserialize(a: Arena, src: Uint8Array, off: number, end: number, enc: number): number;
  /**
   * Defragmentation: moves the value's blocks that `moving` picks to new
   * blocks (its header and packed blocks always; its elements only when it
   * has at most `maxElements`); returns the value word, which may change.
   * Types without it are left where they are.
   */
  relocate?(a: Arena, v: number, moving: (h: number) => boolean, maxElements: number): number;
  /** Whether parts of the value expire on their own (hash fields with TTLs): the keyspace then indexes its entry. */
  partsExpire?(a: Arena, v: number): boolean;
}

/** Moves block `h` to a new block of the same size (its whole usable bytes copied) and frees it. */
export function moveBlock(a: Arena, h: number): number {
  const nh = a.alloc(a.requestedSize(h));
  a.copy(nh, 0, h, 0, a.usableSize(h));
  a.free(h);
  return nh;
}

/** Indexed by ObjType; filled in by types/types.ts. */
export const TYPE_OPS: Array<TypeOps | undefined> = [];
