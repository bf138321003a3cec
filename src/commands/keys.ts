/**
 * The generic keyspace family: existence, deletion, expiry, iteration and
 * introspection of keys. Commands routed to every shard (KEYS, SCAN, DBSIZE,
 * FLUSHDB ...) run here once per shard; the front merges the parts.
 */
import { lfuDecayed } from '../shard/eviction.js';
import { Notify } from '../util/keyspace-events.js';
import type { ShardHandler } from '../shard/exec.js';
import { parseScanCursor } from './scan-args.js';
import { ERR_NOT_INT, ERR_SYNTAX, Exec } from '../shard/exec.js';
import { DB_COUNT, Enc, ObjType } from '../shard/keyspace.js';
import { globMatch } from '../util/glob.js';
import { bytesEqual, cString } from '../util/bytes.js';
import { INT64_MAX, INT64_MIN } from '../util/numbers.js';
import { exportEntry, importEntry, transferEntry } from '../types/serialize.js';
import { TYPE_OPS } from '../shard/value-ops.js';
import { ttlsOf } from '../types/hash-ttl.js';


export const TYPE_NAMES: Record<number, string> = {
  [ObjType.String]: 'string',
  [ObjType.List]: 'list',
  [ObjType.Set]: 'set',
  [ObjType.ZSet]: 'zset',
  [ObjType.Hash]: 'hash',
  [ObjType.Stream]: 'stream',
};

const ENCODING_NAMES: Record<number, string> = {
  [Enc.Raw]: 'raw',
  [Enc.Int]: 'int',
  [Enc.HashTable]: 'hashtable',
  [Enc.IntSet]: 'intset',
  [Enc.SkipList]: 'skiplist',
  [Enc.Embstr]: 'embstr',
  [Enc.QuickList]: 'quicklist',
  [Enc.Stream]: 'stream',
  [Enc.ListPack]: 'listpack',
};

/** Redis shares the integers 0..9999 (OBJECT REFCOUNT reports INT_MAX for them). */
const OBJ_SHARED_INTEGERS = 10000;
const OBJ_SHARED_REFCOUNT = 2147483647;

/** DEL and UNLINK: keys of this shard; replies the count removed. */
function del(x: Exec): void {
  let n = 0;
  for (let i = 1; i < x.argc; i++) {
    if (!x.ks.delete(x.db, x.u8, x.off[i], x.len[i], x.now)) continue;
    n++;
    x.notifyArg(Notify.Generic, 'del', i);
  }
  if (n === 0) x.propagateNothing();
  x.r.int(n);
}

/** EXISTS counts repeated keys as many times as they are named. */
function exists(x: Exec): void {
  let n = 0;
  for (let i = 1; i < x.argc; i++) if (x.peek(i) !== 0) n++;
  x.r.int(n);
}

/** TOUCH updates the access time even for NO-TOUCH clients. */
function touch(x: Exec): void {
  let n = 0;
  for (let i = 1; i < x.argc; i++) {
    const h = x.peek(i);
    if (h !== 0) {
      x.ks.touch(h, x.lru);
      n++;
    }
  }
  x.r.int(n);
}

function type(x: Exec): void {
  const h = x.lookup(1);
  x.r.simple(h === 0 ? 'none' : TYPE_NAMES[x.ks.type(h)]);
}

const X_NX = 1;
const X_XX = 2;
const X_GT = 4;
const X_LT = 8;

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, as Redis's expireGenericCommand. */
function expireGeneric(x: Exec, relative: boolean, seconds: boolean): void {
  let flags = 0;
  for (let j = 3; j < x.argc; j++) {
    if (x.argIs(j, 'nx')) flags |= X_NX;
    else if (x.argIs(j, 'xx')) flags |= X_XX;
    else if (x.argIs(j, 'gt')) flags |= X_GT;
    else if (x.argIs(j, 'lt')) flags |= X_LT;
    else {
      x.r.error(`ERR Unsupported option ${cString(x.argStr(j))}`);
      return;
    }
  }
  if (flags & X_NX && flags & (X_XX | X_GT | X_LT)) {
    x.r.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if (flags & X_GT && flags & X_LT) {
    x.r.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  const v = x.argIntOrReply(2);
  if (v === null) return;
  let when = BigInt(v);
  const invalid = () => x.r.error(`ERR invalid expire time in '${x.name}' command`);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) return invalid();
    when *= 1000n;
  }
  if (relative) {
    const base = BigInt(x.now);
    if (when > INT64_MAX - base) return invalid();
    when += base;
  }
  const h = x.lookup(1);
  if (h === 0) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  const at = Number(when);
  if (flags) {
    const cur = x.ks.expireAt(h);
    const has = cur !== 0;
    if ((flags & X_NX && has) || (flags & X_XX && !has) || (flags & X_GT && (!has || at <= cur)) || (flags & X_LT && has && at >= cur)) {
      x.propagateNothing();
    x.r.int(0);
      return;
    }
  }
  // A time already past deletes the key, except while the AOF loads (Redis's checkAlreadyExpired).
  if (at <= x.now && !x.ks.expireSuspended) {
    x.ks.removeEntry(x.db, h);
    x.propagate('DEL', x.arg(1));
    x.notifyArg(Notify.Generic, 'del', 1);
  } else {
    x.ks.setExpire(x.db, h, at);
    // Replayed later, a relative time would mean a later deadline: the AOF gets the absolute one.
    x.propagate('PEXPIREAT', x.arg(1), String(at));
    x.notifyArg(Notify.Generic, 'expire', 1);
  }
  x.r.int(1);
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
function ttlGeneric(x: Exec, ms: boolean, absolute: boolean): void {
  const h = x.peek(1);
  if (h === 0) {
    x.r.int(-2);
    return;
  }
  const exp = x.ks.expireAt(h);
  if (exp === 0) {
    x.r.int(-1);
    return;
  }
  let t = absolute ? exp : exp - x.now;
  if (t < 0) t = 0;
  x.r.int(ms ? t : Math.floor((t + 500) / 1000));
}

function persist(x: Exec): void {
  const h = x.lookup(1);
  if (h === 0 || x.ks.expireAt(h) === 0) {
    x.propagateNothing();
    x.r.int(0);
  } else {
    x.ks.setExpire(x.db, h, 0);
    x.notifyArg(Notify.Generic, 'persist', 1);
    x.r.int(1);
  }
}

/** Whether entry h's key matches a glob (null = match everything). */
function keyMatches(x: Exec, h: number, pat: Uint8Array | null): boolean {
  if (pat === null) return true;
  return globMatch(pat, 0, pat.length, x.bytesOf(h), x.ks.keyOffset(h), x.ks.keyLen(h), false);
}

function isMatchAll(p: Uint8Array): boolean {
  return p.length === 1 && p[0] === 0x2a;
}

/** KEYS part: this shard's matching keys. */
function keys(x: Exec): void {
  const p = x.argCopy(1);
  const pat = isMatchAll(p) ? null : p;
  const out: number[] = [];
  x.ks.dbs[x.db].table.forEach((h) => {
    const exp = x.ks.expireAt(h);
    if ((exp === 0 || exp > x.now) && keyMatches(x, h, pat)) out.push(h);
  });
  x.r.array(out.length);
  for (const h of out) x.r.bulk(x.bytesOf(h), x.ks.keyOffset(h), x.ks.keyLen(h));
}

/**
 * SCAN on this shard. The global cursor is local * shardCount + shardIndex,
 * so the front routes it by `cursor mod count`; when this shard is done the
 * next cursor points at the start of the next shard, or is 0 after the last.
 */
function scan(x: Exec): void {
  const c = parseScanCursor(x.u8, x.off[1], x.len[1]);
  if (c === null) {
    x.r.error('ERR invalid cursor');
    return;
  }
  let count = 10;
  let pat: Uint8Array | null = null;
  let typeName: string | null = null;
  for (let j = 2; j < x.argc; j += 2) {
    if (j + 1 >= x.argc) {
      x.r.error(ERR_SYNTAX);
      return;
    }
    if (x.argIs(j, 'count')) {
      const v = x.argInt64(j + 1);
      if (v === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      if (v < 1) {
        x.r.error(ERR_SYNTAX);
        return;
      }
      count = Number(v > 1_000_000 ? 1_000_000 : v);
    } else if (x.argIs(j, 'match')) {
      const p = x.argCopy(j + 1);
      pat = isMatchAll(p) ? null : p;
    } else if (x.argIs(j, 'type')) {
      typeName = x.argStr(j + 1).toLowerCase();
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  const n = BigInt(x.shard.count);
  const local = c / n;
  const found: number[] = [];
  let next = 0;
  if (local < 1n << 40n) {
    next = x.ks.dbs[x.db].table.scan(Number(local), count, (h) => {
      const exp = x.ks.expireAt(h);
      if (exp !== 0 && exp <= x.now) return;
      if (typeName !== null && TYPE_NAMES[x.ks.type(h)] !== typeName) return;
      if (keyMatches(x, h, pat)) found.push(h);
    });
  }
  let global: bigint;
  if (next !== 0) global = BigInt(next) * n + BigInt(x.shard.index);
  else if (x.shard.index + 1 < x.shard.count) global = BigInt(x.shard.index + 1);
  else global = 0n;
  x.r.array(2);
  x.r.bulkString(global.toString());
  x.r.array(found.length);
  for (const h of found) x.r.bulk(x.bytesOf(h), x.ks.keyOffset(h), x.ks.keyLen(h));
}

/** RANDOMKEY part: [keys in this db, a random live key or nil]; the front picks among shards. */
function randomkey(x: Exec): void {
  const t = x.ks.dbs[x.db].table;
  x.r.array(2);
  for (let tries = 0; tries < 100; tries++) {
    const h = t.randomEntry(Math.random);
    if (h === 0) break;
    const exp = x.ks.expireAt(h);
    if (exp !== 0 && exp <= x.now) {
      // Reclaim it and try again, as Redis does.
      x.ks.expiredKeys++;
      x.ks.removeEntry(x.db, h);
      continue;
    }
    x.r.int(t.size);
    x.r.bulk(x.bytesOf(h), x.ks.keyOffset(h), x.ks.keyLen(h));
    return;
  }
  x.r.int(0);
  x.r.nullBulk();
}

function dbsize(x: Exec): void {
  x.r.int(x.ks.size(x.db));
}

/** The front validated the options; every shard flushes its part. */
function flushdb(x: Exec): void {
  x.ks.flushDb(x.db);
  x.r.ok();
}

function flushall(x: Exec): void {
  for (let db = 0; db < DB_COUNT; db++) x.ks.flushDb(db);
  x.r.ok();
}

/** SWAPDB a b, validated by the front. */
function swapdb(x: Exec): void {
  x.ks.swapDb(Number(x.argInt64(1)), Number(x.argInt64(2)));
  x.r.ok();
}

/** Runs an OBJECT subcommand on its key (argument 2), answering nil when the key is missing. */
function onObjectKey(fn: (x: Exec, h: number) => void): (x: Exec) => void {
  return (x) => {
    const h = x.peek(2);
    if (h === 0) x.r.nullBulk();
    else fn(x, h);
  };
}

/** OBJECT ENCODING's name for entry h. */
export function encodingName(x: Exec, h: number): string {
  // A small hash that has had field TTLs is Redis 7.4's listpackex.
  if (x.ks.type(h) === ObjType.Hash && x.ks.encoding(h) === Enc.ListPack && ttlsOf(x.ks.arena, x.ks.valueWord(h)) !== undefined) return 'listpackex';
  return ENCODING_NAMES[x.ks.encoding(h)];
}

/** OBJECT REFCOUNT of entry h: Redis's shared integers (0..9999) report its shared refcount. */
export function refcountOf(x: Exec, h: number): number {
  if (x.ks.encoding(h) !== Enc.Int) return 1;
  const o = x.ks.valueOffset(h);
  const n = Number(Buffer.from(x.bytesOf(h).subarray(o, o + x.ks.valueWord(h))).toString('latin1'));
  return n >= 0 && n < OBJ_SHARED_INTEGERS ? OBJ_SHARED_REFCOUNT : 1;
}

/** Seconds since entry h was last touched (OBJECT IDLETIME), on the 24-bit LRU clock. */
export function idleSeconds(x: Exec, h: number): number {
  const idle = x.lru - x.ks.lru(h);
  return idle < 0 ? idle + (1 << 24) : idle;
}

const objectEncoding = onObjectKey((x, h) => x.r.bulkString(encodingName(x, h)));

const objectRefcount = onObjectKey((x, h) => x.r.int(refcountOf(x, h)));

const objectIdletime = onObjectKey((x, h) =>
  x.lfu !== null
    ? x.r.error('ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.')
    : x.r.int(idleSeconds(x, h)),
);

const objectFreq = onObjectKey((x, h) =>
  x.lfu !== null
    ? x.r.int(lfuDecayed(x.ks.lru(h), x.now, x.lfu.lfuDecayTime))
    : x.r.error(
        'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      ),
);

/** MEMORY USAGE: the entry's block, its dashtable slot and its value's blocks (entryMemory). */
function memoryUsage(x: Exec): void {
  for (let j = 3; j < x.argc; j += 2) {
    if (!x.argIs(j, 'samples') || j + 1 >= x.argc) {
      x.r.error(ERR_SYNTAX);
      return;
    }
    if (x.argInt64(j + 1) === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
  }
  const h = x.peek(2);
  if (h === 0) x.r.nullBulk();
  else x.r.int(entryMemory(x, h));
}

/** Bytes of an entry: its block, its table slot, and its value's own blocks. */
function entryMemory(x: Exec, h: number): number {
  let n = x.ks.arena.usableSize(h) + 8;
  const ops = TYPE_OPS[x.ks.type(h)];
  if (ops !== undefined) n += ops.memory(x.ks.arena, x.ks.valueWord(h));
  return n;
}

/** Whether arguments i and j are the same bytes. */
function sameArg(x: Exec, i: number, j: number): boolean {
  return bytesEqual(x.u8, x.off[i], x.len[i], x.u8, x.off[j], x.len[j]);
}

/** Copies entry h to key `dstArg` of database `dstDb` (replacing `existing`), keeping its TTL. */
function copyEntry(x: Exec, h: number, dstArg: number, dstDb: number, existing: number): void {
  const blob = exportEntry(x.ks, h);
  importEntry(x.ks, dstDb, x.u8, x.off[dstArg], x.len[dstArg], existing, blob, x.lru);
}

/** RENAME and RENAMENX with both keys on this shard. */
function renameGeneric(x: Exec, nx: boolean): void {
  const h = x.lookup(1);
  if (h === 0) {
    x.r.error('ERR no such key');
    return;
  }
  if (sameArg(x, 1, 2)) {
    x.propagateNothing();
    if (nx) x.r.int(0);
    else x.r.ok();
    return;
  }
  const dst = x.lookup(2);
  if (dst !== 0 && nx) {
    x.r.int(0);
    return;
  }
  // The value changes hands without being copied.
  transferEntry(x.ks, x.db, h, x.db, x.u8, x.off[2], x.len[2], dst, x.lru);
  x.notifyArg(Notify.Generic, 'rename_from', 1);
  x.notifyArg(Notify.Generic, 'rename_to', 2);
  if (nx) x.r.int(1);
  else x.r.ok();
}

/** Parses a DB index argument as Redis's getIntFromObjectOrReply + selectDb; null after replying. */
function dbArg(x: Exec, i: number): number | null {
  const v = x.argInt64(i);
  if (v === null) {
    x.r.error(ERR_NOT_INT);
    return null;
  }
  if (v < -2147483648 || v > 2147483647) {
    x.r.error('ERR value is out of range, value must between -2147483648 and 2147483647');
    return null;
  }
  if (v < 0 || v >= DB_COUNT) {
    x.r.error('ERR DB index is out of range');
    return null;
  }
  return Number(v);
}

/** Parses COPY's options: [DB n] [REPLACE]. Returns null after replying an error. */
export function copyOptions(x: Exec): { db: number; replace: boolean } | null {
  let db = x.db;
  let replace = false;
  for (let j = 3; j < x.argc; j++) {
    if (x.argIs(j, 'replace')) replace = true;
    else if (x.argIs(j, 'db') && j + 1 < x.argc) {
      const d = dbArg(x, ++j);
      if (d === null) return null;
      db = d;
    } else {
      x.r.error(ERR_SYNTAX);
      return null;
    }
  }
  return { db, replace };
}

/** COPY with both keys on this shard. */
function copy(x: Exec): void {
  const o = copyOptions(x);
  if (o === null) return;
  if (o.db === x.db && sameArg(x, 1, 2)) {
    x.r.error('ERR source and destination objects are the same');
    return;
  }
  // Redis reads COPY's source as a read (keyspace_hits / keyspace_misses).
  const h = x.lookup(1, true);
  if (h === 0) {
    x.r.int(0);
    return;
  }
  const dst = x.ks.lookup(o.db, x.u8, x.off[2], x.len[2], x.now);
  if (dst !== 0 && !o.replace) {
    x.r.int(0);
    return;
  }
  copyEntry(x, h, 2, o.db, dst);
  x.notify(Notify.Generic, 'copy_to', x.arg(2), o.db);
  x.r.int(1);
}

/** MOVE: the key stays on its shard, only its database changes. */
function move(x: Exec): void {
  const db = dbArg(x, 2);
  if (db === null) return;
  if (db === x.db) {
    x.r.error('ERR source and destination objects are the same');
    return;
  }
  const h = x.lookup(1);
  if (h === 0) {
    x.r.int(0);
    return;
  }
  if (x.ks.lookup(db, x.u8, x.off[1], x.len[1], x.now) !== 0) {
    x.r.int(0);
    return;
  }
  transferEntry(x.ks, x.db, h, db, x.u8, x.off[1], x.len[1], 0, x.lru);
  x.notifyArg(Notify.Generic, 'move_from', 1);
  x.notify(Notify.Generic, 'move_to', x.arg(1), db);
  x.r.int(1);
}

export const keyHandlers: Record<string, ShardHandler> = {
  rename: (x) => renameGeneric(x, false),
  renamenx: (x) => renameGeneric(x, true),
  copy,
  move,
  del,
  unlink: del,
  exists,
  touch,
  type,
  expire: (x) => expireGeneric(x, true, true),
  pexpire: (x) => expireGeneric(x, true, false),
  expireat: (x) => expireGeneric(x, false, true),
  pexpireat: (x) => expireGeneric(x, false, false),
  ttl: (x) => ttlGeneric(x, false, false),
  pttl: (x) => ttlGeneric(x, true, false),
  expiretime: (x) => ttlGeneric(x, false, true),
  pexpiretime: (x) => ttlGeneric(x, true, true),
  persist,
  keys,
  scan,
  randomkey,
  dbsize,
  flushdb,
  flushall,
  swapdb,
  'object|encoding': objectEncoding,
  'object|refcount': objectRefcount,
  'object|idletime': objectIdletime,
  'object|freq': objectFreq,
  'memory|usage': memoryUsage,
};
