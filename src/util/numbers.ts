/**
 * Number parsing and formatting with Redis 7.0's exact rules. Everything
 * here was checked against redis-server 7.0.15 (x86-64); the unit tests hold
 * the verified expectations.
 *
 *  Redis function / use                      here
 *  ----------------------------------------  -------------------------------
 *  string2ll (every integer argument,        parseInt64 / parseSafeInt
 *    INCR's stored value ...)
 *  string2d (getDoubleFromObject: ZADD       parseDouble
 *    scores, ZINCRBY, GEO ..., RESTORE ...)
 *  string2ld (INCRBYFLOAT, HINCRBYFLOAT)     parseLongDouble (as a double),
 *                                            or exactly: ldParse in longdouble.ts
 *  strtod + "eptr[0]=='\0'" (ZRANGEBYSCORE   parseDoubleLoose
 *    bounds, zslParseRange)
 *  "%.17g" (RESP2/RESP3 doubles: ZSCORE ...) formatDouble17g
 *  ld2string LD_STR_HUMAN (INCRBYFLOAT)      formatLongDouble / ldFormatHuman
 *  incrDecrCommand overflow check            addInt64Checked
 */

import { BINARY64, FloatKind, hexToBinary, scanFloat } from './strtod.js';
import { ldFormatHuman, ldFromNumber, ldParse, ldToNumber } from './longdouble.js';

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** Redis LONG_STR_SIZE (21): string2ll rejects inputs of this length or more. */
const LONG_STR_SIZE = 21;

/**
 * Redis string2ll(): a base-10 signed 64-bit integer, strictly: optional '-'
 * (no '+'), no leading zeros (only "0" itself; "-0" is rejected), no spaces,
 * at most 20 bytes, within [-2^63, 2^63-1]. Returns null when invalid.
 */
export function parseInt64(u8: Uint8Array, off: number, len: number): bigint | null {
  if (len === 0 || len >= LONG_STR_SIZE) return null;
  if (len <= 15) {
    // 15 digits always fit a double exactly.
    const n = parseSafeInt(u8, off, len);
    return n === null ? null : BigInt(n);
  }
  let i = off;
  const end = off + len;
  const neg = u8[i] === 0x2d;
  if (neg) i++;
  const c0 = u8[i]!;
  if (c0 < 0x31 || c0 > 0x39) return null;
  // Accumulate in two parts to stay exact: hi holds the leading digits.
  let hi = 0;
  let lo = 0;
  let loDigits = 0;
  for (; i < end; i++) {
    const c = u8[i]!;
    if (c < 0x30 || c > 0x39) return null;
    if (end - i > 9) hi = hi * 10 + (c - 0x30);
    else {
      lo = lo * 10 + (c - 0x30);
      loDigits++;
    }
  }
  const v = BigInt(hi) * 10n ** BigInt(loDigits) + BigInt(lo);
  if (neg) return v > 9223372036854775808n ? null : -v;
  return v > INT64_MAX ? null : v;
}

/**
 * Fast path of {@link parseInt64} returning a JS number: same validation
 * rules (string2ll), but also returns null when the value is a valid int64
 * outside Number.MIN_SAFE_INTEGER..MAX_SAFE_INTEGER. Callers that need the
 * whole int64 range fall back to parseInt64 when this returns null.
 */
export function parseSafeInt(u8: Uint8Array, off: number, len: number): number | null {
  if (len === 0 || len > 17) return null; // "-" + 16 digits at most can be safe
  let i = off;
  const end = off + len;
  const c0 = u8[i]!;
  if (c0 === 0x30) return len === 1 ? 0 : null;
  let neg = false;
  if (c0 === 0x2d) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  const c1 = u8[i]!;
  if (c1 < 0x31 || c1 > 0x39) return null;
  let v = c1 - 0x30;
  for (i++; i < end; i++) {
    const c = u8[i]!;
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
  }
  // Past 2^53 the accumulation may round, but never down to a safe value.
  if (v > Number.MAX_SAFE_INTEGER) return null;
  return neg ? -v : v;
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
  // Fast path for plain short integers, the most common score format.
  if (len < 16) {
    const n = parseSafeInt(u8, off, len);
    if (n !== null) return n;
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

/**
 * Redis string2ld() acceptance (INCRBYFLOAT / HINCRBYFLOAT arguments and
 * stored values), returning the value rounded to a double. Accepts what
 * parseDouble accepts plus what only a long double can hold: "1e400" gives
 * Infinity here although Redis holds a finite value, "1e-400" gives 0.
 * Inputs of 5120 bytes or more are rejected. To reproduce INCRBYFLOAT
 * exactly, use ldParse/ldAdd/ldFormatHuman from longdouble.ts instead.
 */
export function parseLongDouble(u8: Uint8Array, off: number, len: number): number | null {
  const ld = ldParse(u8, off, len);
  return ld === null ? null : ldToNumber(ld);
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
 * What INCRBYFLOAT would reply for a long double holding exactly the double
 * `x`: ld2string(LD_STR_HUMAN), i.e. "%.17Lf" with trailing zeros and '.'
 * trimmed ("5000", "0.00003", "inf").
 *
 * Long double vs double: Redis computes INCRBYFLOAT in long double, so for a
 * result computed in JS doubles this is only the closest equivalent. E.g.
 * Redis: 10.5 + 0.1 → "10.6"; the double 10.5 + 0.1 printed this way is
 * "10.59999999999999964". Use ldParse/ldAdd/ldFormatHuman (longdouble.ts)
 * to reproduce INCRBYFLOAT exactly; this function is right whenever the
 * value really is that double (e.g. ints, halves, the result of parsing a
 * short decimal when Redis would also hold the double).
 */
export function formatLongDouble(x: number): string {
  return ldFormatHuman(ldFromNumber(x));
}

/** Decimal integer, as ll2string prints it ("-0" never appears). */
export function formatInt(n: number | bigint): string {
  if (typeof n === 'number' && n === 0) return '0';
  return String(n);
}

/**
 * a + b if the result fits in int64, else null: INCR/INCRBY/DECR reply
 * "ERR increment or decrement would overflow" then. (DECRBY first rejects
 * a decrement of exactly -2^63 with "ERR decrement would overflow", since
 * it negates it before adding.)
 */
export function addInt64Checked(a: bigint, b: bigint): bigint | null {
  const r = a + b;
  return r > INT64_MAX || r < INT64_MIN ? null : r;
}

/** Safe-integer fast path of addInt64Checked (numbers within ±2^53-1 in, exact sum out, or null when not safe). */
export function addSafeIntChecked(a: number, b: number): number | null {
  const r = a + b;
  return Number.isSafeInteger(r) ? r : null;
}
