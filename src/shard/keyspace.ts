/**
 * A shard's keyspace: 16 databases, each a dashtable in the shard's arena,
 * whose entries are arena blocks. Nothing about a key lives in a JS object.
 *
 * Entry block layout:
 *   +0   u32  meta: type (bits 0-2) | volatile (bit 3) | encoding (bits 4-7) | LRU clock (bits 8-31, seconds)
 *   +4   u32  key length
 *   +8   u32  string value length, or the value's handle for other types
 *   +12  f64  expire-at, ms since the epoch, as two u32 words: only when the volatile bit is set
 *   +12 (persistent) or +20 (volatile): key bytes, then (for strings) the value bytes
 *
 * Strings live inline after the key, so a GET touches one block. A block's
 * usable size may exceed what it holds; that slack lets APPEND and SETRANGE
 * grow in place, as Redis's sds does.
 *
 * The header is as small as it can be because every key pays for it: a
 * key without a TTL (most keys of a cache) carries no expire word, and the
 * key's hash is not kept (the table's slot has it, and removals hash the
 * key again), so SET of a 14-byte key and a 64-byte value fills 90 bytes, a
 * 96-byte block. Giving a key a TTL or taking it away moves its key and
 * value by 8 bytes, in place or into a block of the next class.
 */
import { Arena, DashTable, hashBytes, offOf, segOf } from 'native-free-arena';
import { TYPE_OPS } from './value-ops.js';

/** Header bytes of an entry without, and with, an expire-at. */
const HDR = 12;
const HDR_VOLATILE = 20;
const OFF_META = 0;
const OFF_KEYLEN = 4;
const OFF_VAL = 8;
const OFF_EXPIRE = 12;
const VOLATILE = 8;

// The expire-at's two words, read and written through one f64 (it is 4-aligned in the entry).
const expireF64 = new Float64Array(1);
const expireU32 = new Uint32Array(expireF64.buffer);

export { Enc, ObjType } from './object.js';
import { Enc, ObjType } from './object.js';
import { sliceBytes } from '../util/bytes.js';

export const DB_COUNT = 16;
/**
 * A database no client can select: keys of other shards that a multi-key
 * command reads (REQ_FOREIGN_KEYS) are imported here for one command.
 */
export const SCRATCH_DB = DB_COUNT;

/** Redis's LRU clock: seconds, 24 bits. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & 0xffffff;
}

export class Database {
  table: DashTable;
  /** Keys with an expire-at (for INFO keyspace `expires=`). */
  volatile = 0;
  /** Sum of the remaining TTLs sampled by the expiry cycle (for avg_ttl). */
  avgTtl = 0;
  /** Where the active expiry cycle resumes its sweep. */
  expireCursor = 0;
  /**
   * Entries of hashes that have field TTLs (Redis's per-db `hexpires`):
   * the active expiry of fields visits these. An entry stays until the
   * cycle finds it has no TTL left or it is removed.
   */
  readonly fieldExpiring = new Set<number>();
  constructor(arena: Arena) {
    this.table = new DashTable(arena);
  }
}

export class Keyspace {
  readonly dbs: Database[] = [];
  /** Expired keys reclaimed, lazily or by the cycle (INFO stats expired_keys). */
  expiredKeys = 0;
  /** Hash fields reclaimed by field expiry (INFO stats expired_subkeys). */
  expiredFields = 0;
  /** Reads that found their key, and that did not (INFO keyspace_hits / keyspace_misses). */
  hits = 0;
  misses = 0;
  /**
   * While the AOF loads, keys do not expire (as in Redis: the file's
   * commands must see the keys they saw when they ran); they go once it is
   * loaded.
   */
  expireSuspended = false;
  /** Told before an expired key is reclaimed (the AOF records its deletion, as Redis propagates one). */
  onExpire: ((db: number, h: number) => void) | null = null;
  /** Called when a key is created (keyspace notifications' `new` event). */
  onNew: ((db: number, h: number) => void) | null = null;
  /**
   * The next insertNew replaces a key that was just removed (a STORE
   * command's destination, as Redis's setKey): no `new` event.
   */
  replacing = false;
  /** Database of the running command (for changes made through entry handles). */
  currentDb = 0;
  /** Called with every key that changes, while some connection WATCHes keys of this shard. */
  onModify: ((db: number, h: number) => void) | null = null;
  /**
   * Told before an entry is removed or overwritten in place, while a
   * snapshot runs (persistence/shard-snapshot.ts writes it first).
   */
  onChanging: ((db: number, h: number) => void) | null = null;
  /** Called before databases are emptied or swapped, while something is watched (WATCH sees them as changes). */
  onWholeDb: ((dbs: number[]) => void) | null = null;

  // The probe key of the current lookup, compared by `eq` (no closure per lookup).
  private pU8: Uint8Array = new Uint8Array(0);
  private pOff = 0;
  private pLen = 0;
  private readonly eq = (h: number): boolean => {
    const a = this.arena;
    const seg = segOf(h);
    const off = offOf(h);
    const u32 = a.u32[seg];
    if (u32[(off + OFF_KEYLEN) >> 2] !== this.pLen) return false;
    const u8 = a.u8[seg];
    const k = off + (u32[off >> 2] & VOLATILE ? HDR_VOLATILE : HDR);
    const p = this.pU8;
    const po = this.pOff;
    for (let i = 0; i < this.pLen; i++) if (u8[k + i] !== p[po + i]) return false;
    return true;
  };

  constructor(readonly arena: Arena) {
    for (let i = 0; i <= SCRATCH_DB; i++) this.dbs.push(new Database(arena));
  }

  // ---- entry field access -------------------------------------------------

  keyLen(h: number): number {
    return this.arena.u32[segOf(h)][(offOf(h) + OFF_KEYLEN) >> 2];
  }
  meta(h: number): number {
    return this.arena.u32[segOf(h)][(offOf(h) + OFF_META) >> 2];
  }
  type(h: number): ObjType {
    return this.meta(h) & 7;
  }
  encoding(h: number): Enc {
    return (this.meta(h) >>> 4) & 15;
  }
  setMeta(h: number, type: ObjType, enc: Enc, lru: number): void {
    if (this.onModify !== null) this.onModify(this.currentDb, h);
    const i = (offOf(h) + OFF_META) >> 2;
    const u32 = this.arena.u32[segOf(h)];
    u32[i] = (type | (u32[i] & VOLATILE) | (enc << 4) | (lru << 8)) >>> 0;
  }
  setEncoding(h: number, enc: Enc): void {
    const i = (offOf(h) + OFF_META) >> 2;
    const u32 = this.arena.u32[segOf(h)];
    u32[i] = ((u32[i] & ~0xf0) | (enc << 4)) >>> 0;
  }
  lru(h: number): number {
    return this.meta(h) >>> 8;
  }
  touch(h: number, lru: number): void {
    const i = (offOf(h) + OFF_META) >> 2;
    const u32 = this.arena.u32[segOf(h)];
    u32[i] = ((u32[i] & 0xff) | (lru << 8)) >>> 0;
  }
  /** Header bytes of entry h (where its key starts). */
  private hdr(h: number): number {
    return this.arena.u32[segOf(h)][(offOf(h) + OFF_META) >> 2] & VOLATILE ? HDR_VOLATILE : HDR;
  }
  /** The key's expire-at in ms, 0 when it has none. */
  expireAt(h: number): number {
    const u32 = this.arena.u32[segOf(h)];
    const i = offOf(h) >> 2;
    if ((u32[i + (OFF_META >> 2)] & VOLATILE) === 0) return 0;
    expireU32[0] = u32[i + (OFF_EXPIRE >> 2)];
    expireU32[1] = u32[i + (OFF_EXPIRE >> 2) + 1];
    return expireF64[0];
  }
  valueWord(h: number): number {
    return this.arena.u32[segOf(h)][(offOf(h) + OFF_VAL) >> 2];
  }
  setValueWord(h: number, v: number): void {
    if (this.onModify !== null) this.onModify(this.currentDb, h);
    this.arena.u32[segOf(h)][(offOf(h) + OFF_VAL) >> 2] = v;
  }
  /** The same value now lives at `v` (defragmentation moved it): nothing changed for WATCH or anyone. */
  valueMoved(h: number, v: number): void {
    this.arena.u32[segOf(h)][(offOf(h) + OFF_VAL) >> 2] = v;
  }
  /** Byte offset of the key within `arena.u8[segOf(h)]`. */
  keyOffset(h: number): number {
    return offOf(h) + this.hdr(h);
  }
  /** Byte offset of a string value within `arena.u8[segOf(h)]`. */
  valueOffset(h: number): number {
    return offOf(h) + this.hdr(h) + this.keyLen(h);
  }
  /** Bytes a string value can grow to without moving its entry. */
  valueCapacity(h: number): number {
    return this.arena.usableSize(h) - this.hdr(h) - this.keyLen(h);
  }
  keyBytes(h: number): Uint8Array {
    return sliceBytes(this.arena.u8[segOf(h)], this.keyOffset(h), this.keyLen(h));
  }

  /** The table hash of entry h's key (not kept in the entry: hashed again). */
  private hashOfEntry(h: number): number {
    return hashBytes(this.arena.u8[segOf(h)], this.keyOffset(h), this.keyLen(h));
  }

  // ---- lookups -------------------------------------------------------------

  hashOf(u8: Uint8Array, off: number, len: number): number {
    return hashBytes(u8, off, len);
  }

  /** Finds a key without looking at its expiry. */
  findRaw(db: number, u8: Uint8Array, off: number, len: number, hash: number): number {
    this.pU8 = u8;
    this.pOff = off;
    this.pLen = len;
    return this.dbs[db].table.find(hash, this.eq);
  }

  /** Finds a live key, reclaiming it first if it has expired (lazy expiry). */
  lookup(db: number, u8: Uint8Array, off: number, len: number, now: number): number {
    const hash = hashBytes(u8, off, len);
    const h = this.findRaw(db, u8, off, len, hash);
    if (h === 0) return 0;
    const exp = this.expireAt(h);
    if (exp !== 0 && exp <= now && !this.expireSuspended) {
      this.expiredKeys++;
      this.onExpire?.(db, h);
      this.removeEntry(db, h);
      return 0;
    }
    return h;
  }

  // ---- changes -------------------------------------------------------------

  /**
   * Allocates a new entry for a key that is known to be absent and inserts it.
   * `valueBytes` is the inline room reserved after the key.
   */
  insertNew(db: number, u8: Uint8Array, off: number, len: number, valueBytes: number, type: ObjType, enc: Enc, lru: number): number {
    const a = this.arena;
    const hash = hashBytes(u8, off, len);
    const h = a.alloc(HDR + len + valueBytes);
    const seg = segOf(h);
    const o = offOf(h);
    const u32 = a.u32[seg];
    u32[(o + OFF_KEYLEN) >> 2] = len;
    u32[(o + OFF_META) >> 2] = (type | (enc << 4) | (lru << 8)) >>> 0;
    u32[(o + OFF_VAL) >> 2] = 0;
    const dst = a.u8[seg];
    const k = o + HDR;
    for (let i = 0; i < len; i++) dst[k + i] = u8[off + i];
    this.dbs[db].table.insert(hash, h);
    if (this.onModify !== null) this.onModify(db, h);
    if (this.onNew !== null && !this.replacing) this.onNew(db, h);
    this.replacing = false;
    return h;
  }

  /**
   * Gives entry `h` room for `valueBytes` inline bytes, moving it to a bigger
   * block when needed (the value's first `keepBytes` bytes are preserved).
   * Returns the possibly new handle.
   */
  resizeValue(db: number, h: number, valueBytes: number, keepBytes: number, greedy: boolean): number {
    if (this.valueCapacity(h) >= valueBytes) return h;
    const a = this.arena;
    const head = this.hdr(h) + this.keyLen(h);
    let want = head + valueBytes;
    // Growing strings get slack as Redis's sds does: double under 1 MB, +1 MB above.
    if (greedy) want = valueBytes < 1024 * 1024 ? head + valueBytes * 2 : want + 1024 * 1024;
    const nh = a.alloc(want);
    a.copy(nh, 0, h, 0, head + keepBytes);
    this.dbs[db].table.replace(this.hashOfEntry(h), h, nh);
    a.free(h);
    return nh;
  }

  /**
   * Moves entry `h` to a new block of the same size (defragmentation: the
   * arena hands out no block of a draining segment). Its value structure
   * stays where it is. Returns the new handle.
   */
  relocate(db: number, h: number): number {
    const a = this.arena;
    const nh = a.alloc(a.requestedSize(h));
    // Same class: the slack (where APPEND grows) moves too.
    a.copy(nh, 0, h, 0, a.usableSize(h));
    const d = this.dbs[db];
    d.table.replace(this.hashOfEntry(h), h, nh);
    if (d.fieldExpiring.delete(h)) d.fieldExpiring.add(nh);
    a.free(h);
    return nh;
  }

  /**
   * Sets the key's expire-at (0: none). Adding or removing one resizes the
   * header, which can move the entry: returns its handle, the only one valid
   * afterwards.
   */
  setExpire(db: number, h: number, at: number): number {
    const had = this.expireAt(h);
    if (had === at) return h; // no change: nothing to tell WATCH
    // A running snapshot writes the entry as it was first (it may move, and its old block go).
    if (this.onChanging !== null) this.onChanging(db, h);
    if (this.onModify !== null) this.onModify(db, h);
    const d = this.dbs[db];
    if (had !== 0 && at !== 0) {
      this.writeExpire(h, at);
      return h;
    }
    if (at !== 0) {
      d.volatile++;
      h = this.resizeHeader(db, h, HDR_VOLATILE);
      this.writeExpire(h, at);
    } else {
      d.volatile--;
      h = this.resizeHeader(db, h, HDR);
    }
    return h;
  }

  private writeExpire(h: number, at: number): void {
    const u32 = this.arena.u32[segOf(h)];
    const i = (offOf(h) + OFF_EXPIRE) >> 2;
    expireF64[0] = at;
    u32[i] = expireU32[0];
    u32[i + 1] = expireU32[1];
  }

  /**
   * Gives entry h a header of `size` bytes (with or without the expire-at):
   * its key and inline value move by the difference, in its block when the
   * class has room, else into a block of the right class.
   */
  private resizeHeader(db: number, h: number, size: number): number {
    const a = this.arena;
    const old = this.hdr(h);
    const rest = this.keyLen(h) + (this.type(h) === ObjType.String ? this.valueWord(h) : 0);
    const hash = this.hashOfEntry(h);
    if (size < old) a.copy(h, size, h, old, rest);
    const nh = a.realloc(h, size + rest);
    if (size > old) a.copy(nh, size, nh, old, rest);
    const u32 = a.u32[segOf(nh)];
    const i = (offOf(nh) + OFF_META) >> 2;
    u32[i] = size === HDR_VOLATILE ? u32[i] | VOLATILE : u32[i] & ~VOLATILE;
    if (nh !== h) {
      const d = this.dbs[db];
      d.table.replace(hash, h, nh);
      if (d.fieldExpiring.delete(h)) d.fieldExpiring.add(nh);
    }
    return nh;
  }

  /** Removes an entry from its table and frees it (and its value). */
  removeEntry(db: number, h: number): void {
    if (this.onChanging !== null) this.onChanging(db, h);
    if (this.onModify !== null) this.onModify(db, h);
    const d = this.dbs[db];
    d.table.remove(this.hashOfEntry(h), h);
    if (this.expireAt(h) !== 0) d.volatile--;
    if (d.fieldExpiring.size !== 0) d.fieldExpiring.delete(h);
    this.freeEntry(h);
  }

  /** Frees an entry that is no longer in any table, with its value's structure. */
  freeEntry(h: number): void {
    const type = this.type(h);
    if (type !== ObjType.String) {
      const v = this.valueWord(h);
      // 0: the value was handed to another entry (see detachValue).
      if (v !== 0) TYPE_OPS[type]!.free(this.arena, v);
    }
    this.arena.free(h);
  }

  /**
   * Takes the value structure out of a non-string entry (so that removing the
   * entry leaves it alive) and returns its handle, for moving a value to
   * another key without copying it.
   */
  detachValue(h: number): number {
    const v = this.valueWord(h);
    this.arena.u32[segOf(h)][(offOf(h) + OFF_VAL) >> 2] = 0;
    return v;
  }

  /** Indexes entry h when parts of its value expire (a hash with field TTLs, arrived by RENAME, RESTORE, a load ...). */
  trackPartsExpiry(db: number, h: number): void {
    const ops = TYPE_OPS[this.type(h)];
    if (ops?.partsExpire !== undefined && ops.partsExpire(this.arena, this.valueWord(h))) this.dbs[db].fieldExpiring.add(h);
  }

  /** Entry h of db is about to change outside a write command (a field expiring): a running snapshot writes it first. */
  changing(db: number, h: number): void {
    if (this.onChanging !== null) this.onChanging(db, h);
  }

  /** Tells WATCH that the value of entry h changed in place (a list push, a pop ...). */
  modified(h: number): void {
    if (this.onModify !== null) this.onModify(this.currentDb, h);
  }

  /** Deletes a key if it exists (expired keys count as absent). */
  delete(db: number, u8: Uint8Array, off: number, len: number, now: number): boolean {
    const h = this.lookup(db, u8, off, len, now);
    if (h === 0) return false;
    this.removeEntry(db, h);
    return true;
  }

  /** Frees every key of the scratch database (no WATCH or keyspace hooks: nobody sees it). */
  clearScratch(): void {
    const d = this.dbs[SCRATCH_DB];
    if (d.table.size === 0) return;
    d.table.clear((h) => this.freeEntry(h));
    d.volatile = 0;
    d.fieldExpiring.clear();
  }

  size(db: number): number {
    return this.dbs[db].table.size;
  }

  totalKeys(): number {
    let n = 0;
    for (const d of this.dbs) n += d.table.size;
    return n;
  }

  flushDb(db: number): void {
    if (this.onWholeDb !== null) this.onWholeDb([db]);
    const d = this.dbs[db];
    d.table.clear((h) => this.freeEntry(h));
    d.volatile = 0;
    d.expireCursor = 0;
    d.fieldExpiring.clear();
  }

  swapDb(a: number, b: number): void {
    if (this.onWholeDb !== null) this.onWholeDb([a, b]);
    const t = this.dbs[a];
    this.dbs[a] = this.dbs[b];
    this.dbs[b] = t;
  }

  /**
   * One step of the active expiry cycle over database `db`: visits up to
   * `budget` entries from where the last step stopped and reclaims the
   * expired ones. Returns the number visited (0 when nothing is volatile).
   */
  expireStep(db: number, now: number, budget: number): number {
    const d = this.dbs[db];
    if (d.volatile === 0 || this.expireSuspended) return 0;
    let visited = 0;
    const doomed: number[] = [];
    d.expireCursor = d.table.scan(d.expireCursor, budget, (h) => {
      visited++;
      const exp = this.expireAt(h);
      if (exp !== 0 && exp <= now) doomed.push(h);
    });
    for (const h of doomed) {
      this.expiredKeys++;
      this.onExpire?.(db, h);
      this.removeEntry(db, h);
    }
    return visited;
  }
}
