/**
 * Stream IDs and the trimming options as Redis 7.0's t_stream.c parses
 * them (streamGenericParseIDOrReply, streamParseAddOrTrimArgsOrReply),
 * errors included.
 */
import type { Exec } from '../shard/exec.js';
import { ERR_NOT_INT, ERR_SYNTAX } from '../shard/exec.js';
import { parseInt64 } from '../util/numbers.js';
import { ID_MAX, type StreamId, Trim, U64_MAX } from '../types/stream.js';

export const ERR_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';

/** Out-parameter of parseId: whether the sequence was given (false for `<ms>-*`). */
export const seqGiven = { value: true };

/**
 * Redis's string2ull: a canonical int64 (negative refused), else what
 * strtoull accepts in full (leading spaces, a sign, digits; a '-' wraps).
 */
function string2ull(u8: Uint8Array, off: number, len: number): bigint | null {
  const ll = parseInt64(u8, off, len);
  if (ll !== null) return ll < 0 ? null : BigInt(ll);
  let p = off;
  const end = off + len;
  while (p < end && (u8[p] === 32 || (u8[p] >= 9 && u8[p] <= 13))) p++;
  let neg = false;
  if (p < end && (u8[p] === 43 || u8[p] === 45)) neg = u8[p++] === 45;
  if (p >= end) return null;
  let v = 0n;
  for (; p < end; p++) {
    const c = u8[p];
    if (c < 48 || c > 57) return null;
    v = v * 10n + BigInt(c - 48);
    if (v > U64_MAX) return null;
  }
  return neg ? BigInt.asUintN(64, -v) : v;
}

/**
 * Parses u8[off, off+len) as a stream ID. `missingSeq`: the sequence of a
 * bare `<ms>`; `strict` refuses "-" and "+"; `seqStar` allows `<ms>-*`
 * (then seqGiven.value is false). Returns null when invalid.
 */
export function parseIdBytes(u8: Uint8Array, off: number, len: number, missingSeq: bigint, strict: boolean, seqStar: boolean): StreamId | null {
  seqGiven.value = true;
  if (len > 127) return null;
  // C strings: the argument ends at its first NUL.
  for (let k = 0; k < len; k++) {
    if (u8[off + k] === 0) {
      len = k;
      break;
    }
  }
  if (len === 1 && (u8[off] === 45 || u8[off] === 43)) {
    if (strict) return null;
    return u8[off] === 45 ? 0n : ID_MAX;
  }
  let dash = -1;
  for (let k = 0; k < len; k++) {
    if (u8[off + k] === 45) {
      dash = k;
      break;
    }
  }
  const ms = string2ull(u8, off, dash < 0 ? len : dash);
  if (ms === null) return null;
  let seq = missingSeq;
  if (dash >= 0) {
    const so = off + dash + 1;
    const sl = len - dash - 1;
    if (seqStar && sl === 1 && u8[so] === 42) {
      seq = 0n;
      seqGiven.value = false;
    } else {
      const s = string2ull(u8, so, sl);
      if (s === null) return null;
      seq = s;
    }
  }
  return (ms << 64n) | seq;
}

/** Argument i as an ID, or null after replying the error. */
export function argId(x: Exec, i: number, missingSeq: bigint, strict = false, seqStar = false): StreamId | null {
  const id = parseIdBytes(x.u8, x.off[i], x.len[i], missingSeq, strict, seqStar);
  if (id === null) x.r.error(ERR_INVALID_ID);
  return id;
}

/** A range bound: `(` excludes it (streamParseIntervalIDOrReply). */
export function argIntervalId(x: Exec, i: number, missingSeq: bigint, exclude: { value: boolean }): StreamId | null {
  const o = x.off[i];
  const n = x.len[i];
  exclude.value = n > 1 && x.u8[o] === 40;
  const id = exclude.value ? parseIdBytes(x.u8, o + 1, n - 1, missingSeq, true, false) : parseIdBytes(x.u8, o, n, missingSeq, false, false);
  if (id === null) x.r.error(ERR_INVALID_ID);
  return id;
}

/** What XADD and XTRIM were asked to do. */
export interface AddTrimArgs {
  strategy: Trim | 0;
  approx: boolean;
  maxlen: number;
  minid: StreamId;
  limit: number;
  /** Argument index of the threshold (MAXLEN's count, MINID's ID). */
  thresholdIdx: number;
  noMkStream: boolean;
  idGiven: boolean;
  seqGiven: boolean;
  id: StreamId;
  /** XADD: index of the ID argument. */
  idIdx: number;
}

/**
 * streamParseAddOrTrimArgsOrReply: the options from argument 2 on; for
 * XADD, up to and including the ID. `defaultNodeEntries` is
 * stream-node-max-entries (the default LIMIT of `~`); `obeyAll`: the
 * command is replayed from the AOF, where LIMIT is not enforced. Returns
 * null after replying an error; the object returned is reused by the next
 * call.
 */
const ARGS: AddTrimArgs = { strategy: 0, approx: false, maxlen: 0, minid: 0n, limit: 0, thresholdIdx: 0, noMkStream: false, idGiven: false, seqGiven: true, id: 0n, idIdx: 0 };

export function parseAddTrim(x: Exec, xadd: boolean, nodeMaxEntries: number, obeyAll: boolean): AddTrimArgs | null {
  // One object for every call (valid until the next): XADD is the hot path.
  const args = ARGS;
  args.strategy = 0;
  args.approx = false;
  args.maxlen = 0;
  args.minid = 0n;
  args.limit = 0;
  args.thresholdIdx = 0;
  args.noMkStream = false;
  args.idGiven = false;
  args.seqGiven = true;
  args.id = 0n;
  args.idIdx = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < x.argc; i++) {
    const more = x.argc - 1 - i;
    if (xadd && x.len[i] === 1 && x.u8[x.off[i]] === 42) break;
    const isMaxlen = x.argIs(i, 'maxlen');
    if ((isMaxlen || x.argIs(i, 'minid')) && more > 0) {
      if (args.strategy !== 0) {
        x.r.error('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
        return null;
      }
      args.approx = false;
      if (more >= 2 && x.len[i + 1] === 1 && x.u8[x.off[i + 1]] === 126) {
        args.approx = true;
        i++;
      } else if (more >= 2 && x.len[i + 1] === 1 && x.u8[x.off[i + 1]] === 61) i++;
      if (isMaxlen) {
        const n = x.argInt64(i + 1);
        if (n === null) {
          x.r.error(ERR_NOT_INT);
          return null;
        }
        if (n < 0) {
          x.r.error('ERR The MAXLEN argument must be >= 0.');
          return null;
        }
        args.maxlen = Number(n);
        args.strategy = Trim.MaxLen;
      } else {
        const id = argId(x, i + 1, 0n, true);
        if (id === null) return null;
        args.minid = id;
        args.strategy = Trim.MinId;
      }
      i++;
      args.thresholdIdx = i;
    } else if (x.argIs(i, 'limit') && more > 0) {
      const n = x.argInt64(i + 1);
      if (n === null) {
        x.r.error(ERR_NOT_INT);
        return null;
      }
      if (n < 0) {
        x.r.error('ERR The LIMIT argument must be >= 0.');
        return null;
      }
      args.limit = Number(n);
      limitGiven = true;
      i++;
    } else if (xadd && x.argIs(i, 'nomkstream')) {
      args.noMkStream = true;
    } else if (xadd) {
      const id = argId(x, i, 0n, true, true);
      if (id === null) return null;
      args.id = id;
      args.idGiven = true;
      args.seqGiven = seqGiven.value;
      break;
    } else {
      x.r.error(ERR_SYNTAX);
      return null;
    }
  }
  args.idIdx = i;
  if (args.limit !== 0 && args.strategy === 0) {
    x.r.error('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
    return null;
  }
  if (!xadd && args.strategy === 0) {
    x.r.error('ERR syntax error, XTRIM must be called with a trimming strategy');
    return null;
  }
  if (obeyAll) args.limit = 0;
  else if (limitGiven) {
    if (!args.approx) {
      x.r.error('ERR syntax error, LIMIT cannot be used without the special ~ option');
      return null;
    }
  } else if (args.approx) {
    args.limit = 100 * nodeMaxEntries;
    if (args.limit <= 0 || args.limit > 10000) args.limit = 10000;
  } else args.limit = 0;
  return args;
}
