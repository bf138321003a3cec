/**
 * Hash field expiry (Redis 7.4 / 8): HEXPIRE, HPEXPIRE, HEXPIREAT,
 * HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST, HGETEX,
 * HSETEX, HGETDEL. The oracle (Redis 7.0) has none of them: replies, error
 * texts and the order of checks follow Redis 8's t_hash.c and command docs
 * (docs/types/hashes.md, "Field expiry"). TTLs live in the hash's side
 * table (types/hash-ttl.ts); every hash command reclaims the due fields of
 * its hash first (hash-access.ts), and the shard's cron reclaims the others.
 *
 * The AOF gets what Redis 7.4+ propagates: absolute HPEXPIREAT for the
 * HEXPIRE family and HGETEX's EX/PX/EXAT/PXAT, HPERSIST for HGETEX PERSIST,
 * HSETEX with PXAT, HDEL for HGETDEL and for every field deleted because its
 * time was already past (or that expired).
 */
import { Notify } from '../util/keyspace-events.js';
import { ERR_NOT_INT, type Exec, type ShardHandler } from '../shard/exec.js';
import { replyBulk } from './bulk-reply.js';
import { lookupHash, newHash, setField, tryConversion } from './hash-access.js';
import { deleted, hashDelete, hashGet, hashLength, hv } from '../types/hash.js';
import { ensureTtls, fieldKey, ttlsOf } from '../types/hash-ttl.js';

/** Redis's HFE_MAX_ABS_TIME_MSEC: 48-bit expiry times with 2 bits reserved. */
export const HFE_MAX_ABS_TIME_MSEC = 2 ** 46 - 1;

const ERR_FIELDS = 'ERR Mandatory argument FIELDS is missing or not at the right position';
const ERR_NUMFIELDS_MATCH = 'ERR The `numfields` parameter must match the number of arguments';
const NUMFIELDS_POSITIVE = 'Number of fields must be a positive integer';
const NUMFIELDS_GT0 = 'Parameter `numFields` should be greater than 0';
const ERR_ONE_EXPIRY = 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified';
const ERR_ONE_COND = 'ERR Only one of FXX or FNX arguments can be specified';

/** Per-field codes of the HEXPIRE family (and HPERSIST / HTTL's -2, -1). */
const NO_FIELD = -2;
const NO_TTL = -1;
const COND_NOT_MET = 0;
const SET = 1;
const DELETED = 2;

const enum Cond {
  None,
  NX,
  XX,
  GT,
  LT,
}

// ---- arguments ------------------------------------------------------------------

/**
 * Redis's parseExpireTime: argument i as an expiry in seconds or ms,
 * relative to `base` (0: absolute); the absolute ms, or null after the error.
 */
function expireArg(x: Exec, i: number, seconds: boolean, base: number): number | null {
  const v = x.argInt64(i);
  if (v === null) {
    x.r.error(ERR_NOT_INT);
    return null;
  }
  if (v < 0) {
    x.r.error('ERR invalid expire time, must be >= 0');
    return null;
  }
  let ms = Number(v);
  if (typeof v === 'bigint' || (seconds && ms > Math.floor(HFE_MAX_ABS_TIME_MSEC / 1000))) return badExpire(x);
  if (seconds) ms *= 1000;
  if (ms > HFE_MAX_ABS_TIME_MSEC - base) return badExpire(x);
  return ms + base;
}

function badExpire(x: Exec): null {
  x.r.error(`ERR invalid expire time in '${x.name}' command`);
  return null;
}

/**
 * `FIELDS numfields field ...` with FIELDS at argument `at`, running to the
 * end of the command: the count, or -1 after the error (`positive` is the
 * command's text for a count that is not a positive integer).
 */
function fieldsArg(x: Exec, at: number, positive: string): number {
  if (at >= x.argc || !x.argIs(at, 'fields')) {
    x.r.error(ERR_FIELDS);
    return -1;
  }
  const n = at + 1 < x.argc ? x.argLong(at + 1) : null;
  if (n === null || n < 1) {
    x.r.error(`ERR ${positive}`);
    return -1;
  }
  if (n !== x.argc - at - 2) {
    x.r.error(ERR_NUMFIELDS_MATCH);
    return -1;
  }
  return n;
}

function replyAll(x: Exec, n: number, code: number | null): void {
  x.r.array(n);
  for (let i = 0; i < n; i++) {
    if (code === null) x.r.nullBulk();
    else x.r.int(code);
  }
}

// ---- setting one field's expiry ----------------------------------------------------

/** Whether a due time deletes at once (not while the AOF loads: Redis's checkAlreadyExpired). */
function alreadyPast(x: Exec, at: number): boolean {
  return at <= x.now && !x.ks.expireSuspended;
}

/** Deletes field argument i of hash h (its time is past): the AOF gets an HDEL, and it counts as expired, as in Redis. */
function deleteFieldArg(x: Exec, h: number, i: number): void {
  const v0 = x.ks.valueWord(h);
  const v1 = hashDelete(x.ks.arena, v0, x.u8, x.off[i], x.len[i]);
  if (v1 !== v0) x.ks.setValueWord(h, v1);
  if (!deleted) return;
  x.ks.expiredFields++;
  x.propagate('HDEL', x.arg(1), x.arg(i));
}

/** Gives field argument i of hash h the expire-at `at` (its time is to come). */
function setFieldTtl(x: Exec, h: number, i: number, at: number): void {
  ensureTtls(x.ks.arena, x.ks.valueWord(h)).set(fieldKey(x.u8, x.off[i], x.len[i]), at);
  x.ks.dbs[x.db].fieldExpiring.add(h);
}

/** Redis's hashTypeSetEx for field argument i: one of the codes above. */
function setExpiry(x: Exec, h: number, i: number, at: number, cond: Cond): number {
  const a = x.ks.arena;
  if (!hashGet(a, x.ks.valueWord(h), x.u8, x.off[i], x.len[i])) return NO_FIELD;
  const prev = ttlsOf(a, x.ks.valueWord(h))?.get(fieldKey(x.u8, x.off[i], x.len[i]));
  // A field without a TTL counts as an infinite one for GT and LT.
  switch (cond) {
    case Cond.NX:
      if (prev !== undefined) return COND_NOT_MET;
      break;
    case Cond.XX:
      if (prev === undefined) return COND_NOT_MET;
      break;
    case Cond.GT:
      if (prev === undefined || at <= prev) return COND_NOT_MET;
      break;
    case Cond.LT:
      if (prev !== undefined && at >= prev) return COND_NOT_MET;
      break;
  }
  if (alreadyPast(x, at)) {
    deleteFieldArg(x, h, i);
    return DELETED;
  }
  setFieldTtl(x, h, i, at);
  return SET;
}

/** After a change to hash h: `event`, then the key's removal (with `del`) when it emptied, else WATCH hears of it. */
function changed(x: Exec, h: number, event: string): void {
  x.collectionChanged(h, Notify.Hash, event, hashLength(x.ks.arena, x.ks.valueWord(h)) === 0);
}

// ---- HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT ------------------------------------------

function hexpireGeneric(x: Exec, seconds: boolean, relative: boolean): void {
  const h = lookupHash(x, 1, false);
  if (h < 0) return;
  const at = expireArg(x, 2, seconds, relative ? x.now : 0);
  if (at === null) return;
  let cond = Cond.None;
  if (x.argIs(3, 'nx')) cond = Cond.NX;
  else if (x.argIs(3, 'xx')) cond = Cond.XX;
  else if (x.argIs(3, 'gt')) cond = Cond.GT;
  else if (x.argIs(3, 'lt')) cond = Cond.LT;
  const fieldsAt = cond === Cond.None ? 3 : 4;
  const n = fieldsArg(x, fieldsAt, NUMFIELDS_GT0);
  if (n < 0) return;
  if (h === 0) {
    x.propagateNothing();
    return replyAll(x, n, NO_FIELD);
  }
  x.r.array(n);
  const set: Uint8Array[] = [];
  let dropped = 0;
  for (let i = fieldsAt + 2; i < x.argc; i++) {
    const res = setExpiry(x, h, i, at, cond);
    if (res === SET) set.push(x.arg(i));
    else if (res === DELETED) dropped++;
    x.r.int(res);
  }
  // Only the fields it set, at their absolute time (the HDELs are already in).
  if (set.length > 0) {
    const args: (Uint8Array | string)[] = ['HPEXPIREAT', x.arg(1), String(at)];
    if (cond !== Cond.None) args.push(x.arg(3));
    args.push('FIELDS', String(set.length), ...set);
    x.propagate(...args);
  } else x.propagateNothing();
  if (set.length + dropped > 0) changed(x, h, dropped > 0 ? 'hdel' : 'hexpire');
}

// ---- HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME ------------------------------------------------

function httlGeneric(x: Exec, seconds: boolean, relative: boolean): void {
  const h = lookupHash(x);
  if (h < 0) return;
  const n = fieldsArg(x, 2, NUMFIELDS_POSITIVE);
  if (n < 0) return;
  if (h === 0) return replyAll(x, n, NO_FIELD);
  const a = x.ks.arena;
  const base = relative ? x.now : 0;
  x.r.array(n);
  for (let i = 4; i < x.argc; i++) {
    const v = x.ks.valueWord(h);
    if (!hashGet(a, v, x.u8, x.off[i], x.len[i])) {
      x.r.int(NO_FIELD);
      continue;
    }
    const at = ttlsOf(a, v)?.get(fieldKey(x.u8, x.off[i], x.len[i]));
    if (at === undefined) x.r.int(NO_TTL);
    else if (at <= x.now) x.r.int(NO_FIELD);
    else x.r.int(seconds ? Math.floor((at + 999 - base) / 1000) : at - base);
  }
}

// ---- HPERSIST ----------------------------------------------------------------------------

function hpersist(x: Exec): void {
  const h = lookupHash(x, 1, false);
  if (h < 0) return;
  const n = fieldsArg(x, 2, NUMFIELDS_POSITIVE);
  if (n < 0) return;
  x.propagateNothing();
  if (h === 0) return replyAll(x, n, NO_FIELD);
  const a = x.ks.arena;
  let persisted = 0;
  x.r.array(n);
  for (let i = 4; i < x.argc; i++) {
    const v = x.ks.valueWord(h);
    if (!hashGet(a, v, x.u8, x.off[i], x.len[i])) {
      x.r.int(NO_FIELD);
      continue;
    }
    const ttls = ttlsOf(a, v);
    if (ttls === undefined || !ttls.delete(fieldKey(x.u8, x.off[i], x.len[i]))) {
      x.r.int(NO_TTL);
      continue;
    }
    persisted++;
    x.r.int(SET);
  }
  if (persisted === 0) return;
  // As it ran: fields it did not persist are no-ops on replay.
  x.rewrites = null;
  changed(x, h, 'hpersist');
}

// ---- HGETEX -------------------------------------------------------------------------------

const enum GetEx {
  None,
  Expire,
  Persist,
}

/** HGETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] FIELDS numfields field ... */
function hgetex(x: Exec): void {
  const h = lookupHash(x, 1, false);
  if (h < 0) return;
  let mode = GetEx.None;
  let at = 0;
  let fieldsAt = 2;
  const timed = x.argIs(2, 'ex') ? 1 : x.argIs(2, 'px') ? 2 : x.argIs(2, 'exat') ? 3 : x.argIs(2, 'pxat') ? 4 : 0;
  if (timed !== 0) {
    // argc >= 5, so the time (argument 3) is there.
    const t = expireArg(x, 3, timed === 1 || timed === 3, timed <= 2 ? x.now : 0);
    if (t === null) return;
    at = t;
    mode = GetEx.Expire;
    fieldsAt = 4;
  } else if (x.argIs(2, 'persist')) {
    mode = GetEx.Persist;
    fieldsAt = 3;
  }
  const n = fieldsArg(x, fieldsAt, NUMFIELDS_POSITIVE);
  if (n < 0) return;
  x.propagateNothing();
  if (h === 0) return replyAll(x, n, null);
  const a = x.ks.arena;
  let updated = 0;
  let dropped = 0;
  x.r.array(n);
  for (let i = fieldsAt + 2; i < x.argc; i++) {
    if (!hashGet(a, x.ks.valueWord(h), x.u8, x.off[i], x.len[i])) {
      x.r.nullBulk();
      continue;
    }
    replyBulk(x, hv.u8, hv.off, hv.len);
    if (mode === GetEx.Persist) {
      if (ttlsOf(a, x.ks.valueWord(h))?.delete(fieldKey(x.u8, x.off[i], x.len[i])) === true) updated++;
    } else if (mode === GetEx.Expire) {
      if (alreadyPast(x, at)) {
        deleteFieldArg(x, h, i);
        dropped++;
      } else {
        setFieldTtl(x, h, i, at);
        updated++;
      }
    }
  }
  if (updated > 0) {
    const fields: Uint8Array[] = [];
    for (let i = fieldsAt + 2; i < x.argc; i++) fields.push(x.arg(i));
    if (mode === GetEx.Persist) x.propagate('HPERSIST', x.arg(1), 'FIELDS', String(n), ...fields);
    else x.propagate('HPEXPIREAT', x.arg(1), String(at), 'FIELDS', String(n), ...fields);
    changed(x, h, mode === GetEx.Persist ? 'hpersist' : 'hexpire');
  } else if (dropped > 0) changed(x, h, 'hdel');
}

// ---- HSETEX -------------------------------------------------------------------------------

const FNX = 1;
const FXX = 2;
const KEEPTTL = 4;
const EXPIRY = 8;

/** HSETEX key [FNX | FXX] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] FIELDS numfields field value ... */
function hsetex(x: Exec): void {
  let flags = 0;
  let at = 0;
  /** The expiry's option (EX ...) argument, to rewrite as PXAT. */
  let expiryAt = -1;
  let first = -1;
  for (let i = 2; i < x.argc && first < 0; i++) {
    if (x.argIs(i, 'fields')) {
      if (i >= x.argc - 3) return arity(x);
      const n = x.argLong(i + 1);
      if (n === null || n < 1 || n > 0x7fffffff) return x.r.error('ERR invalid number of fields');
      const rest = x.argc - i - 2;
      if (rest % 2 !== 0 || n !== rest / 2) return arity(x);
      first = i + 2;
    } else if (x.argIs(i, 'ex') || x.argIs(i, 'px') || x.argIs(i, 'exat') || x.argIs(i, 'pxat')) {
      if ((flags & (EXPIRY | KEEPTTL)) !== 0) return x.r.error(ERR_ONE_EXPIRY);
      if (i >= x.argc - 1) return x.r.error('ERR missing expire time');
      const seconds = x.argIs(i, 'ex') || x.argIs(i, 'exat');
      const relative = x.argIs(i, 'ex') || x.argIs(i, 'px');
      const t = expireArg(x, i + 1, seconds, relative ? x.now : 0);
      if (t === null) return;
      at = t;
      flags |= EXPIRY;
      expiryAt = x.argIs(i, 'pxat') ? -1 : i;
      i++;
    } else if (x.argIs(i, 'keepttl')) {
      if ((flags & (EXPIRY | KEEPTTL)) !== 0) return x.r.error(ERR_ONE_EXPIRY);
      flags |= KEEPTTL;
    } else if (x.argIs(i, 'fxx') || x.argIs(i, 'fnx')) {
      if ((flags & (FXX | FNX)) !== 0) return x.r.error(ERR_ONE_COND);
      flags |= x.argIs(i, 'fxx') ? FXX : FNX;
    } else return x.r.error(`ERR unknown argument: ${x.argStr(i)}`);
  }
  // With at least six arguments, no run of valid options reaches the end without FIELDS.
  if (first < 0) return arity(x);
  let h = lookupHash(x, 1, false);
  if (h < 0) return;
  x.propagateNothing();
  if (h === 0) {
    if ((flags & FXX) !== 0) return x.r.int(0);
    h = newHash(x, 1);
  }
  const a = x.ks.arena;
  if ((flags & (FXX | FNX)) !== 0) {
    let found = 0;
    for (let i = first; i < x.argc; i += 2) if (hashGet(a, x.ks.valueWord(h), x.u8, x.off[i], x.len[i])) found++;
    const pairs = (x.argc - first) / 2;
    if (((flags & FNX) !== 0 && found !== 0) || ((flags & FXX) !== 0 && found !== pairs)) return x.r.int(0);
  }
  tryConversion(x, h, first, x.argc - 1);
  let dropped = 0;
  let updated = 0;
  for (let i = first; i < x.argc; i += 2) {
    setField(x, h, x.u8, x.off[i], x.len[i], x.u8, x.off[i + 1], x.len[i + 1], (flags & (EXPIRY | KEEPTTL)) !== 0);
    if ((flags & EXPIRY) === 0) continue;
    if (alreadyPast(x, at)) {
      deleteFieldArg(x, h, i);
      dropped++;
    } else {
      setFieldTtl(x, h, i, at);
      updated++;
    }
  }
  if (dropped === 0) {
    // As it ran, its relative time made absolute (the HDELs stand for it otherwise).
    const args: (Uint8Array | string)[] = [];
    for (let i = 0; i < x.argc; i++) args.push(x.arg(i));
    if (expiryAt >= 0) {
      args[expiryAt] = 'PXAT';
      args[expiryAt + 1] = String(at);
    }
    x.propagate(...args);
  }
  x.r.int(1);
  x.notifyArg(Notify.Hash, 'hset', 1);
  if (dropped + updated > 0) changed(x, h, dropped > 0 ? 'hdel' : 'hexpire');
  else x.ks.modified(h);
}

function arity(x: Exec): void {
  x.r.error(`ERR wrong number of arguments for '${x.name}' command`);
}

// ---- HGETDEL ------------------------------------------------------------------------------

/** HGETDEL key FIELDS numfields field ...: the values, and the fields gone. */
function hgetdel(x: Exec): void {
  const h = lookupHash(x, 1, false);
  if (h < 0) return;
  const n = fieldsArg(x, 2, NUMFIELDS_POSITIVE);
  if (n < 0) return;
  x.propagateNothing();
  if (h === 0) return replyAll(x, n, null);
  const a = x.ks.arena;
  let gone = 0;
  x.r.array(n);
  for (let i = 4; i < x.argc; i++) {
    if (!hashGet(a, x.ks.valueWord(h), x.u8, x.off[i], x.len[i])) {
      x.r.nullBulk();
      continue;
    }
    replyBulk(x, hv.u8, hv.off, hv.len);
    const v0 = x.ks.valueWord(h);
    const v1 = hashDelete(a, v0, x.u8, x.off[i], x.len[i]);
    if (v1 !== v0) x.ks.setValueWord(h, v1);
    gone++;
  }
  if (gone === 0) return;
  const fields: Uint8Array[] = [];
  for (let i = 4; i < x.argc; i++) fields.push(x.arg(i));
  x.propagate('HDEL', x.arg(1), ...fields);
  changed(x, h, 'hdel');
}

export const hashFieldExpiryHandlers: Record<string, ShardHandler> = {
  hexpire: (x) => hexpireGeneric(x, true, true),
  hpexpire: (x) => hexpireGeneric(x, false, true),
  hexpireat: (x) => hexpireGeneric(x, true, false),
  hpexpireat: (x) => hexpireGeneric(x, false, false),
  httl: (x) => httlGeneric(x, true, true),
  hpttl: (x) => httlGeneric(x, false, true),
  hexpiretime: (x) => httlGeneric(x, true, false),
  hpexpiretime: (x) => httlGeneric(x, false, false),
  hpersist,
  hgetex,
  hsetex,
  hgetdel,
};
