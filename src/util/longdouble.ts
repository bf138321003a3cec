/**
 * A software model of C `long double` as redis-server uses it on x86-64 Linux
 * (x87 80-bit extended precision: 64-bit significand, 15-bit exponent,
 * gradual underflow, round-half-even), just big enough for INCRBYFLOAT and
 * HINCRBYFLOAT:
 *
 *   value = string2ld(current)            → ldParse
 *   incr  = string2ld(argument)           → ldParse
 *   value += incr                         → ldAdd
 *   if (isnan(value) || isinf(value)) ERR → ldIsFinite
 *   reply ld2string(value, LD_STR_HUMAN)  → ldFormatHuman
 *
 * Doing this with JS doubles gives visibly different replies (10.5 + 0.1 is
 * "10.6" in Redis but 10.59999999999999964 with %.17f of the double sum), so
 * the arithmetic is emulated exactly with BigInt. Every step is correctly
 * rounded, as the x87 FPU and glibc's strtold/printf are, so results are
 * bit-identical to Redis 7.0 on x86-64 (verified differentially against
 * redis-server 7.0.15, see test/unit/longdouble.test.ts).
 */

import { BinFormat, FloatKind, X87_EXTENDED, BINARY64, decimalToBinary, hexToBinary, roundToFormat, scanFloat } from './strtod.js';

const F: BinFormat = X87_EXTENDED;

/** Redis MAX_LONG_DOUBLE_CHARS: string2ld rejects inputs of this length or more. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

const KIND_FINITE = 0;
const KIND_INF = 1;
const KIND_NAN = 2;

/** An immutable x87 extended-precision value: (-1)^neg × m × 2^e (m = 0n for zero). */
export class LongDouble {
  /** @internal use the ld* functions. */
  constructor(
    readonly neg: boolean,
    /** 0 finite, 1 infinity, 2 NaN */
    readonly kind: number,
    readonly m: bigint,
    readonly e: number,
  ) {}
}

export const LD_ZERO = new LongDouble(false, KIND_FINITE, 0n, 0);
const LD_NEG_ZERO = new LongDouble(true, KIND_FINITE, 0n, 0);
const LD_INF = new LongDouble(false, KIND_INF, 0n, 0);
const LD_NEG_INF = new LongDouble(true, KIND_INF, 0n, 0);
const LD_NAN = new LongDouble(false, KIND_NAN, 0n, 0);

function inf(neg: boolean): LongDouble {
  return neg ? LD_NEG_INF : LD_INF;
}

/**
 * Redis string2ld(): the whole of `u8[off, off+len)` must be one strtold
 * literal (decimal, hex "0x1p3", "inf"/"infinity"; no spaces, no trailing
 * bytes, no embedded NUL), shorter than 5120 bytes, not NaN, and must not
 * overflow to ±inf or underflow to zero (ERANGE). Returns null otherwise.
 * Note the range is long double's: "1e400" is accepted, "1e-400" too (its
 * value is a tiny non-zero long double), "1e-5000" and "1e4933" are not.
 */
export function ldParse(u8: Uint8Array, off: number, len: number): LongDouble | null {
  if (len === 0 || len >= MAX_LONG_DOUBLE_CHARS) return null;
  const sc = scanFloat(u8, off, len);
  if (sc === null) return null;
  if (sc.kind === FloatKind.Nan) return null;
  if (sc.kind === FloatKind.Inf) return inf(sc.neg);
  if (sc.digits === '') return sc.neg ? LD_NEG_ZERO : LD_ZERO;
  const r = sc.kind === FloatKind.Decimal ? decimalToBinary(sc.digits, sc.exp, F) : hexToBinary(sc.digits, sc.exp, F);
  if (r === null || r.m === 0n) return null; // ERANGE with HUGE_VALL or zero
  return new LongDouble(sc.neg, KIND_FINITE, r.m, r.e);
}

/** isfinite(): neither infinite nor NaN. */
export function ldIsFinite(a: LongDouble): boolean {
  return a.kind === KIND_FINITE;
}

/** a + b rounded to long double (round-half-even), with IEEE special cases. */
export function ldAdd(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === KIND_NAN || b.kind === KIND_NAN) return LD_NAN;
  if (a.kind === KIND_INF) {
    if (b.kind === KIND_INF && b.neg !== a.neg) return LD_NAN;
    return a;
  }
  if (b.kind === KIND_INF) return b;
  if (a.m === 0n) {
    if (b.m === 0n) return a.neg && b.neg ? LD_NEG_ZERO : LD_ZERO;
    return b;
  }
  if (b.m === 0n) return a;
  // Exact sum on a common exponent, then one rounding.
  const e = Math.min(a.e, b.e);
  const am = a.m << BigInt(a.e - e);
  const bm = b.m << BigInt(b.e - e);
  const s = (a.neg ? -am : am) + (b.neg ? -bm : bm);
  if (s === 0n) return LD_ZERO; // x + (-x) is +0 in round-to-nearest
  const neg = s < 0n;
  const r = roundToFormat(neg ? -s : s, e, false, F);
  if (r === null) return inf(neg);
  return new LongDouble(neg, KIND_FINITE, r.m, r.e);
}

/** The double nearest to the value (round-half-even; ±Infinity beyond double range). */
export function ldToNumber(a: LongDouble): number {
  if (a.kind === KIND_NAN) return NaN;
  if (a.kind === KIND_INF) return a.neg ? -Infinity : Infinity;
  if (a.m === 0n) return a.neg ? -0 : 0;
  const r = roundToFormat(a.m, a.e, false, BINARY64);
  let x: number;
  if (r === null || r.m === 0n) {
    x = r === null ? Infinity : 0;
  } else {
    // r.m < 2^53 so Number(r.m) is exact; scale in two steps to stay exact near the edges.
    x = Number(r.m) * 2 ** Math.trunc(r.e / 2) * 2 ** (r.e - Math.trunc(r.e / 2));
  }
  return a.neg ? -x : x;
}

const TEN17 = 10n ** 17n;

/**
 * Redis ld2string(value, LD_STR_HUMAN): printf("%.17Lf") (exact decimal
 * expansion rounded half-even to 17 decimals, as glibc does), then trailing
 * zeros and a trailing '.' removed, and "-0" turned into "0". Infinities are
 * "inf" / "-inf".
 */
export function ldFormatHuman(a: LongDouble): string {
  if (a.kind === KIND_INF) return a.neg ? '-inf' : 'inf';
  if (a.kind === KIND_NAN) return a.neg ? '-nan' : 'nan';
  let out: string;
  if (a.e >= 0) {
    out = (a.m << BigInt(a.e)).toString();
  } else {
    const sh = BigInt(-a.e);
    const scaled = a.m * TEN17;
    let q = scaled >> sh;
    const r = scaled - (q << sh);
    const half = 1n << (sh - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
    const s = q.toString().padStart(18, '0');
    const intPart = s.slice(0, s.length - 17);
    let fl = 17;
    while (fl > 0 && s.charCodeAt(intPart.length + fl - 1) === 0x30) fl--;
    out = fl > 0 ? intPart + '.' + s.slice(intPart.length, intPart.length + fl) : intPart;
  }
  if (a.neg && out !== '0') out = '-' + out;
  return out;
}
