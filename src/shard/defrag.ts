/**
 * Active defragmentation of a shard's arena (Redis's `activedefrag`), run
 * from the thread's cron in slices of a few milliseconds, between batches
 * of commands, so the thread never stops for long.
 *
 * When the arena's free space inside its segments passes
 * `active-defrag-ignore-bytes` and `active-defrag-threshold-lower` percent
 * of what is allocated, a pass starts: the sparsest segments (at most half
 * full) are drained (the arena hands out no block of them any more), then
 * the pass walks every database with the dashtable's scan cursor and moves
 * each entry that sits in a draining segment to a new block, with the
 * blocks of its value that do (TypeOps.relocate: packed encodings and
 * headers always, the elements of hashes and sets that have at most
 * `active-defrag-max-scan-fields`; skiplist and list nodes stay), and
 * moves the keyspace's and the collections' table segments out of them. At the end of
 * the walk the segments that emptied are released; the others (they hold
 * blocks that are not moved: skiplist and list nodes, elements of large
 * collections) take their free blocks back. A pass waits while a snapshot is being written: its marks
 * follow entries by address.
 *
 * Effort, as Redis's: between `active-defrag-cycle-min` and `-max` percent
 * of the thread's time, scaled by how far the fragmentation is between the
 * lower and upper thresholds.
 */
import type { Arena } from 'native-free-arena';
import { relocateCollectionTables } from '../types/collection-table.js';
import type { Keyspace } from './keyspace.js';
import { TYPE_OPS } from './value-ops.js';

export interface DefragSettings {
  enabled: boolean;
  ignoreBytes: number;
  thresholdLower: number;
  thresholdUpper: number;
  cycleMin: number;
  cycleMax: number;
  /** Collections with more elements than this have only their header and packed blocks moved. */
  maxScanFields: number;
}

/** A pass drains segments at most this full. */
const SPARSE_USE = 0.5;
/** ...and at most this many at once. */
const MAX_DRAINING = 64;

export class Defragmenter {
  settings: DefragSettings = { enabled: false, ignoreBytes: 100 * 1024 * 1024, thresholdLower: 10, thresholdUpper: 100, cycleMin: 1, cycleMax: 25, maxScanFields: 1000 };
  /** A pass is under way (INFO active_defrag_running). */
  running = false;
  /** Blocks moved, and entries looked at that did not need to (INFO active_defrag_hits/misses). */
  hits = 0;
  misses = 0;
  /** Keys of which something moved, and keys left as they were (INFO active_defrag_key_hits/misses). */
  keyHits = 0;
  keyMisses = 0;
  /** Bytes of segments released by passes. */
  releasedBytes = 0;
  private db = 0;
  private cursor = 0;

  constructor(
    private readonly arena: Arena,
    private readonly ks: Keyspace,
  ) {}

  /** Free bytes inside the arena's segments, and their percent of what is allocated. */
  fragmentation(): { bytes: number; percent: number } {
    const s = this.arena.stats();
    const free = s.freeListBytes + s.runReserveBytes;
    return { bytes: free, percent: s.allocatedBytes > 0 ? (free * 100) / s.allocatedBytes : 0 };
  }

  /**
   * One slice (the cron's): starts a pass when the thresholds say so, moves
   * entries for the slice's time, ends the pass when the walk is done.
   * `cronMs` is the cron's period. Returns the bytes of segments released.
   */
  step(cronMs: number, snapshotting: boolean): number {
    const s = this.settings;
    if (!this.running) {
      if (!s.enabled) return 0;
      const f = this.fragmentation();
      if (f.bytes < s.ignoreBytes || f.percent < s.thresholdLower) return 0;
      const segs = this.arena.sparseSegments(SPARSE_USE, MAX_DRAINING);
      if (segs.length === 0) return 0;
      this.arena.drain(segs);
      this.running = true;
      this.db = 0;
      this.cursor = 0;
    }
    if (snapshotting) return 0;
    const f = this.fragmentation();
    const span = Math.max(1, s.thresholdUpper - s.thresholdLower);
    const effort = s.cycleMin + ((s.cycleMax - s.cycleMin) * Math.min(1, Math.max(0, (f.percent - s.thresholdLower) / span)));
    const deadline = performance.now() + (cronMs * effort) / 100;
    const a = this.arena;
    const draining = (h: number) => a.isDraining(h);
    // Every block a value's relocation is told to move, it moves: counted as hits.
    const counting = (h: number) => {
      if (!a.isDraining(h)) return false;
      this.hits++;
      return true;
    };
    while (performance.now() < deadline) {
      if (this.db >= this.ks.dbs.length) return this.finish();
      const table = this.ks.dbs[this.db].table;
      if (this.cursor === 0) this.hits += table.relocateSegments(draining);
      const db = this.db;
      this.cursor = table.scan(this.cursor, 256, (h) => {
        let moved = false;
        if (a.isDraining(h)) {
          h = this.ks.relocate(db, h);
          this.hits++;
          moved = true;
        }
        const ops = TYPE_OPS[this.ks.type(h)];
        if (ops?.relocate !== undefined) {
          const v = this.ks.valueWord(h);
          const before = this.hits;
          const nv = ops.relocate(a, v, counting, s.maxScanFields);
          if (nv !== v) this.ks.valueMoved(h, nv);
          if (this.hits !== before) moved = true;
        }
        if (moved) {
          this.keyHits++;
        } else {
          this.misses++;
          this.keyMisses++;
        }
      });
      if (this.cursor === 0) this.db++;
    }
    return 0;
  }

  /** The walk is done: collection tables move, what emptied is released, the rest takes its free blocks back. */
  private finish(): number {
    const a = this.arena;
    this.hits += relocateCollectionTables(a, (h) => a.isDraining(h));
    a.undrain();
    const released = a.releaseEmptySegments();
    this.releasedBytes += released;
    this.running = false;
    return released;
  }

  resetStats(): void {
    this.hits = 0;
    this.misses = 0;
    this.keyHits = 0;
    this.keyMisses = 0;
  }
}
