/**
 * Number parsing and formatting with Redis 7.0's exact rules. Everything
 * here was checked against redis-server 7.0.15 (x86-64); the unit tests hold
 * the verified expectations.
 *
 *  Redis function / use                      here
 *  ----------------------------------------  -------------------------------
 *  string2ll (every integer argument,        parseInt64
 *    INCR's stored value ...)
 *  string2d (getDoubleFromObject: ZADD       parseDouble
 *    scores, ZINCRBY, GEO ..., RESTORE ...)
 *  strtod + "eptr[0]=='\0'" (ZRANGEBYSCORE   parseDoubleLoose
 *    bounds, zslParseRange)
 *  "%.17g" (RESP2/RESP3 doubles: ZSCORE ...) formatDouble17g
 *  incrDecrCommand overflow check            addInt64Checked
 *
 * INCRBYFLOAT's long doubles (string2ld, ld2string) are in longdouble.ts.
 */

import { BINARY64, FloatKind, hexToBinary, scanFloat } from './strtod.js';

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/**
 * Redis's reply when a count must lie within ±LONG_MAX
 * (getRangeLongFromObjectOrReply without a message of its own): what
 * SRANDMEMBER, HRANDFIELD and ZRANDMEMBER answer for a count of -2^63.
 */
export const ERR_INT64_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';

/** Redis LONG_STR_SIZE (21): string2ll rejects inputs of this length or more. */
const LONG_STR_SIZE = 21;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 as callers take it: a number when it is a safe integer, else the bigint. */
function int64Result(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/**
 * Redis string2ll(): a base-10 signed 64-bit integer, strictly: optional '-'
 * (no '+'), no leading zeros (only "0" itself; "-0" is rejected), no spaces,
 * at most 20 bytes, within [-2^63, 2^63-1]. Returns a number when the value
 * is a safe integer, a bigint beyond ±2^53, null when invalid.
 */
export function parseInt64(u8: Uint8Array, off: number, len: number): number | bigint | null {
  if (len === 0 || len >= LONG_STR_SIZE) return null;
  let i = off;
  const end = off + len;
  const neg = u8[i] === 0x2d;
  if (neg) {
    i++;
    if (i === end) return null;
  }
  const c0 = u8[i]!;
  if (c0 === 0x30) return i + 1 === end && !neg ? 0 : null;
  if (c0 < 0x31 || c0 > 0x39) return null;
  // Up to 15 digits are exact in a double; longer inputs keep their last digits apart.
  let hi = 0;
  const hiEnd = end - i <= 15 ? end : end - 5;
  for (; i < hiEnd; i++) {
    const d = u8[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    hi = hi * 10 + d;
  }
  if (i === end) return neg ? -hi : hi;
  let lo = 0;
  for (; i < end; i++) {
    const d = u8[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    lo = lo * 10 + d;
  }
  let v = BigInt(hi) * 100000n + BigInt(lo);
  if (neg) v = -v;
  return v < INT64_MIN || v > INT64_MAX ? null : int64Result(v);
}

/** Latin-1 view of validated ASCII bytes. */
function ascii(u8: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(u8[off + i]!);
  return s;
}

/** strtod on a complete literal: the value, or null on overflow (HUGE_VAL), or -0/0 tagged below. */
function strtodValue(u8: Uint8Array, off: number, len: number): { v: number; erange: boolean } | null {
  const sc = scanFloat(u8, off, len);
  if (sc === null || sc.kind === FloatKind.Nan) return null;
  if (sc.kind === FloatKind.Inf) return { v: sc.neg ? -Infinity : Infinity, erange: false };
  if (sc.digits === '') return { v: sc.neg ? -0 : 0, erange: false };
  let v: number;
  if (sc.kind === FloatKind.Decimal) {
    // V8's string → double conversion is correctly rounded, like glibc's.
    v = Number(ascii(u8, off, len));
  } else {
    const r = hexToBinary(sc.digits, sc.exp, BINARY64);
    if (r === null) v = Infinity;
    else v = Number(r.m) * 2 ** Math.trunc(r.e / 2) * 2 ** (r.e - Math.trunc(r.e / 2));
    if (sc.neg) v = -v;
  }
  // glibc sets ERANGE when a non-zero literal overflows or underflows to 0.
  return { v, erange: v === 0 || !Number.isFinite(v) };
}

/**
 * Redis string2d() / getDoubleFromObject(): the whole view must be one C
 * strtod literal: decimal ("1.5", ".5", "5.", "1e5", "+1"), hexadecimal
 * ("0x10", "0x1p-2"), or "inf" / "infinity" with optional sign (any case).
 * Rejected (null): empty, leading/trailing spaces, embedded NUL, NaN, values
 * that overflow to ±inf ("1e400") or underflow to zero ("1e-400"); "1e-320"
 * is fine (denormal).
 */
export function parseDouble(u8: Uint8Array, off: number, len: number): number | null {
  if (len === 0) return null;
  // Fast path for plain integers up to 2^53 (as long as a GEO score), the most common score format.
  if (len < 18) {
    const n = parseInt64(u8, off, len);
    if (typeof n === 'number') return n;
  }
  const f = fastDecimal(u8, off, len);
  if (f === f) return f; // not NaN: handled
  const r = strtodValue(u8, off, len);
  if (r === null || r.erange) return null;
  return r.v;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Clinger's fast path for plain decimals ([sign] digits [. digits], at most
 * 15 significant digits, at most 22 decimals): the significand and 10^k are
 * exact doubles, so one IEEE division gives the correctly rounded result,
 * which is what strtod returns. NaN means "not handled here".
 */
function fastDecimal(u8: Uint8Array, off: number, len: number): number {
  let i = off;
  const end = off + len;
  let neg = false;
  const c0 = u8[i];
  if (c0 === 0x2d || c0 === 0x2b) {
    neg = c0 === 0x2d;
    i++;
  }
  let mant = 0;
  let sig = 0;
  let digits = 0;
  let frac = -1; // -1: no point seen
  for (; i < end; i++) {
    const c = u8[i]!;
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      if (frac >= 0) frac++;
      if (mant !== 0 || c !== 0x30) {
        if (++sig > 15) return NaN;
        mant = mant * 10 + (c - 0x30);
      }
    } else if (c === 0x2e && frac < 0) {
      frac = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || frac > 22) return NaN;
  const v = frac > 0 ? mant / POW10[frac]! : mant;
  return neg ? -v : v;
}

/** C isspace() in the C locale. */
function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * What Redis 7.0's zslParseRange() accepts for one ZRANGEBYSCORE /
 * ZCOUNT / ZREMRANGEBYSCORE bound (after the caller strips a leading '('):
 * `strtod(s, &eptr)` with only `eptr[0] == '\0' && !isnan` checked. Hence,
 * unlike parseDouble: the argument is a C string (it ends at its first NUL
 * byte), leading whitespace is skipped, overflow gives ±Infinity, underflow
 * gives 0, and an empty string is 0 (strtod converts nothing and eptr points
 * at the terminator). Returns null when rejected.
 */
export function parseDoubleLoose(u8: Uint8Array, off: number, len: number): number | null {
  let end = off + len;
  for (let i = off; i < end; i++) {
    if (u8[i] === 0) {
      end = i;
      break;
    }
  }
  if (end === off) return 0;
  let i = off;
  while (i < end && isCSpace(u8[i]!)) i++;
  if (i === end) return null; // only spaces: no conversion, eptr = start
  const r = strtodValue(u8, i, end - i);
  if (r === null) return null;
  return r.v;
}

// ---------------------------------------------------------------------------
// Formatting.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the high word

/** Exact decimal expansion of a finite non-zero |x|: |x| = D × 10^k. */
function exactDecimal(ax: number): { d: string; k: number } {
  f64[0] = ax;
  const hi = u32[HI]!;
  const lo = u32[1 - HI]!;
  const bexp = hi >>> 20;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = bexp - 1075;
  }
  if (e >= 0) return { d: (m << BigInt(e)).toString(), k: 0 };
  return { d: (m * 5n ** BigInt(-e)).toString(), k: e };
}

/**
 * 17 significant digits of |x| rounded half-even (glibc printf), and the
 * decimal exponent X of the first digit.
 */
function digits17(ax: number): { digits: string; X: number } {
  const s16 = ax.toExponential(16);
  // toExponential rounds ties away from zero; glibc rounds them to even.
  // A tie needs an exact expansion of exactly 18 significant digits ending
  // in 5, so only then (18th digit '5') take the exact path.
  const s17 = ax.toExponential(17);
  if (s17.charCodeAt(18) !== 0x35) {
    const ei = s16.indexOf('e');
    return { digits: s16[0]! + s16.slice(2, ei), X: Number(s16.slice(ei + 1)) };
  }
  const { d, k } = exactDecimal(ax);
  let X = d.length - 1 + k;
  if (d.length <= 17) return { digits: d.padEnd(17, '0'), X };
  let head = BigInt(d.slice(0, 17));
  const c = d.charCodeAt(17);
  let up: boolean;
  if (c > 0x35) up = true;
  else if (c < 0x35) up = false;
  else {
    let rest = false;
    for (let i = 18; i < d.length; i++) {
      if (d.charCodeAt(i) !== 0x30) {
        rest = true;
        break;
      }
    }
    up = rest || (head & 1n) === 1n;
  }
  if (up) head += 1n;
  let digits = head.toString();
  if (digits.length > 17) {
    digits = digits.slice(0, 17);
    X++;
  }
  return { digits, X };
}

/**
 * C printf("%.17g", x) as glibc prints it, which is how Redis 7.0 formats
 * doubles in replies (ZSCORE 0.1 → "0.10000000000000001", 1 → "1",
 * 1e20 → "1e+20", 1e-5 → "1.0000000000000001e-05", -0 → "-0",
 * ±Infinity → "inf" / "-inf"). NaN prints "nan" ("-nan" with the sign bit).
 */
export function formatDouble17g(x: number): string {
  if (Number.isSafeInteger(x)) return Object.is(x, -0) ? '-0' : String(x);
  if (x !== x) {
    f64[0] = x;
    return u32[HI]! >>> 31 ? '-nan' : 'nan';
  }
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0;
  const { digits, X } = digits17(neg ? -x : x);
  // Strip trailing zeros (no '#' flag).
  let n = 17;
  while (n > 1 && digits.charCodeAt(n - 1) === 0x30) n--;
  let out: string;
  if (X < -4 || X >= 17) {
    const ax = X < 0 ? -X : X;
    out = digits[0]! + (n > 1 ? '.' + digits.slice(1, n) : '') + (X < 0 ? 'e-' : 'e+') + (ax < 10 ? '0' + ax : String(ax));
  } else if (X >= 0) {
    out = n > X + 1 ? digits.slice(0, X + 1) + '.' + digits.slice(X + 1, n) : digits.slice(0, X + 1);
  } else {
    out = '0.' + '0'.repeat(-X - 1) + digits.slice(0, n);
  }
  return neg ? '-' + out : out;
}

/**
 * a + b if the result fits in int64, else null: INCR/INCRBY/DECR and HINCRBY
 * reply "ERR increment or decrement would overflow" then. (DECRBY first
 * rejects a decrement of exactly -2^63 with "ERR decrement would overflow",
 * since it negates it before adding.) Like parseInt64, the sum is a number
 * when it is a safe integer.
 */
export function addInt64Checked(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(a) + BigInt(b);
  return r < INT64_MIN || r > INT64_MAX ? null : int64Result(r);
}
