/**
 * Fixed-point formatting of doubles as Redis does it for GEO replies:
 * C printf("%.Nf") as glibc prints it (the exact binary value rounded
 * half-even to N decimals), used for coordinates ("%.17Lf", trailing zeros
 * stripped) and the coordinates of an invalid pair ("%f"); and Redis's own
 * fixedpoint_d2string, used for distances with 4 decimals.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** |x| = m × 2^e with m an integer (x finite, non-zero). */
function split(ax: number): { m: bigint; e: number } {
  f64[0] = ax;
  const hi = u32[HI];
  const lo = u32[1 - HI];
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (bexp === 0) return { m, e: -1074 };
  m |= 1n << 52n;
  return { m, e: bexp - 1075 };
}

/** The exponent of the lowest set bit of |x| (x finite, non-zero). */
function lowestBit(ax: number): number {
  f64[0] = ax;
  const hi = u32[HI];
  const lo = u32[1 - HI];
  const bexp = (hi >>> 20) & 0x7ff;
  const mhi = (hi & 0xfffff) | (bexp === 0 ? 0 : 0x100000);
  const e = bexp === 0 ? -1074 : bexp - 1075;
  const ctz = (w: number): number => 31 - Math.clz32(w & -w);
  return e + (lo !== 0 ? ctz(lo) : 32 + ctz(mhi));
}

function exactFixed(ax: number, prec: number): string {
  const { m, e } = split(ax);
  if (e >= 0) return (m << BigInt(e)).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
  const sh = BigInt(-e);
  const scaled = m * 10n ** BigInt(prec);
  let q = scaled >> sh;
  const r = scaled - (q << sh);
  const half = 1n << (sh - 1n);
  if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  const s = q.toString().padStart(prec + 1, '0');
  const int = s.slice(0, s.length - prec);
  return prec > 0 ? int + '.' + s.slice(s.length - prec) : int;
}

/** printf("%.<prec>f", x) as glibc prints it ("inf", "-inf", "nan", "-0.0000" included). */
export function formatFixed(x: number, prec: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = neg ? -x : x;
  let s: string;
  // toFixed is exact but breaks ties away from zero; a tie at decimal prec+1
  // needs the value's lowest set bit to be 2^-(prec+1) exactly.
  if (ax === 0) s = ax.toFixed(prec);
  else if (ax < 1e21 && lowestBit(ax) !== -(prec + 1)) s = ax.toFixed(prec);
  else s = exactFixed(ax, prec);
  return neg ? '-' + s : s;
}

/**
 * Redis's ld2string(LD_STR_HUMAN) of a double: "%.17Lf" with trailing zeros
 * and a trailing '.' removed, "-0" turned into "0".
 */
export function formatHuman17(x: number): string {
  if (x !== x || x === Infinity || x === -Infinity) return formatFixed(x, 17);
  let s = formatFixed(x, 17);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  s = s.slice(0, end);
  return s === '-0' ? '0' : s;
}

/** C's llrint in the default rounding mode: to nearest, ties to even; out of int64 range: INT64_MIN. */
function llrint(x: number): number | bigint {
  if (!(x > -9223372036854775808 && x < 9223372036854775808)) return -9223372036854775808n;
  let r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) r -= 1;
  return Number.isSafeInteger(r) ? r : BigInt(r);
}

/**
 * Redis's fixedpoint_d2string (how it prints GEO distances with 4
 * decimals): the value times 10^digits rounded to an integer (llrint), then
 * that integer's digits with a point inserted. Unlike printf's exact
 * rounding, the scaling rounds first: 8385519.4837499996647 scales to
 * 83855194837.5 and prints as 8385519.4838. Zero (of either sign) is "0.0000".
 */
export function formatFixedPoint(x: number, digits: number): string {
  if (x === 0) return '0.' + '0'.repeat(digits);
  const v = llrint(x * 10 ** digits);
  const neg = v < 0;
  const s = (neg ? -BigInt(v) : BigInt(v)).toString();
  const body = s.length <= digits ? '0.' + s.padStart(digits, '0') : s.slice(0, s.length - digits) + '.' + s.slice(s.length - digits);
  return neg ? '-' + body : body;
}
