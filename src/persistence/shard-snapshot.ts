/**
 * A shard's side of BGSAVE without fork: the keys as they were at one
 * instant, written while the shard goes on serving commands.
 *
 * At the barrier (every shard at the same point of the global order) the
 * shard marks every entry it holds: one bit per arena granule, so the marks
 * cost 1/64 of the arena (64 KiB per 4 MiB segment). Then:
 *  - the walk (`next`, one chunk per request from the saving thread) goes
 *    over each database's table with the dashtable's SCAN cursor and writes
 *    every entry still marked, clearing its mark (a SCAN may report an entry
 *    twice; the cleared mark makes the second report a no-op);
 *  - before a write changes or removes a marked entry (`preserve`, called by
 *    the shard for the keys of every write command and by the keyspace for
 *    every removal), the entry is written first, as it still is, and its mark
 *    cleared. These early records are what fork's copy-on-write pages are for
 *    Redis; their bytes are reported as rdb_last_cow_size;
 *  - an entry created after the barrier was never marked, so it is left out
 *    (an arena block freed and reused gets no mark either: removal clears it);
 *  - FLUSHALL, FLUSHDB and SWAPDB write everything still marked first (`drain`).
 * Chunks are self-contained: each starts with SELECTDB (RDB allows a
 * database to be selected again), so the saving thread can append chunks of
 * all shards in any order.
 */
import { OFF_MASK, SEG_SHIFT, segOf } from 'native-free-arena';
import type { SnapshotHooks } from '../shard/exec.js';
import type { Keyspace } from '../shard/keyspace.js';
import { ObjType } from '../shard/keyspace.js';
import { hashForEach, hashLength } from '../types/hash.js';
import { ttlsOf } from '../types/hash-ttl.js';
import { cur, setForEach, setSize } from '../types/set.js';
import { ZIter, zsLength } from '../types/zset.js';
import { DB_COUNT } from '../shard/keyspace.js';
import { RdbWriter, type RdbWriterOptions } from './rdb-writer.js';
import { readValue } from './values.js';

/** Chunks bigger than this cross the ring in slices of this size. */
const SLICE_BYTES = 1 << 20;

/** Granules per segment: one mark bit each. */
const GRANULES = OFF_MASK + 1;

export class ShardSnapshot implements SnapshotHooks {
  private readonly marks: Array<Uint8Array | undefined> = [];
  private db = 0;
  private cursor = 0;
  private finished = false;
  /** Records written ahead of the walk (entries about to change). */
  private readonly early: RdbWriter;
  /** The walk's records of the current chunk. */
  private readonly walker: RdbWriter;
  private earlyDb = -1;
  /** Bytes written ahead of the walk, in total. */
  earlyBytes = 0;
  /** Entries marked at the barrier and not yet written. */
  pending = 0;

  constructor(
    private readonly ks: Keyspace,
    private readonly opts: RdbWriterOptions,
    /** The barrier's time: keys expired by then are left out. */
    private readonly now: number,
  ) {
    this.early = new RdbWriter({ ...opts, checksum: false }, 4096);
    this.walker = new RdbWriter({ ...opts, checksum: false }, 64 * 1024);
    for (let db = 0; db < DB_COUNT; db++) this.ks.dbs[db].table.forEach((h) => this.mark(h));
  }

  private mark(h: number): void {
    const s = segOf(h);
    let m = this.marks[s];
    if (m === undefined) this.marks[s] = m = new Uint8Array(GRANULES >>> 3);
    const g = h & OFF_MASK;
    m[g >>> 3] |= 1 << (g & 7);
    this.pending++;
  }

  /** Clears h's mark; true when it was marked. */
  private take(h: number): boolean {
    const m = this.marks[h >>> SEG_SHIFT];
    if (m === undefined) return false;
    const g = h & OFF_MASK;
    const bit = 1 << (g & 7);
    if ((m[g >>> 3] & bit) === 0) return false;
    m[g >>> 3] &= ~bit;
    this.pending--;
    return true;
  }

  /** Entry h of db is about to change or go: if the snapshot still needs it, it is written now. */
  preserve(db: number, h: number): void {
    if (!this.take(h)) return;
    const before = this.early.pending;
    if (this.write(this.early, db, h, this.earlyDb)) this.earlyDb = db;
    this.earlyBytes += this.early.pending - before;
  }

  /** Writes every entry still marked (before FLUSHALL, FLUSHDB or SWAPDB). */
  drain(): void {
    while (this.pending > 0 && this.db < DB_COUNT) {
      const db = this.db;
      this.cursor = this.ks.dbs[db].table.scan(this.cursor, 1024, (h) => this.preserve(db, h));
      if (this.cursor === 0) this.db++;
    }
  }

  /**
   * The next chunk of records, about `budget` bytes (early records first),
   * and whether it continues in the next one: a chunk over SLICE_BYTES (one
   * big collection's record) goes out in slices, which the saving thread
   * writes one after another with nothing in between. An empty chunk once
   * every marked entry has been written.
   */
  next(budget: number): { bytes: Uint8Array; more: boolean } {
    if (this.sliced !== null) return this.slice();
    const chunk = this.walk(budget);
    if (chunk.length <= SLICE_BYTES) return { bytes: chunk, more: false };
    this.sliced = chunk;
    this.slicedAt = 0;
    return this.slice();
  }

  /** A chunk being handed out in slices, and how far. */
  private sliced: Uint8Array | null = null;
  private slicedAt = 0;

  private slice(): { bytes: Uint8Array; more: boolean } {
    const whole = this.sliced!;
    const end = Math.min(whole.length, this.slicedAt + SLICE_BYTES);
    const bytes = whole.subarray(this.slicedAt, end);
    this.slicedAt = end;
    if (end === whole.length) this.sliced = null;
    return { bytes, more: this.sliced !== null };
  }

  private walk(budget: number): Uint8Array {
    const out = this.early.pending > 0 ? this.early.take() : null;
    this.earlyDb = -1;
    if (this.finished || (out !== null && out.length >= budget)) return out ?? new Uint8Array(0);
    const w = this.walker;
    let lastDb = -1;
    while (w.pending < budget && this.db < DB_COUNT) {
      const db = this.db;
      this.cursor = this.ks.dbs[db].table.scan(this.cursor, 256, (h) => {
        if (this.take(h) && this.write(w, db, h, lastDb)) lastDb = db;
      });
      if (this.cursor === 0) this.db++;
    }
    if (this.db >= DB_COUNT) this.finished = true;
    const walked = w.take();
    if (out === null) return walked;
    const both = new Uint8Array(out.length + walked.length);
    both.set(out, 0);
    both.set(walked, out.length);
    return both;
  }

  /** Writes entry h (unless expired at the barrier), with SELECTDB when db changes; true when written. */
  private write(w: RdbWriter, db: number, h: number, currentDb: number): boolean {
    const exp = this.ks.expireAt(h);
    if (exp !== 0 && exp <= this.now) return false;
    if (db !== currentDb) w.selectDb(db);
    const ks = this.ks;
    const o = ks.keyOffset(h);
    const key = ks.arena.u8[segOf(h)].subarray(o, o + ks.keyLen(h));
    if (!this.writeBig(w, key, h, exp === 0 ? -1 : exp)) w.entry(key, readValue(ks, h, true), exp === 0 ? -1 : exp);
    return true;
  }

  /**
   * A collection beyond its compact encoding's limit goes straight from the
   * arena to the writer, element by element (an array of a million elements
   * would cost more than the snapshot's whole budget); false for the others.
   */
  private writeBig(w: RdbWriter, key: Uint8Array, h: number, expireAt: number): boolean {
    const ks = this.ks;
    const a = ks.arena;
    const v = ks.valueWord(h);
    const lim = this.opts.limits;
    switch (ks.type(h)) {
      case ObjType.Set: {
        const n = setSize(a, v);
        if (n <= lim.setMaxIntsetEntries) return false;
        w.bigEntry(key, expireAt, 'set', n, (sink) => setForEach(a, v, () => sink.element(cur.u8, cur.off, cur.len)));
        return true;
      }
      case ObjType.Hash: {
        const n = hashLength(a, v);
        // Field TTLs go through the element form (HASH_METADATA).
        if (n <= lim.hashMaxListpackEntries || (ttlsOf(a, v)?.size ?? 0) !== 0) return false;
        w.bigEntry(key, expireAt, 'hash', n, (sink) =>
          hashForEach(a, v, (u8, fo, fn, vo, vn) => {
            sink.element(u8, fo, fn);
            sink.element(u8, vo, vn);
          }),
        );
        return true;
      }
      case ObjType.ZSet: {
        const enc = ks.encoding(h);
        const n = zsLength(a, enc, v);
        if (n <= lim.zsetMaxListpackEntries) return false;
        w.bigEntry(key, expireAt, 'zset', n, (sink) => {
          const it = new ZIter().init(a, enc, v);
          if (!it.last()) return;
          do {
            sink.element(it.u8, it.off, it.len);
            sink.score(it.score);
          } while (it.prev());
        });
        return true;
      }
      default:
        return false;
    }
  }
}
