/**
 * The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
 * BITFIELD_RO over string values (types/bitmap.ts does the bit work).
 * Replies, errors and the order in which arguments and keys are checked
 * follow Redis 7.0's bitops.c; an "int"-encoded string is read as its
 * decimal bytes, and a string written through these commands becomes "raw".
 */
import type { ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { parseInt64 } from '../util/numbers.js';
import { Notify } from '../util/keyspace-events.js';
import { copyBytes } from '../util/bytes.js';
import { BitOp, type BitSource, bitop as computeBitop, countBits, findBit, getBit, getField, popcount, setBit, setField } from '../types/bitmap.js';

const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';
const ERR_BITFIELD_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

/**
 * A bit offset argument, as Redis's getBitOffsetFromArgument: an int64,
 * or with `bits` > 0 also "#N" for N * bits (BITFIELD); negative offsets
 * and offsets past proto-max-bulk-len bytes are refused. Returns null after
 * replying the error.
 */
function bitOffsetArg(x: Exec, i: number, bits: number): number | null {
  let o = x.off[i];
  let n = x.len[i];
  const hash = bits > 0 && n > 1 && x.u8[o] === 35; /* '#' */
  if (hash) {
    o++;
    n--;
  }
  const v = parseInt64(x.u8, o, n);
  if (typeof v === 'number' && !hash) {
    // The common case, without BigInt.
    if (v >= 0 && Math.floor(v / 8) < x.shard.protoMaxBulkLen) return v;
    x.r.error(ERR_BIT_OFFSET);
    return null;
  }
  let off = v === null ? -1n : BigInt(v);
  // Redis multiplies in int64: a huge #N wraps as it does there.
  if (hash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || off >> 3n >= BigInt(x.shard.protoMaxBulkLen)) {
    x.r.error(ERR_BIT_OFFSET);
    return null;
  }
  return Number(off);
}

/**
 * The string at key argument 1 made at least long enough to hold bit
 * `maxBit`, created zero-filled when missing (Redis's
 * lookupStringForBitCommand); `h0` is the key's entry (0: none). The
 * value is "raw" from now on, whatever it was. Returns the entry, and
 * whether the key was created or grew: a change whatever the bits do.
 */
function stringForBits(x: Exec, h0: number, maxBit: number): [number, boolean] {
  const need = Math.floor(maxBit / 8) + 1;
  const ks = x.ks;
  if (h0 === 0) {
    const h = ks.insertNew(x.db, x.u8, x.off[1], x.len[1], need, ObjType.String, Enc.Raw, x.lru);
    const vo = ks.valueOffset(h);
    x.bytesOf(h).fill(0, vo, vo + need);
    ks.setValueWord(h, need);
    return [h, true];
  }
  ks.setEncoding(h0, Enc.Raw);
  const old = ks.valueWord(h0);
  if (need <= old) return [h0, false];
  // Grown with slack, as Redis's sdsgrowzero: the next SETBIT a little further costs nothing.
  const h = ks.resizeValue(x.db, h0, need, old, true);
  const vo = ks.valueOffset(h);
  x.bytesOf(h).fill(0, vo + old, vo + need);
  ks.setValueWord(h, need);
  return [h, true];
}

/**
 * SETBIT. Setting a bit to the value it has, in a string that did not have
 * to grow, is no change (Redis 7.0.15 as 7.2): no event, nothing for WATCH
 * or the AOF.
 */
function setbit(x: Exec): void {
  const pos = bitOffsetArg(x, 2, 0);
  if (pos === null) return;
  const on = x.argInt64(3);
  if (on !== 0 && on !== 1) {
    x.r.error(ERR_BIT_VALUE);
    return;
  }
  const h0 = x.lookupTyped(1, ObjType.String);
  if (h0 < 0) return;
  const [h, grown] = stringForBits(x, h0, pos);
  const old = setBit(x.bytesOf(h), x.ks.valueOffset(h), pos, on);
  if (grown || old !== on) {
    x.ks.modified(h);
    x.notifyArg(Notify.String, 'setbit', 1);
  } else x.propagateNothing();
  x.r.int(old);
}

function getbit(x: Exec): void {
  const pos = bitOffsetArg(x, 2, 0);
  if (pos === null) return;
  const h = x.lookupTyped(1, ObjType.String);
  if (h < 0) return;
  x.r.int(h === 0 ? 0 : getBit(x.bytesOf(h), x.ks.valueOffset(h), x.ks.valueWord(h), pos));
}

/**
 * A range bound of BITCOUNT / BITPOS normalised against a length of
 * `total` units: negatives count from the end, then clamped at 0 (the
 * caller clamps the end to total - 1). Values beyond ±2^53 are far outside
 * any string, so ±2^53 stands for them.
 */
function normalise(v: number | bigint, total: number): number {
  let n = typeof v === 'bigint' ? (v < 0n ? -(2 ** 53) : 2 ** 53) : v;
  if (n < 0) n += total;
  return n < 0 ? 0 : n;
}

/** The BYTE | BIT argument i: true for BIT, false for BYTE, null after replying a syntax error. */
function unitArg(x: Exec, i: number): boolean | null {
  if (x.argIs(i, 'bit')) return true;
  if (x.argIs(i, 'byte')) return false;
  x.r.error(ERR_SYNTAX);
  return null;
}

/** BITCOUNT key [start end [BYTE | BIT]]: as Redis 7.0, the key is looked up before the range is parsed. */
function bitcount(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.String);
  if (h < 0) return;
  if (h === 0) {
    x.r.int(0);
    return;
  }
  const u8 = x.bytesOf(h);
  const off = x.ks.valueOffset(h);
  const len = x.ks.valueWord(h);
  if (x.argc === 2) {
    x.r.int(popcount(u8, off, len));
    return;
  }
  if (x.argc !== 4 && x.argc !== 5) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const start = x.argIntOrReply(2);
  if (start === null) return;
  const end = x.argIntOrReply(3);
  if (end === null) return;
  // Redis 7.0 answers this case before it reads the unit.
  if (start < 0 && end < 0 && start > end) {
    x.r.int(0);
    return;
  }
  const isBit = x.argc === 5 ? unitArg(x, 4) : false;
  if (isBit === null) return;
  const total = isBit ? len * 8 : len;
  const s = normalise(start, total);
  let e = normalise(end, total);
  if (e >= total) e = total - 1;
  if (s > e) x.r.int(0);
  else if (isBit) x.r.int(countBits(u8, off, s, e));
  else x.r.int(popcount(u8, off + s, e - s + 1));
}

/**
 * BITPOS key bit [start [end [BYTE | BIT]]]. A missing key is all zeros;
 * when no bit is found, looking for 0 without an explicit end answers the
 * position just past the range (the string continues with zeros), else -1.
 */
function bitpos(x: Exec): void {
  const bit = x.argLong(2);
  if (bit === null) {
    x.r.error(ERR_NOT_INT);
    return;
  }
  if (bit !== 0 && bit !== 1) {
    x.r.error('ERR The bit argument must be 1 or 0.');
    return;
  }
  const h = x.lookupTyped(1, ObjType.String);
  if (h < 0) return;
  if (h === 0) {
    x.r.int(bit === 1 ? -1 : 0);
    return;
  }
  const u8 = x.bytesOf(h);
  const off = x.ks.valueOffset(h);
  const len = x.ks.valueWord(h);
  let sb = 0;
  let eb = len * 8 - 1;
  let endGiven = false;
  if (x.argc >= 4 && x.argc <= 6) {
    const start = x.argIntOrReply(3);
    if (start === null) return;
    const isBit = x.argc === 6 ? unitArg(x, 5) : false;
    if (isBit === null) return;
    let end: number | bigint = isBit ? len * 8 + 7 : len - 1;
    if (x.argc >= 5) {
      const e = x.argIntOrReply(4);
      if (e === null) return;
      end = e;
      endGiven = true;
    }
    const total = isBit ? len * 8 : len;
    const s = normalise(start, total);
    let e = normalise(end, total);
    if (e >= total) e = total - 1;
    if (s > e) {
      x.r.int(-1);
      return;
    }
    sb = isBit ? s : s * 8;
    eb = isBit ? e : e * 8 + 7;
  } else if (x.argc !== 3) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  if (sb > eb) {
    x.r.int(-1);
    return;
  }
  const pos = findBit(u8, off, sb, eb, bit);
  if (pos >= 0) x.r.int(pos);
  else x.r.int(bit === 1 || endGiven ? -1 : eb + 1);
}

/** BITOP op destkey key [key ...]: source keys of other shards come in through the foreign-keys path. */
function bitop(x: Exec): void {
  let op: BitOp;
  if (x.argIs(1, 'and')) op = BitOp.And;
  else if (x.argIs(1, 'or')) op = BitOp.Or;
  else if (x.argIs(1, 'xor')) op = BitOp.Xor;
  else if (x.argIs(1, 'not')) op = BitOp.Not;
  else {
    x.r.error(ERR_SYNTAX);
    return;
  }
  if (op === BitOp.Not && x.argc !== 4) {
    x.r.error('ERR BITOP NOT must be called with a single source key.');
    return;
  }
  const srcs: Array<BitSource | null> = [];
  let maxlen = 0;
  for (let i = 3; i < x.argc; i++) {
    // Sources are read lookups in Redis (hits, misses, keymiss events).
    const h = x.lookupTyped(i, ObjType.String, true);
    if (h < 0) return;
    if (h === 0) srcs.push(null);
    else {
      const len = x.ks.valueWord(h);
      srcs.push({ u8: x.bytesOf(h), off: x.ks.valueOffset(h), len });
      if (len > maxlen) maxlen = len;
    }
  }
  // Computed aside first: the destination may be one of the sources.
  const res = maxlen > 0 ? computeBitop(op, srcs, maxlen) : null;
  const old = x.peek(2);
  if (old !== 0) x.ks.removeEntry(x.db, old);
  if (res !== null) {
    x.ks.replacing = old !== 0;
    const h = x.ks.insertNew(x.db, x.u8, x.off[2], x.len[2], maxlen, ObjType.String, Enc.Raw, x.lru);
    copyBytes(x.bytesOf(h), x.ks.valueOffset(h), res, 0, maxlen);
    x.ks.setValueWord(h, maxlen);
    x.notifyArg(Notify.String, 'set', 2);
  } else if (old !== 0) x.notifyArg(Notify.Generic, 'del', 2);
  else x.propagateNothing();
  x.r.int(maxlen);
}

// ---- BITFIELD ----------------------------------------------------------------

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

const OVERFLOW_WRAP = 0;
const OVERFLOW_SAT = 1;
const OVERFLOW_FAIL = 2;

interface FieldOp {
  code: number;
  overflow: number;
  signed: boolean;
  bits: number;
  pos: number;
  value: bigint;
}

const INT64_MAX = (1n << 63n) - 1n;

/** A bitfield type argument (i1..i64, u1..u63): [signed, bits], or null after replying the error. */
function fieldTypeArg(x: Exec, i: number): [boolean, number] | null {
  const o = x.off[i];
  const n = x.len[i];
  const c = n > 0 ? x.u8[o] : 0;
  const signed = c === 105; /* 'i' */
  const bits = c === 105 || c === 117 /* 'u' */ ? parseInt64(x.u8, o + 1, n - 1) : null;
  if (bits === null || bits < 1 || bits > (signed ? 64 : 63)) {
    x.r.error(ERR_BITFIELD_TYPE);
    return null;
  }
  return [signed, Number(bits)];
}

/**
 * What writing `value + incr` into a field does, as Redis's
 * check{Signed,Unsigned}BitfieldOverflow (int64 wrap-arounds included):
 * [0, value + incr] when it fits, else [1 or -1, the value WRAP or SAT
 * stores] (FAIL stores nothing).
 */
function overflowSigned(value: bigint, incr: bigint, bits: number, overflow: number): [number, bigint] {
  const max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, min - value);
  const wrapped = BigInt.asIntN(bits, value + incr);
  if (value > max || (bits !== 64 && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)) {
    return [1, overflow === OVERFLOW_SAT ? max : wrapped];
  }
  if (value < min || (bits !== 64 && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)) {
    return [-1, overflow === OVERFLOW_SAT ? min : wrapped];
  }
  return [0, value + incr];
}

function overflowUnsigned(value: bigint, incr: bigint, bits: number, overflow: number): [number, bigint] {
  const max = (1n << BigInt(bits)) - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, -value);
  const wrapped = BigInt.asUintN(bits, value + incr);
  if (value > max || (incr > 0n && incr > maxIncr)) return [1, overflow === OVERFLOW_SAT ? max : wrapped];
  if (incr < 0n && incr < minIncr) return [-1, overflow === OVERFLOW_SAT ? 0n : wrapped];
  return [0, value + incr];
}

/**
 * Parses BITFIELD's operations (GET / SET / INCRBY / OVERFLOW) from
 * argument 2 on, in Redis's order of checks. Returns them, or null after
 * replying an error.
 */
function parseFieldOps(x: Exec): { ops: FieldOp[]; highest: number; readonly: boolean } | null {
  const ops: FieldOp[] = [];
  let overflow = OVERFLOW_WRAP;
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < x.argc; j++) {
    const rem = x.argc - j - 1;
    let code: number;
    if (x.argIs(j, 'get') && rem >= 2) code = OP_GET;
    else if (x.argIs(j, 'set') && rem >= 3) code = OP_SET;
    else if (x.argIs(j, 'incrby') && rem >= 3) code = OP_INCRBY;
    else if (x.argIs(j, 'overflow') && rem >= 1) {
      j++;
      if (x.argIs(j, 'wrap')) overflow = OVERFLOW_WRAP;
      else if (x.argIs(j, 'sat')) overflow = OVERFLOW_SAT;
      else if (x.argIs(j, 'fail')) overflow = OVERFLOW_FAIL;
      else {
        x.r.error('ERR Invalid OVERFLOW type specified');
        return null;
      }
      continue;
    } else {
      x.r.error(ERR_SYNTAX);
      return null;
    }
    const type = fieldTypeArg(x, j + 1);
    if (type === null) return null;
    const [signed, bits] = type;
    const pos = bitOffsetArg(x, j + 2, bits);
    if (pos === null) return null;
    let value = 0n;
    if (code !== OP_GET) {
      readonly = false;
      highest = Math.max(highest, pos + bits - 1);
      const v = x.argIntOrReply(j + 3);
      if (v === null) return null;
      value = BigInt(v);
    }
    ops.push({ code, overflow, signed, bits, pos, value });
    j += code === OP_GET ? 2 : 3;
  }
  return { ops, highest, readonly };
}

/**
 * BITFIELD and BITFIELD_RO (`ro`). Only GETs: a read (the key may be
 * missing). Any SET or INCRBY: the string grows to the furthest bit written
 * first. As in Redis 7.0.15, the command is a change (event, WATCH, AOF)
 * only when a write changed a field or the key was created or grew; a key
 * created by writes that OVERFLOW FAIL all refused stays, unannounced.
 */
function bitfieldGeneric(x: Exec, ro: boolean): void {
  const parsed = parseFieldOps(x);
  if (parsed === null) return;
  const { ops, highest, readonly } = parsed;
  let h: number;
  let grown = false;
  let changes = 0;
  if (readonly) {
    h = x.lookupTyped(1, ObjType.String, true);
    if (h < 0) return;
  } else {
    if (ro) {
      x.r.error('ERR BITFIELD_RO only supports the GET subcommand');
      return;
    }
    const h0 = x.lookupTyped(1, ObjType.String);
    if (h0 < 0) return;
    [h, grown] = stringForBits(x, h0, highest);
  }
  const u8 = h === 0 ? null : x.bytesOf(h);
  const off = h === 0 ? 0 : x.ks.valueOffset(h);
  const len = h === 0 ? 0 : x.ks.valueWord(h);
  x.r.array(ops.length);
  for (const op of ops) {
    const raw = u8 === null ? 0n : getField(u8, off, len, op.pos, op.bits);
    const cur = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
    if (op.code === OP_GET) {
      x.r.int(cur);
      continue;
    }
    const check = op.signed ? overflowSigned : overflowUnsigned;
    let next: bigint;
    let reply: bigint;
    let over: number;
    if (op.code === OP_INCRBY) {
      [over, next] = check(cur, op.value, op.bits, op.overflow);
      reply = next;
    } else {
      // SET checks the new value alone; an unsigned field sees it as Redis's uint64 does.
      const v = op.signed ? op.value : BigInt.asUintN(64, op.value);
      [over, next] = check(v, 0n, op.bits, op.overflow);
      reply = cur;
    }
    if (over !== 0 && op.overflow === OVERFLOW_FAIL) {
      x.r.nullBulk();
      continue;
    }
    x.r.int(reply);
    setField(u8!, off, op.pos, op.bits, BigInt.asUintN(op.bits, next));
    if (grown || next !== cur) changes++;
  }
  if (changes > 0) {
    x.ks.modified(h);
    x.notifyArg(Notify.String, 'setbit', 1);
  } else x.propagateNothing();
}

function bitfield(x: Exec): void {
  bitfieldGeneric(x, false);
}

function bitfieldRo(x: Exec): void {
  bitfieldGeneric(x, true);
}

export const bitmapHandlers: Record<string, ShardHandler> = {
  bitcount,
  bitfield,
  bitfield_ro: bitfieldRo,
  bitop,
  bitpos,
  getbit,
  setbit,
};
