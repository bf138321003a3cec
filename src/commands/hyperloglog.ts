/**
 * The HyperLogLog family: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST,
 * following Redis 7.0's hyperloglog.c, replies, errors and side effects
 * included. An HLL is a plain string (types/hyperloglog.ts has its layout):
 * a dense one is changed in place in the arena (its size never changes), a
 * sparse one too while its entry has room, else in a copy that is written
 * back once the command is done.
 *
 * PFCOUNT of one key is flagged read-only, as in Redis, yet stores the
 * cardinality it computed in the value: like Redis it then tells WATCH and
 * tracking (signalModifiedKey) and counts as a write the AOF records
 * (`Exec.sideWrite`).
 */
import type { ShardHandler } from '../shard/exec.js';
import { Exec, WRONGTYPE } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Tunable } from '../config/tunables.js';
import { setString } from '../types/string.js';
import { copyBytes } from '../util/bytes.js';
import { Notify } from '../util/keyspace-events.js';
import type { FrontCall, FrontHandler } from '../connections/front-call.js';
import {
  ERR_INVALID_HLL,
  ERR_NOT_HLL,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  SparseHll,
  SparseSet,
  cacheValid,
  cachedCard,
  denseGet,
  denseRaise,
  hllCount,
  hllEncoding,
  hllPatLen,
  hllSelfTest,
  invalidateCache,
  isHll,
  mergeInto,
  newSparseHll,
  rawCount,
  setCachedCard,
  sparseDecode,
  sparseSet,
  sparseToDense,
} from '../types/hyperloglog.js';

/**
 * An HLL value being changed: in place in its entry while dense; through
 * `sparse` when sparse (in place while the entry has room, else moved to a
 * buffer); in `dense` once promoted. `finish` writes back what moved.
 */
class HllEdit {
  private readonly sparse = new SparseHll();
  private readonly dense = new Uint8Array(HLL_DENSE_SIZE);
  /** Where the dense bytes are (the entry's value, or `dense`), when not sparse. */
  private u8: Uint8Array = this.dense;
  private off = 0;
  private isSparse = false;
  /** The value was made dense in `dense`: it goes back whole. */
  private promoted = false;
  /** Some register changed (or the encoding did). */
  changed = false;

  begin(x: Exec, h: number): this {
    const u8 = x.bytesOf(h);
    const off = x.ks.valueOffset(h);
    this.changed = false;
    this.promoted = false;
    if (hllEncoding(u8, off) === HLL_DENSE) {
      this.u8 = u8;
      this.off = off;
      this.isSparse = false;
    } else {
      // Edited in the entry while its room lasts (sparse values grow a few bytes at a time).
      this.sparse.edit(u8, off, x.ks.valueWord(h), x.ks.valueCapacity(h));
      this.isSparse = true;
    }
    return this;
  }

  /** Raises register `index` to `count`: 1 when it changed, 0 when not, -1 for a corrupt value. */
  raise(index: number, count: number, maxBytes: number): number {
    if (!this.isSparse) {
      if (!denseRaise(this.u8, this.off + HLL_HDR_SIZE, index, count)) return 0;
      this.changed = true;
      return 1;
    }
    const r = sparseSet(this.sparse, index, count, maxBytes);
    if (r === SparseSet.Changed) this.changed = true;
    if (r !== SparseSet.Promote) return r;
    if (!this.toDense()) return -1;
    denseRaise(this.u8, this.off + HLL_HDR_SIZE, index, count);
    return 1;
  }

  /** Makes the value dense (Redis's hllSparseToDense): false for a corrupt sparse value. */
  toDense(): boolean {
    if (!this.isSparse) return true;
    if (sparseToDense(this.sparse.u8, this.sparse.base, this.sparse.len, this.dense, this.sparse.tail) === null) return false;
    this.u8 = this.dense;
    this.off = 0;
    this.isSparse = false;
    this.promoted = true;
    this.changed = true;
    return true;
  }

  invalidate(): void {
    if (this.isSparse) invalidateCache(this.sparse.u8, this.sparse.base);
    else invalidateCache(this.u8, this.off);
  }

  /**
   * Writes a copy back into entry h when it changed; returns the (possibly
   * moved) entry. `quiet`: a change Redis makes without signalModifiedKey
   * (PFDEBUG's conversions, what a PFADD did before meeting corruption),
   * which WATCH and tracking do not hear of.
   */
  finish(x: Exec, h: number, quiet = false): number {
    if (!this.changed) return h;
    const sp = this.sparse;
    let nh = h;
    let len: number;
    if (this.promoted) {
      len = HLL_DENSE_SIZE;
      nh = x.ks.resizeValue(x.db, h, len, 0, false);
      copyBytes(x.bytesOf(nh), x.ks.valueOffset(nh), this.dense, 0, len);
    } else if (this.isSparse) {
      len = sp.len;
      if (sp.moved) {
        // Out of room: a bigger block, with slack as Redis's sds has.
        nh = x.ks.resizeValue(x.db, h, len, 0, true);
        copyBytes(x.bytesOf(nh), x.ks.valueOffset(nh), sp.u8, 0, len);
      }
    } else return h; // dense, changed in place
    if (quiet) x.ks.valueMoved(nh, len);
    else x.ks.setValueWord(nh, len);
    return nh;
  }
}

const edit = new HllEdit();
/** One register per byte: the union PFCOUNT and PFMERGE build. */
const max = new Uint8Array(HLL_REGISTERS);

const sparseMaxBytes = (x: Exec): number => x.shard.tunables[Tunable.HllSparseMaxBytes];

/**
 * Checks that entry h holds an HLL (Redis's isHLLObjectOrReply): WRONGTYPE
 * for another type, and the HLL flavour of it for a string that is not one.
 */
function checkHll(x: Exec, h: number): boolean {
  if (x.ks.type(h) !== ObjType.String) {
    x.r.error(WRONGTYPE);
    return false;
  }
  if (!isHll(x.bytesOf(h), x.ks.valueOffset(h), x.ks.valueWord(h))) {
    x.r.error(ERR_NOT_HLL);
    return false;
  }
  return true;
}

/** A new, empty HLL under key argument i (Redis's createHLLObject + dbAdd). */
function createHll(x: Exec, i: number): number {
  const v = newSparseHll();
  return setString(x.ks, x.db, x.u8, x.off[i], x.len[i], 0, v, 0, v.length, Enc.Raw, false, x.lru);
}

function pfadd(x: Exec): void {
  let h = x.lookup(1);
  let updated = 0;
  if (h === 0) {
    h = createHll(x, 1);
    updated++;
  } else {
    if (!checkHll(x, h)) return;
    // dbUnshareStringValue: the value is a raw string from now on.
    x.ks.setEncoding(h, Enc.Raw);
  }
  const e = edit.begin(x, h);
  const maxBytes = sparseMaxBytes(x);
  for (let j = 2; j < x.argc; j++) {
    const pl = hllPatLen(x.u8, x.off[j], x.len[j]);
    const r = e.raise(pl >>> 8, pl & 0xff, maxBytes);
    if (r < 0) {
      // What was added before the corrupt part stays, as in Redis (no event, nothing propagated).
      e.finish(x, h, true);
      x.r.error(ERR_INVALID_HLL);
      return;
    }
    updated += r;
  }
  if (updated > 0) {
    e.invalidate();
    e.changed = true;
    h = e.finish(x, h);
    x.ks.modified(h);
    x.notifyArg(Notify.String, 'pfadd', 1);
  } else x.propagateNothing();
  x.r.int(updated > 0 ? 1 : 0);
}

function pfcount(x: Exec): void {
  if (x.argc > 2) {
    // The union of several HLLs: merged into `max`, nothing written.
    max.fill(0);
    for (let j = 1; j < x.argc; j++) {
      const h = x.lookup(j);
      if (h === 0) continue;
      if (!checkHll(x, h)) return;
      if (!mergeInto(max, x.bytesOf(h), x.ks.valueOffset(h), x.ks.valueWord(h))) {
        x.r.error(ERR_INVALID_HLL);
        return;
      }
    }
    x.r.int(rawCount(max));
    return;
  }
  const h = x.lookup(1);
  if (h === 0) {
    x.r.int(0);
    return;
  }
  if (!checkHll(x, h)) return;
  x.ks.setEncoding(h, Enc.Raw);
  const u8 = x.bytesOf(h);
  const off = x.ks.valueOffset(h);
  if (cacheValid(u8, off)) {
    x.r.int(cachedCard(u8, off));
    return;
  }
  const card = hllCount(u8, off, x.ks.valueWord(h));
  if (card < 0) {
    x.r.error(ERR_INVALID_HLL);
    return;
  }
  // The cache is written in place: a running snapshot keeps the value as it was.
  if (x.snapshot !== null) x.snapshot.preserve(x.db, h);
  setCachedCard(u8, off, card);
  x.ks.modified(h);
  x.sideWrite = true;
  x.r.int(card);
}

function pfmerge(x: Exec): void {
  max.fill(0);
  let useDense = false;
  for (let j = 1; j < x.argc; j++) {
    // Sources are read as reads (hits, misses, keymiss events), the destination included.
    const h = x.lookup(j, true);
    if (h === 0) continue;
    if (!checkHll(x, h)) return;
    const u8 = x.bytesOf(h);
    const off = x.ks.valueOffset(h);
    if (hllEncoding(u8, off) === HLL_DENSE) useDense = true;
    if (!mergeInto(max, u8, off, x.ks.valueWord(h))) {
      x.r.error(ERR_INVALID_HLL);
      return;
    }
  }
  let h = x.lookup(1, false);
  if (h === 0) h = createHll(x, 1);
  else x.ks.setEncoding(h, Enc.Raw);
  const e = edit.begin(x, h);
  if (useDense && !e.toDense()) {
    x.r.error(ERR_INVALID_HLL);
    return;
  }
  const maxBytes = sparseMaxBytes(x);
  for (let j = 0; j < HLL_REGISTERS; j++) if (max[j] !== 0) e.raise(j, max[j], maxBytes);
  e.changed = true;
  e.invalidate();
  h = e.finish(x, h);
  x.ks.modified(h);
  // Redis publishes PFADD's event for a merge too.
  x.notifyArg(Notify.String, 'pfadd', 1);
  x.r.ok();
}

/**
 * PFDEBUG <subcommand> <key>: GETREG, DECODE, ENCODING, TODENSE. The key is
 * looked up before the subcommand is judged, as Redis does. Converting to
 * dense (GETREG, TODENSE) is the only change, and the only case propagated.
 */
function pfdebug(x: Exec): void {
  const h0 = x.lookup(2);
  if (h0 === 0) {
    x.r.error('ERR The specified key does not exist');
    return;
  }
  if (!checkHll(x, h0)) return;
  x.ks.setEncoding(h0, Enc.Raw);
  const sparse = hllEncoding(x.bytesOf(h0), x.ks.valueOffset(h0)) !== HLL_DENSE;
  const toDense = (): number => {
    const e = edit.begin(x, h0);
    if (!e.toDense()) return -1;
    return e.finish(x, h0, true);
  };
  if (x.argIs(1, 'getreg')) {
    let h = h0;
    if (sparse) {
      h = toDense();
      if (h < 0) {
        x.r.error(ERR_INVALID_HLL);
        return;
      }
    } else x.propagateNothing();
    const u8 = x.bytesOf(h);
    const regs = x.ks.valueOffset(h) + HLL_HDR_SIZE;
    x.r.array(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) x.r.int(denseGet(u8, regs, j));
  } else if (x.argIs(1, 'decode')) {
    x.propagateNothing();
    if (!sparse) {
      x.r.error('ERR HLL encoding is not sparse');
      return;
    }
    x.r.bulkString(sparseDecode(x.bytesOf(h0), x.ks.valueOffset(h0), x.ks.valueWord(h0)));
  } else if (x.argIs(1, 'encoding')) {
    x.propagateNothing();
    x.r.simple(sparse ? 'sparse' : 'dense');
  } else if (x.argIs(1, 'todense')) {
    if (sparse) {
      if (toDense() < 0) {
        x.r.error(ERR_INVALID_HLL);
        return;
      }
    } else x.propagateNothing();
    x.r.int(sparse ? 1 : 0);
  } else {
    x.r.error(`ERR Unknown PFDEBUG subcommand '${cStringArg(x, 1)}'`);
  }
}

/** Argument i as C's %s prints it: up to its first NUL byte. */
function cStringArg(x: Exec, i: number): string {
  const a = x.arg(i);
  const nul = a.indexOf(0);
  return Buffer.from(nul < 0 ? a : a.subarray(0, nul)).toString('latin1');
}

export const hyperloglogHandlers: Record<string, ShardHandler> = {
  pfadd,
  pfcount,
  pfdebug,
  pfmerge,
};

/** PFSELFTEST touches no key: it runs on the connection's thread. */
function pfselftest(f: FrontCall): void {
  const failure = hllSelfTest();
  if (failure === null) f.w.ok();
  else f.error(`TESTFAILED ${failure}`);
}

export const hyperloglogFrontHandlers: Record<string, FrontHandler> = { pfselftest };
