/**
 * The hash family. Handlers run on the shard that owns the key; replies,
 * errors, the order of checks and the encoding conversions follow Redis
 * 7.0's t_hash.c (a hash becomes a hashtable when a field or value is longer
 * than hash-max-listpack-value or it has more than hash-max-listpack-entries
 * fields, and never goes back). An emptied hash is deleted. Every command
 * reaches its hash through hash-access.ts, which first reclaims the fields
 * whose TTL has passed (Redis 7.4's field expiry: hash-field-expiry.ts).
 */
import { Notify } from '../util/keyspace-events.js';
import type { ShardHandler } from '../shard/exec.js';
import { replyBulk } from './bulk-reply.js';
import { TABLE_CURSOR_END, startCollectionScan } from './scan-args.js';
import { ERR_NOT_FLOAT, ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { globMatch } from '../util/glob.js';
import { distinctRandomRefs, shuffledPrefix } from '../util/random-picks.js';
import { ldAdd, ldFormatHuman, ldIsFinite, ldParse } from '../util/longdouble.js';
import { ERR_INT64_RANGE, INT64_MAX, INT64_MIN, addInt64Checked, parseInt64 } from '../util/numbers.js';
import { expireFieldsOfArg, lookupHash, lookupWriteOrCreate, setField, tryConversion } from './hash-access.js';
import { hashFieldExpiryHandlers } from './hash-field-expiry.js';
import { fieldKey, ttlsOf } from '../types/hash-ttl.js';
import {
  type PairCallback,
  deleted,
  hashDelete,
  hashForEach,
  hashGet,
  hashLength,
  hashTable,
  hv,
  lpPositions,
  lpVisitAt,
  visitPair,
} from '../types/hash.js';

/** Redis's LONG_MAX / 2: the largest |count| HRANDFIELD accepts WITHVALUES. */
const HALF_LONG_MAX = INT64_MAX / 2n;
/**
 * Redis answers a negative HRANDFIELD count of any size, element by element,
 * until the client's output buffer limit (none by default) stops it. A shard
 * builds a reply whole, so an absurd count is refused instead of exhausting
 * its memory (documented in docs/types/hashes.md).
 */
const RAND_MAX_COUNT = 1 << 24;

const ERR_HASH_NOT_INT = 'ERR hash value is not an integer';
const ERR_HASH_NOT_FLOAT = 'ERR hash value is not a float';
const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
const ERR_RANGE = 'ERR value is out of range';

// ---- helpers ------------------------------------------------------------------

/** Argument i as the long HRANDFIELD takes (a bigint), or null after replying the error. */
function argCount(x: Exec, i: number): bigint | null {
  const v = x.argInt64(i);
  if (v === null) {
    x.r.error(ERR_NOT_INT);
    return null;
  }
  const b = BigInt(v);
  if (b === INT64_MIN) {
    x.r.error(ERR_INT64_RANGE);
    return null;
  }
  return b;
}

// ---- reading -------------------------------------------------------------------

function hget(x: Exec): void {
  const h = lookupHash(x);
  if (h < 0) return;
  if (h !== 0 && hashGet(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2])) replyBulk(x, hv.u8, hv.off, hv.len);
  else x.r.nullBulk();
}

function hmget(x: Exec): void {
  const h = lookupHash(x);
  if (h < 0) return;
  x.r.array(x.argc - 2);
  const a = x.ks.arena;
  const v = h === 0 ? 0 : x.ks.valueWord(h);
  for (let i = 2; i < x.argc; i++) {
    if (v !== 0 && hashGet(a, v, x.u8, x.off[i], x.len[i])) replyBulk(x, hv.u8, hv.off, hv.len);
    else x.r.nullBulk();
  }
}

function hexists(x: Exec): void {
  const h = lookupHash(x);
  if (h < 0) return;
  x.r.int(h !== 0 && hashGet(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2]) ? 1 : 0);
}

function hstrlen(x: Exec): void {
  const h = lookupHash(x);
  if (h < 0) return;
  x.r.int(h !== 0 && hashGet(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2]) ? hv.len : 0);
}

function hlen(x: Exec): void {
  const h = lookupHash(x);
  if (h < 0) return;
  x.r.int(h === 0 ? 0 : hashLength(x.ks.arena, x.ks.valueWord(h)));
}

// One callback per shape, bound to the running Exec (set before each use).
let cx: Exec | null = null;
const emitField: PairCallback = (u8, fo, fn) => replyBulk(cx!, u8, fo, fn);
const emitValue: PairCallback = (u8, _fo, _fn, vo, vn) => replyBulk(cx!, u8, vo, vn);
const emitPair: PairCallback = (u8, fo, fn, vo, vn) => {
  replyBulk(cx!, u8, fo, fn);
  replyBulk(cx!, u8, vo, vn);
};
const emitPairNested: PairCallback = (u8, fo, fn, vo, vn) => {
  cx!.r.array(2);
  replyBulk(cx!, u8, fo, fn);
  replyBulk(cx!, u8, vo, vn);
};

function getAll(x: Exec, what: 'keys' | 'vals' | 'all'): void {
  const h = lookupHash(x);
  if (h < 0) return;
  if (h === 0) {
    if (what === 'all') x.r.map(0);
    else x.r.array(0);
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const n = hashLength(a, v);
  if (what === 'all') x.r.map(n);
  else x.r.array(n);
  cx = x;
  hashForEach(a, v, what === 'keys' ? emitField : what === 'vals' ? emitValue : emitPair);
}

// ---- writing -------------------------------------------------------------------

function hset(x: Exec): void {
  if (x.argc % 2 === 1) {
    x.r.error(`ERR wrong number of arguments for '${x.name}' command`);
    return;
  }
  const h = lookupWriteOrCreate(x);
  if (h < 0) return;
  tryConversion(x, h, 2, x.argc - 1);
  let created = 0;
  for (let i = 2; i < x.argc; i += 2) {
    if (setField(x, h, x.u8, x.off[i], x.len[i], x.u8, x.off[i + 1], x.len[i + 1])) created++;
  }
  x.ks.modified(h);
  x.notifyArg(Notify.Hash, 'hset', 1);
  if (x.name === 'hmset') x.r.ok();
  else x.r.int(created);
}

function hsetnx(x: Exec): void {
  const h = lookupWriteOrCreate(x);
  if (h < 0) return;
  if (hashGet(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2])) {
    x.r.int(0);
    return;
  }
  tryConversion(x, h, 2, 3);
  setField(x, h, x.u8, x.off[2], x.len[2], x.u8, x.off[3], x.len[3]);
  x.ks.modified(h);
  x.notifyArg(Notify.Hash, 'hset', 1);
  x.r.int(1);
}

function hdel(x: Exec): void {
  const h = lookupHash(x);
  if (h < 0) return;
  if (h === 0) {
    x.propagateNothing();
    x.r.int(0);
    return;
  }
  const a = x.ks.arena;
  let n = 0;
  let emptied = false;
  for (let i = 2; i < x.argc; i++) {
    const v0 = x.ks.valueWord(h);
    const v1 = hashDelete(a, v0, x.u8, x.off[i], x.len[i]);
    if (v1 !== v0) x.ks.setValueWord(h, v1);
    if (!deleted) continue;
    n++;
    if (hashLength(a, v1) === 0) {
      emptied = true;
      break;
    }
  }
  if (n > 0) x.collectionChanged(h, Notify.Hash, 'hdel', emptied);
  else x.propagateNothing();
  x.r.int(n);
}

function hincrby(x: Exec): void {
  const by = x.argIntOrReply(3);
  if (by === null) return;
  const h = lookupWriteOrCreate(x);
  if (h < 0) return;
  let cur: number | bigint = 0;
  if (hashGet(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2])) {
    const v = parseInt64(hv.u8, hv.off, hv.len);
    if (v === null) {
      x.r.error(ERR_HASH_NOT_INT);
      return;
    }
    cur = v;
  }
  const next = addInt64Checked(cur, by);
  if (next === null) {
    x.r.error(ERR_OVERFLOW);
    return;
  }
  const text = Buffer.from(next.toString(), 'latin1');
  setField(x, h, x.u8, x.off[2], x.len[2], text, 0, text.length, true);
  x.ks.modified(h);
  x.notifyArg(Notify.Hash, 'hincrby', 1);
  x.r.int(next);
}

function hincrbyfloat(x: Exec): void {
  const by = ldParse(x.u8, x.off[3], x.len[3]);
  if (by === null) {
    x.r.error(ERR_NOT_FLOAT);
    return;
  }
  if (!ldIsFinite(by)) {
    x.r.error('ERR value is NaN or Infinity');
    return;
  }
  const h = lookupWriteOrCreate(x);
  if (h < 0) return;
  let next = by;
  if (hashGet(x.ks.arena, x.ks.valueWord(h), x.u8, x.off[2], x.len[2])) {
    const cur = ldParse(hv.u8, hv.off, hv.len);
    if (cur === null) {
      x.r.error(ERR_HASH_NOT_FLOAT);
      return;
    }
    next = ldAdd(cur, by);
  }
  if (!ldIsFinite(next)) {
    x.r.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = Buffer.from(ldFormatHuman(next), 'latin1');
  setField(x, h, x.u8, x.off[2], x.len[2], text, 0, text.length, true);
  x.ks.modified(h);
  x.notifyArg(Notify.Hash, 'hincrbyfloat', 1);
  // The sum as written, so a replay does not depend on float formatting; a
  // field with a TTL keeps it (Redis 7.4+ always writes HSETEX KEEPTTL; HSET
  // keeps the AOF readable by 7.0 while no TTL is involved).
  if (x.propagating) {
    const ttls = ttlsOf(x.ks.arena, x.ks.valueWord(h));
    if (ttls !== undefined && ttls.get(fieldKey(x.u8, x.off[2], x.len[2])) !== undefined) x.propagate('HSETEX', x.arg(1), 'KEEPTTL', 'FIELDS', '1', x.arg(2), text);
    else x.propagate('HSET', x.arg(1), x.arg(2), text);
  }
  x.r.bulk(text, 0, text.length);
}

// ---- HRANDFIELD ------------------------------------------------------------------

function hrandfield(x: Exec): void {
  if (x.argc >= 3) {
    const l = argCount(x, 2);
    if (l === null) return;
    let withValues = false;
    if (x.argc > 4 || (x.argc === 4 && !x.argIs(3, 'withvalues'))) {
      x.r.error(ERR_SYNTAX);
      return;
    }
    if (x.argc === 4) {
      withValues = true;
      if (l < -HALF_LONG_MAX || l > HALF_LONG_MAX) {
        x.r.error(ERR_RANGE);
        return;
      }
    }
    randWithCount(x, l, withValues);
    return;
  }
  const h = lookupHash(x);
  if (h < 0) return;
  if (h === 0) {
    x.r.nullBulk();
    return;
  }
  cx = x;
  randomPairs(x, h, 1, emitField);
}

/** Calls `cb` with `n` pairs picked at random (with repetition). */
function randomPairs(x: Exec, h: number, n: number, cb: PairCallback): void {
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  if (x.ks.encoding(h) === Enc.HashTable) {
    const t = hashTable(a, v);
    for (let k = 0; k < n; k++) visitPair(a, t.randomEntry(Math.random), cb);
    return;
  }
  const pos = lpPositions(a, v);
  for (let k = 0; k < n; k++) lpVisitAt(a, v, pos[Math.floor(Math.random() * pos.length)], cb);
}

function randWithCount(x: Exec, l: bigint, withValues: boolean): void {
  const h = lookupHash(x);
  if (h < 0) return;
  if (h === 0 || l === 0n) {
    x.r.array(0);
    return;
  }
  const uniq = l > 0n;
  const countBig = uniq ? l : -l;
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const size = hashLength(a, v);
  const resp3 = x.resp3;
  const cb = !withValues ? emitField : resp3 ? emitPairNested : emitPair;
  cx = x;
  // Case 1: repetitions allowed (or a single pick): |count| independent picks.
  if (!uniq || countBig === 1n) {
    if (countBig > BigInt(RAND_MAX_COUNT)) {
      x.r.error(ERR_RANGE);
      return;
    }
    const count = Number(countBig);
    x.r.array(withValues && !resp3 ? count * 2 : count);
    randomPairs(x, h, count, cb);
    return;
  }
  const count = countBig >= BigInt(size) ? size : Number(countBig);
  x.r.array(withValues && !resp3 ? count * 2 : count);
  // Case 2: at least the whole hash: all of it, in its order.
  if (count === size) {
    hashForEach(a, v, cb);
    return;
  }
  // Distinct picks.
  if (x.ks.encoding(h) === Enc.ListPack) {
    // In the listpack's order among the picked pairs, as later Redis versions
    // answer (their listpack "case 2.5"; 7.0 answers in the order of a
    // temporary dict, which has no order to match).
    const pick = shuffledPrefix(lpPositions(a, v), count).sort();
    for (let i = 0; i < pick.length; i++) lpVisitAt(a, v, pick[i], cb);
    return;
  }
  const t = hashTable(a, v);
  const pick = distinctRandomRefs(
    size,
    count,
    () => {
      const all = new Int32Array(size);
      let i = 0;
      t.forEach((e) => {
        all[i++] = e;
      });
      return all;
    },
    () => t.randomEntry(Math.random),
  );
  for (let i = 0; i < pick.length; i++) visitPair(a, pick[i], cb);
}

// ---- HSCAN ---------------------------------------------------------------------

function hscan(x: Exec): void {
  expireFieldsOfArg(x, 1);
  const scan = startCollectionScan(x, ObjType.Hash);
  if (scan === null) return;
  const { h, cursor, count, match: pat } = scan;
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  // Matching pairs as (bytes, field offset, field length, value offset, value length).
  const found: Array<Uint8Array | number> = [];
  const collect: PairCallback = (u8, fo, fn, vo, vn) => {
    if (pat === null || globMatch(pat, 0, pat.length, u8, fo, fn, false)) found.push(u8, fo, fn, vo, vn);
  };
  let next = 0;
  if (x.ks.encoding(h) === Enc.ListPack) {
    // A listpack is answered whole, whatever the cursor, as Redis does.
    hashForEach(a, v, collect);
  } else if (cursor < TABLE_CURSOR_END) {
    next = hashTable(a, v).scan(Number(cursor), count, (e) => visitPair(a, e, collect));
  }
  x.r.array(2);
  x.r.bulkString(String(next));
  x.r.array((found.length / 5) * 2);
  for (let i = 0; i < found.length; i += 5) {
    const u8 = found[i] as Uint8Array;
    replyBulk(x, u8, found[i + 1] as number, found[i + 2] as number);
    replyBulk(x, u8, found[i + 3] as number, found[i + 4] as number);
  }
}

export const hashHandlers: Record<string, ShardHandler> = {
  ...hashFieldExpiryHandlers,
  hdel,
  hexists,
  hget,
  hgetall: (x) => getAll(x, 'all'),
  hincrby,
  hincrbyfloat,
  hkeys: (x) => getAll(x, 'keys'),
  hlen,
  hmget,
  hmset: hset,
  hrandfield,
  hscan,
  hset,
  hsetnx,
  hstrlen,
  hvals: (x) => getAll(x, 'vals'),
};
