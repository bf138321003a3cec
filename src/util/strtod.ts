/**
 * The number grammar of C strtod()/strtold() (glibc, C locale) and exact,
 * correctly rounded conversion of decimal and hexadecimal literals to a
 * binary floating-point format (IEEE double or x87 80-bit extended).
 *
 * Internal building block of numbers.ts and longdouble.ts.
 */

/** What a complete strtod literal is. */
export const FloatKind = { Decimal: 0, Hex: 1, Inf: 2, Nan: 3 } as const;
export type FloatKind = (typeof FloatKind)[keyof typeof FloatKind];

export interface ScannedFloat {
  neg: boolean;
  kind: FloatKind;
  /** Significant digits (decimal or hex), leading and trailing zeros removed; '' when the value is zero. */
  digits: string;
  /** Decimal: value = digits × 10^exp. Hex: value = digits × 2^exp. */
  exp: number;
}

/** Exponents beyond this are saturated; every format over/underflows long before. */
const EXP_CAP = 1_000_000_000;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
function lowerAt(u8: Uint8Array, i: number): number {
  return u8[i]! | 0x20;
}
function matchWordCI(u8: Uint8Array, i: number, end: number, word: string): boolean {
  if (end - i !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (lowerAt(u8, i + k) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * Scans `u8[off, off+len)` as ONE complete strtod literal: optional sign, then
 * "inf" | "infinity" | "nan" | "nan(chars)" (case-insensitive), a decimal
 * literal (digits with an optional '.', at least one digit, optional
 * e[sign]digits) or a hexadecimal one (0x, hex digits with an optional '.',
 * at least one hex digit, optional p[sign]digits). No whitespace anywhere.
 * Returns null when the bytes are not exactly one such literal (strtod would
 * stop early, i.e. eptr != end).
 */
export function scanFloat(u8: Uint8Array, off: number, len: number): ScannedFloat | null {
  let i = off;
  const end = off + len;
  if (i >= end) return null;
  let neg = false;
  if (u8[i] === 0x2b /* + */ || u8[i] === 0x2d /* - */) {
    neg = u8[i] === 0x2d;
    i++;
    if (i >= end) return null;
  }
  const c0 = u8[i]!;
  const l0 = c0 | 0x20;
  if (l0 === 0x69 /* i */) {
    if (matchWordCI(u8, i, end, 'inf') || matchWordCI(u8, i, end, 'infinity')) {
      return { neg, kind: FloatKind.Inf, digits: '', exp: 0 };
    }
    return null;
  }
  if (l0 === 0x6e /* n */) {
    if (end - i < 3 || lowerAt(u8, i + 1) !== 0x61 || lowerAt(u8, i + 2) !== 0x6e) return null;
    let j = i + 3;
    if (j === end) return { neg, kind: FloatKind.Nan, digits: '', exp: 0 };
    if (u8[j] !== 0x28 /* ( */ || u8[end - 1] !== 0x29 /* ) */) return null;
    for (j++; j < end - 1; j++) {
      const c = u8[j]!;
      if (!(isDigit(c) || (c | 0x20) >= 97 && (c | 0x20) <= 122 || c === 0x5f)) return null;
    }
    return { neg, kind: FloatKind.Nan, digits: '', exp: 0 };
  }
  // Hexadecimal: "0x" must be followed by at least one hex digit (possibly after
  // the point), otherwise strtod parses just the "0" and stops at the 'x'.
  if (c0 === 0x30 && i + 1 < end && (u8[i + 1]! | 0x20) === 0x78) {
    const m = scanMantissa(u8, i + 2, end, true);
    return m === null ? null : { neg, kind: FloatKind.Hex, digits: m.digits, exp: m.exp };
  }
  const m = scanMantissa(u8, i, end, false);
  return m === null ? null : { neg, kind: FloatKind.Decimal, digits: m.digits, exp: m.exp };
}

/**
 * Reads the digits, point and exponent of a decimal (`e`, powers of ten) or
 * hexadecimal (`p`, powers of two) mantissa. Returns the significant digits
 * without leading or trailing zeros, and the exponent that goes with them in
 * the mantissa's unit (a decimal digit, or 4 bits for a hex digit).
 */
function scanMantissa(u8: Uint8Array, from: number, end: number, hex: boolean): { digits: string; exp: number } | null {
  let digits = '';
  let nDigits = 0;
  let fracDigits = 0;
  let seenPoint = false;
  let j = from;
  for (; j < end; j++) {
    const c = u8[j]!;
    if (c === 0x2e /* . */) {
      if (seenPoint) return null;
      seenPoint = true;
      continue;
    }
    const v = hex ? hexVal(c) : isDigit(c) ? c - 0x30 : -1;
    if (v < 0) break;
    nDigits++;
    if (seenPoint) fracDigits++;
    // Leading zeros are not kept; after the point they still count in fracDigits.
    if (digits.length > 0 || v !== 0) digits += String.fromCharCode(c);
  }
  if (nDigits === 0) return null;
  let exp = 0;
  if (j < end) {
    if ((u8[j]! | 0x20) !== (hex ? 0x70 /* p */ : 0x65) /* e */) return null;
    const e = scanExponent(u8, j + 1, end);
    if (e === null) return null;
    exp = e;
  }
  // Drop trailing zero digits; each one moves the exponent by one unit.
  let t = digits.length;
  while (t > 0 && digits.charCodeAt(t - 1) === 0x30) t--;
  const dropped = digits.length - t;
  digits = digits.slice(0, t);
  const unit = hex ? 4 : 1;
  return { digits, exp: digits === '' ? 0 : exp - unit * fracDigits + unit * dropped };
}

/** [sign] digits up to `end`, saturated; null if malformed. */
function scanExponent(u8: Uint8Array, i: number, end: number): number | null {
  let sign = 1;
  if (i < end && (u8[i] === 0x2b || u8[i] === 0x2d)) {
    if (u8[i] === 0x2d) sign = -1;
    i++;
  }
  if (i >= end) return null;
  let v = 0;
  for (; i < end; i++) {
    const c = u8[i]!;
    if (!isDigit(c)) return null;
    if (v < EXP_CAP) v = v * 10 + (c - 48);
  }
  return sign * Math.min(v, EXP_CAP);
}

// ---------------------------------------------------------------------------
// Binary formats and rounding.

/** A binary floating-point format: `prec` significand bits; values are m × 2^e with e in [minE, maxE], m < 2^prec. */
export interface BinFormat {
  readonly prec: number;
  readonly minE: number;
  readonly maxE: number;
}

/** IEEE 754 binary64. */
export const BINARY64: BinFormat = { prec: 53, minE: -1074, maxE: 971 };
/** x87 80-bit extended precision: C `long double` on x86-64 Linux (what redis-server uses). */
export const X87_EXTENDED: BinFormat = { prec: 64, minE: -16445, maxE: 16320 };

/** m × 2^e, m >= 0; m === 0n is zero. */
export interface BinValue {
  m: bigint;
  e: number;
}

/** Number of significant bits of a non-negative bigint. */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  if (x < 0x20000000000000n) {
    const n = Number(x);
    const hi = Math.floor(n / 4294967296);
    return hi > 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(n);
  }
  const h = x.toString(16);
  const top = parseInt(h[0]!, 16);
  return (h.length - 1) * 4 + (32 - Math.clz32(top));
}

/**
 * Rounds the exact value M × 2^E (plus an infinitesimal extra when `sticky`,
 * i.e. the true value is strictly between M×2^E and (M+1)×2^E) to the format,
 * round-half-even, with gradual underflow. Returns null on overflow (the
 * round-to-nearest result is infinity). M must be > 0; when `sticky` is set M
 * must carry at least prec+2 significant bits.
 */
export function roundToFormat(M: bigint, E: number, sticky: boolean, f: BinFormat): BinValue | null {
  const L = bitLength(M);
  const shift = Math.max(L - f.prec, f.minE - E);
  let m: bigint;
  let e: number;
  if (shift <= 0) {
    m = M << BigInt(-shift);
    e = E + shift;
  } else {
    const bs = BigInt(shift);
    m = M >> bs;
    const rem = M - (m << bs);
    const half = 1n << (bs - 1n);
    if (rem > half || (rem === half && (sticky || (m & 1n) === 1n))) m += 1n;
    e = E + shift;
    if (m === 1n << BigInt(f.prec)) {
      m >>= 1n;
      e += 1;
    }
  }
  if (e > f.maxE) return null;
  return { m, e };
}

const LOG10_2 = Math.log10(2);

/**
 * Exact decimal → binary conversion (what glibc strtod/strtold do in the
 * default rounding mode): the value digits × 10^exp10 correctly rounded to
 * the format. Returns null on overflow; { m: 0n } when a non-zero value
 * underflows to zero (caller decides: strtod sets ERANGE then).
 */
export function decimalToBinary(digits: string, exp10: number, f: BinFormat): BinValue | null {
  if (digits === '') return { m: 0n, e: 0 };
  const nd = digits.length;
  // value in [10^(nd-1+exp10), 10^(nd+exp10))
  const maxDec = Math.ceil((f.maxE + f.prec) * LOG10_2) + 1;
  const minDec = Math.floor((f.minE - 1) * LOG10_2) - 2;
  if (nd - 1 + exp10 > maxDec) return null;
  if (nd + exp10 < minDec) return { m: 0n, e: 0 };
  const D = BigInt(digits);
  if (exp10 >= 0) return roundToFormat(D * 10n ** BigInt(exp10), 0, false, f);
  const P = 10n ** BigInt(-exp10);
  const s = Math.max(0, f.prec + 3 + bitLength(P) - bitLength(D));
  const N = D << BigInt(s);
  const q = N / P;
  const r = N - q * P;
  return roundToFormat(q, -s, r !== 0n, f);
}

/** Exact hex-significand → binary conversion: hexDigits × 2^exp2, correctly rounded. Same returns as decimalToBinary. */
export function hexToBinary(hexDigits: string, exp2: number, f: BinFormat): BinValue | null {
  if (hexDigits === '') return { m: 0n, e: 0 };
  const H = BigInt('0x' + hexDigits);
  const top = bitLength(H) - 1 + exp2; // position of the leading bit
  if (top >= f.maxE + f.prec) return null;
  if (top < f.minE - 1) return { m: 0n, e: 0 };
  return roundToFormat(H, exp2, false, f);
}
