/**
 * The string family: SET and friends, counters, ranges, LCS. Handlers run on
 * the shard that owns the key; replies and errors follow Redis 7.0's t_string.c
 * behaviour, including the order in which arguments are checked.
 */
import type { ShardHandler } from '../shard/exec.js';
import { replyBulk } from './bulk-reply.js';
import { ERR_NOT_FLOAT, ERR_NOT_INT, ERR_SYNTAX, Exec, WRONGTYPE } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { EMBSTR_MAX, encodingForCreated, encodingForValue, setString } from '../types/string.js';
import { LD_ZERO, ldAdd, ldFormatHuman, ldIsFinite, ldParse } from '../util/longdouble.js';
import { lcs, lcsTableBytes } from '../util/lcs.js';
import { INT64_MAX, INT64_MIN, addInt64Checked, parseInt64 } from '../util/numbers.js';
import { copyBytes } from '../util/bytes.js';
import { Notify } from '../util/keyspace-events.js';

const ERR_STRING_SIZE = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

// Flags of SET/GETEX options (Redis's OBJ_SET_* / OBJ_EX ...).
const F_NX = 1;
const F_XX = 2;
const F_GET = 4;
const F_KEEPTTL = 8;
const F_PERSIST = 16;
const F_EX = 32;
const F_PX = 64;
const F_EXAT = 128;
const F_PXAT = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/** Replies with the value of string entry h (streaming large values). */
export function replyString(x: Exec, h: number): void {
  replyBulk(x, x.bytesOf(h), x.ks.valueOffset(h), x.ks.valueWord(h));
}

/**
 * Parses the options of SET (isSet) or GETEX from argument `from` on, with
 * the same acceptance rules as Redis's parseExtendedStringArgumentsOrReply.
 * Returns the flags and the index of the expire argument (0: none), or null
 * after replying a syntax error.
 */
function parseStringOptions(x: Exec, from: number, isSet: boolean): { flags: number; expireArg: number } | null {
  let flags = 0;
  let expireArg = 0;
  for (let j = from; j < x.argc; j++) {
    const hasNext = j < x.argc - 1;
    if (isSet && x.argIs(j, 'nx') && !(flags & F_XX)) flags |= F_NX;
    else if (isSet && x.argIs(j, 'xx') && !(flags & F_NX)) flags |= F_XX;
    else if (isSet && x.argIs(j, 'get')) flags |= F_GET;
    else if (isSet && x.argIs(j, 'keepttl') && !(flags & (F_PERSIST | F_ANY_EXPIRE))) flags |= F_KEEPTTL;
    else if (!isSet && x.argIs(j, 'persist') && !(flags & (F_ANY_EXPIRE | F_KEEPTTL))) flags |= F_PERSIST;
    else if (x.argIs(j, 'ex') && !(flags & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT)) && hasNext) {
      flags |= F_EX;
      expireArg = ++j;
    } else if (x.argIs(j, 'px') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) && hasNext) {
      flags |= F_PX;
      expireArg = ++j;
    } else if (x.argIs(j, 'exat') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) && hasNext) {
      flags |= F_EXAT;
      expireArg = ++j;
    } else if (x.argIs(j, 'pxat') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) && hasNext) {
      flags |= F_PXAT;
      expireArg = ++j;
    } else {
      x.r.error(ERR_SYNTAX);
      return null;
    }
  }
  return { flags, expireArg };
}

/**
 * Turns an expire argument into an absolute time in ms, as Redis's
 * getExpireMillisecondsOrReply: non-positive values and overflows are
 * "invalid expire time". Returns null after replying an error.
 */
function expireMillis(x: Exec, arg: number, flags: number): number | null {
  const v = x.argInt64(arg);
  if (v === null) {
    x.r.error(ERR_NOT_INT);
    return null;
  }
  let ms = BigInt(v);
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) {
    x.r.error(`ERR invalid expire time in '${x.name}' command`);
    return null;
  }
  if (seconds) ms *= 1000n;
  if (flags & (F_EX | F_PX)) ms += BigInt(x.now);
  if (ms > INT64_MAX) {
    x.r.error(`ERR invalid expire time in '${x.name}' command`);
    return null;
  }
  return Number(ms);
}

/**
 * SET's core, shared by SET, SETEX, PSETEX, SETNX, GETSET: errors are replied
 * here; otherwise `okReply` when the value was set, `abortReply` when NX/XX
 * refused it (neither with GET, whose reply is the old value).
 */
function setGeneric(x: Exec, valArg: number, flags: number, expireArg: number, okReply: () => void, abortReply: () => void): void {
  let expireAt = 0;
  if (expireArg > 0) {
    const ms = expireMillis(x, expireArg, flags);
    if (ms === null) return;
    expireAt = ms;
  }
  let h = x.lookup(1);
  if (flags & F_GET) {
    if (h === 0) x.r.nullBulk();
    else if (x.ks.type(h) !== ObjType.String) {
      x.r.error(WRONGTYPE);
      return;
    } else replyString(x, h);
  }
  if (((flags & F_NX) && h !== 0) || ((flags & F_XX) && h === 0)) {
    x.propagateNothing();
    if (!(flags & F_GET)) abortReply();
    return;
  }
  const vo = x.off[valArg];
  const vl = x.len[valArg];
  h = setString(x.ks, x.db, x.u8, x.off[1], x.len[1], h, x.u8, vo, vl, encodingForValue(x.u8, vo, vl), (flags & F_KEEPTTL) !== 0, x.lru);
  x.notifyArg(Notify.String, 'set', 1);
  if (expireAt !== 0) {
    h = x.ks.setExpire(x.db, h, expireAt);
    // As Redis 7: a relative expiry (EX, PX, EXAT, SETEX, PSETEX) goes to the AOF as SET key value PXAT <ms>.
    if (!(flags & F_PXAT)) x.propagate('SET', x.arg(1), x.arg(valArg), 'PXAT', String(expireAt));
    x.notifyArg(Notify.Generic, 'expire', 1);
  }
  if (!(flags & F_GET)) okReply();
}

function get(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.String);
  if (h === 0) x.r.nullBulk();
  else if (h > 0) replyString(x, h);
}

function set(x: Exec): void {
  const o = parseStringOptions(x, 3, true);
  if (o === null) return;
  setGeneric(
    x,
    2,
    o.flags,
    o.expireArg,
    () => x.r.ok(),
    () => x.r.nullBulk(),
  );
}

function setnx(x: Exec): void {
  setGeneric(
    x,
    2,
    F_NX,
    0,
    () => x.r.int(1),
    () => x.r.int(0),
  );
}

function setex(x: Exec): void {
  setGeneric(
    x,
    3,
    F_EX,
    2,
    () => x.r.ok(),
    () => {},
  );
}

function psetex(x: Exec): void {
  setGeneric(
    x,
    3,
    F_PX,
    2,
    () => x.r.ok(),
    () => {},
  );
}

function getset(x: Exec): void {
  setGeneric(
    x,
    2,
    F_GET,
    0,
    () => {},
    () => {},
  );
}

function getdel(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.String);
  if (h === 0) {
    x.propagateNothing();
    x.r.nullBulk();
  } else if (h > 0) {
    replyString(x, h);
    x.ks.removeEntry(x.db, h);
    // Redis replicates it as the DEL it did.
    x.propagate('DEL', x.arg(1));
    x.notifyArg(Notify.Generic, 'del', 1);
  }
}

function getex(x: Exec): void {
  const o = parseStringOptions(x, 2, false);
  if (o === null) return;
  // A read, as Redis's GETEX looks its key up (keyspace_hits / keyspace_misses).
  const h = x.lookupTyped(1, ObjType.String, true);
  if (h === 0) {
    x.propagateNothing();
    x.r.nullBulk();
    return;
  }
  if (h < 0) return;
  let at = 0;
  if (o.expireArg > 0) {
    const ms = expireMillis(x, o.expireArg, o.flags);
    if (ms === null) return;
    at = ms;
  }
  replyString(x, h);
  if (o.flags & (F_EXAT | F_PXAT) && at <= x.now && !x.ks.expireSuspended) {
    x.ks.removeEntry(x.db, h);
    x.propagate('DEL', x.arg(1));
    x.notifyArg(Notify.Generic, 'del', 1);
  } else if (at !== 0) {
    x.ks.setExpire(x.db, h, at);
    x.propagate('PEXPIREAT', x.arg(1), String(at));
    x.notifyArg(Notify.Generic, 'expire', 1);
  } else if (o.flags & F_PERSIST) {
    const had = x.ks.expireAt(h) !== 0;
    x.ks.setExpire(x.db, h, 0);
    x.propagate('PERSIST', x.arg(1));
    if (had) x.notifyArg(Notify.Generic, 'persist', 1);
  } else x.propagateNothing();
}

function strlen(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.String);
  if (h >= 0) x.r.int(h === 0 ? 0 : x.ks.valueWord(h));
}

function append(x: Exec): void {
  const h0 = x.lookupTyped(1, ObjType.String);
  if (h0 < 0) return;
  const ao = x.off[2];
  const al = x.len[2];
  if (h0 === 0) {
    setString(x.ks, x.db, x.u8, x.off[1], x.len[1], 0, x.u8, ao, al, encodingForValue(x.u8, ao, al), false, x.lru);
    x.notifyArg(Notify.String, 'append', 1);
    x.r.int(al);
    return;
  }
  const old = x.ks.valueWord(h0);
  if (old + al > x.shard.protoMaxBulkLen) {
    x.r.error(ERR_STRING_SIZE);
    return;
  }
  const h = x.ks.resizeValue(x.db, h0, old + al, old, true);
  const dst = x.bytesOf(h);
  copyBytes(dst, x.ks.valueOffset(h) + old, x.u8, ao, al);
  x.ks.setValueWord(h, old + al);
  x.ks.setEncoding(h, Enc.Raw);
  x.notifyArg(Notify.String, 'append', 1);
  x.r.int(old + al);
}

/** INCR, DECR, INCRBY, DECRBY. */
function incrBy(x: Exec, by: number | bigint): void {
  const h = x.lookupTyped(1, ObjType.String);
  if (h < 0) return;
  let cur: number | bigint = 0;
  if (h !== 0) {
    const v = parseInt64(x.bytesOf(h), x.ks.valueOffset(h), x.ks.valueWord(h));
    if (v === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
    cur = v;
  }
  const next = addInt64Checked(cur, by);
  if (next === null) {
    x.r.error('ERR increment or decrement would overflow');
    return;
  }
  const digits = Buffer.from(String(next), 'latin1');
  setString(x.ks, x.db, x.u8, x.off[1], x.len[1], h, digits, 0, digits.length, Enc.Int, true, x.lru);
  x.notifyArg(Notify.String, 'incrby', 1);
  x.r.int(next);
}

function incr(x: Exec): void {
  incrBy(x, 1);
}
function decr(x: Exec): void {
  incrBy(x, -1);
}
function incrby(x: Exec): void {
  const by = x.argIntOrReply(2);
  if (by !== null) incrBy(x, by);
}
function decrby(x: Exec): void {
  const by = x.argIntOrReply(2);
  if (by === null) return;
  if (by === INT64_MIN) {
    x.r.error('ERR decrement would overflow');
    return;
  }
  incrBy(x, typeof by === 'bigint' ? -by : -by);
}

/** INCRBYFLOAT adds in x87 long double, as Redis does, so results print identically. */
function incrbyfloat(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.String);
  if (h < 0) return;
  let cur = LD_ZERO;
  if (h !== 0) {
    const v = ldParse(x.bytesOf(h), x.ks.valueOffset(h), x.ks.valueWord(h));
    if (v === null) {
      x.r.error(ERR_NOT_FLOAT);
      return;
    }
    cur = v;
  }
  const by = ldParse(x.u8, x.off[2], x.len[2]);
  if (by === null) {
    x.r.error(ERR_NOT_FLOAT);
    return;
  }
  const next = ldAdd(cur, by);
  if (!ldIsFinite(next)) {
    x.r.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = Buffer.from(ldFormatHuman(next), 'latin1');
  setString(x.ks, x.db, x.u8, x.off[1], x.len[1], h, text, 0, text.length, encodingForCreated(text.length), true, x.lru);
  // The sum as written, so a replay does not depend on float formatting.
  x.propagate('SET', x.arg(1), text, 'KEEPTTL');
  x.notifyArg(Notify.String, 'incrbyfloat', 1);
  x.r.bulk(text, 0, text.length);
}

function getrange(x: Exec): void {
  const start = x.argIntOrReply(2);
  if (start === null) return;
  const end = x.argIntOrReply(3);
  if (end === null) return;
  const h = x.lookupTyped(1, ObjType.String);
  if (h < 0) return;
  if (h === 0 || (start < 0 && end < 0 && start > end)) {
    x.r.bulk(x.u8, 0, 0);
    return;
  }
  const n = x.ks.valueWord(h);
  // Offsets may be anywhere in int64: clamp them to [0, n] exactly before using doubles.
  const s = clampIndex(start, n);
  let e = clampIndex(end, n);
  if (e >= n) e = n - 1;
  if (s > e || n === 0) x.r.bulk(x.u8, 0, 0);
  else x.r.bulk(x.bytesOf(h), x.ks.valueOffset(h) + s, e - s + 1);
}

/** Redis's index normalisation for a string of length n: negatives count from the end, then clamp to [0, n]. */
function clampIndex(i: number | bigint, n: number): number {
  if (typeof i === 'bigint') {
    const v = i < 0n ? BigInt(n) + i : i;
    return v < 0n ? 0 : v > BigInt(n) ? n : Number(v);
  }
  const v = i < 0 ? n + i : i;
  return v < 0 ? 0 : v > n ? n : v;
}

function setrange(x: Exec): void {
  const offset = x.argIntOrReply(2);
  if (offset === null) return;
  if (offset < 0) {
    x.r.error('ERR offset is out of range');
    return;
  }
  const vo = x.off[3];
  const vl = x.len[3];
  const h0 = x.lookupTyped(1, ObjType.String);
  if (h0 < 0) return;
  const tooBig = () => Number(offset) + vl > x.shard.protoMaxBulkLen;
  if (h0 === 0) {
    if (vl === 0) {
      x.propagateNothing();
      x.r.int(0);
      return;
    }
    if (tooBig()) {
      x.r.error(ERR_STRING_SIZE);
      return;
    }
    const total = Number(offset) + vl;
    const h = x.ks.insertNew(x.db, x.u8, x.off[1], x.len[1], total, ObjType.String, Enc.Raw, x.lru);
    const dst = x.bytesOf(h);
    const vOff = x.ks.valueOffset(h);
    dst.fill(0, vOff, vOff + Number(offset));
    copyBytes(dst, vOff + Number(offset), x.u8, vo, vl);
    x.ks.setValueWord(h, total);
    x.notifyArg(Notify.String, 'setrange', 1);
    x.r.int(total);
    return;
  }
  const old = x.ks.valueWord(h0);
  if (vl === 0) {
    x.propagateNothing();
    x.r.int(old);
    return;
  }
  if (tooBig()) {
    x.r.error(ERR_STRING_SIZE);
    return;
  }
  const off = Number(offset);
  const total = Math.max(old, off + vl);
  const h = x.ks.resizeValue(x.db, h0, total, old, false);
  const dst = x.bytesOf(h);
  const vOff = x.ks.valueOffset(h);
  if (off > old) dst.fill(0, vOff + old, vOff + off);
  copyBytes(dst, vOff + off, x.u8, vo, vl);
  x.ks.setValueWord(h, total);
  x.ks.setEncoding(h, Enc.Raw);
  x.notifyArg(Notify.String, 'setrange', 1);
  x.r.int(total);
}

/** MSET part: the keys of this shard, in pairs. */
function mset(x: Exec): void {
  setPairs(x);
  x.r.ok();
}

/** Sets every key/value pair of the command; a key named twice ends with its last value. */
function setPairs(x: Exec): void {
  for (let i = 1; i + 1 < x.argc; i += 2) {
    const h = x.lookup(i);
    const vo = x.off[i + 1];
    const vl = x.len[i + 1];
    setString(x.ks, x.db, x.u8, x.off[i], x.len[i], h, x.u8, vo, vl, encodingForValue(x.u8, vo, vl), false, x.lru);
    x.notifyArg(Notify.String, 'set', i);
  }
}

/** MGET part: nil for missing keys and keys of other types. */
function mget(x: Exec): void {
  x.r.array(x.argc - 1);
  for (let i = 1; i < x.argc; i++) {
    const h = x.lookup(i);
    if (h === 0 || x.ks.type(h) !== ObjType.String) x.r.nullBulk();
    else replyString(x, h);
  }
}

/** MSETNX on one shard: set all only if none exists. */
function msetnx(x: Exec): void {
  for (let i = 1; i < x.argc; i += 2) {
    if (x.lookup(i) !== 0) {
      x.r.int(0);
      return;
    }
  }
  setPairs(x);
  x.r.int(1);
}

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]. When key2
 * lives on another shard, the front reads it under locks on both keys (a
 * value of another type is refused there) and runs LCS here with that value
 * as an extra last argument (`foreignValue`); the locks keep both keys as
 * they were until this has run. LEN builds the whole table too, as Redis
 * does, so the proto-max-bulk-len check refuses the same inputs.
 */
function lcsCommand(x: Exec): void {
  const argc = x.foreignValue ? x.argc - 1 : x.argc;
  const ha = x.lookup(1);
  const hb = x.foreignValue ? 0 : x.lookup(2);
  if ((ha !== 0 && x.ks.type(ha) !== ObjType.String) || (hb !== 0 && x.ks.type(hb) !== ObjType.String)) {
    x.r.error('ERR The specified keys must contain string values');
    return;
  }
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argc; j++) {
    const more = argc - 1 - j;
    if (x.argIs(j, 'idx')) getIdx = true;
    else if (x.argIs(j, 'len')) getLen = true;
    else if (x.argIs(j, 'withmatchlen')) withMatchLen = true;
    else if (x.argIs(j, 'minmatchlen') && more > 0) {
      const v = x.argIntOrReply(j + 1);
      if (v === null) return;
      minMatchLen = v < 0 ? 0 : Number(v);
      j++;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  if (getIdx && getLen) {
    x.r.error('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const value = (h: number) => (h === 0 ? new Uint8Array(0) : x.bytesOf(h).subarray(x.ks.valueOffset(h), x.ks.valueOffset(h) + x.ks.valueWord(h)));
  const a = value(ha);
  const b = x.foreignValue ? x.u8.subarray(x.off[argc], x.off[argc] + x.len[argc]) : value(hb);
  if (lcsTableBytes(a.length, b.length) > x.shard.protoMaxBulkLen) {
    x.r.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
    return;
  }
  const res = lcs(a, b, minMatchLen, getIdx);
  if (getIdx) {
    const matches = res.matches;
    x.r.map(2);
    x.r.bulkString('matches');
    x.r.array(matches.length);
    for (const m of matches) {
      x.r.array(withMatchLen ? 3 : 2);
      x.r.array(2);
      x.r.int(m.a[0]);
      x.r.int(m.a[1]);
      x.r.array(2);
      x.r.int(m.b[0]);
      x.r.int(m.b[1]);
      if (withMatchLen) x.r.int(m.len);
    }
    x.r.bulkString('len');
    x.r.int(res.length);
  } else if (getLen) {
    x.r.int(res.length);
  } else {
    x.r.bulkBytes(res.string);
  }
}

export const stringHandlers: Record<string, ShardHandler> = {
  append,
  decr,
  decrby,
  get,
  getdel,
  getex,
  getrange,
  getset,
  incr,
  incrby,
  incrbyfloat,
  lcs: lcsCommand,
  mget,
  mset,
  msetnx,
  psetex,
  set,
  setex,
  setnx,
  setrange,
  strlen,
  substr: getrange,
};

export { EMBSTR_MAX };
