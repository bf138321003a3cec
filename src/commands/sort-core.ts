/**
 * SORT's logic as pure functions over byte arrays, shared by the shard
 * handler (commands/sort.ts: everything on the key's shard) and the front's
 * multi-hop path (front/sort.ts: pattern keys on other shards), so the two
 * cannot disagree. Follows Redis 7.0's sort.c: option parsing (before the
 * key is looked up), LIMIT clamping, the no-sort shortcuts of lists and
 * sorted sets, strtod scores, the comparison (numeric ties broken by the
 * element's bytes; ALPHA compares as strcoll in the C locale, i.e. C
 * strings, except with STORE, where whole byte strings are compared), and
 * lookupKeyByPattern's key/field substitution.
 */
import { parseInt64 } from '../util/numbers.js';
import { copyBytes, sliceBytes } from '../util/bytes.js';

export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INT = 'ERR value is not an integer or out of range';
export const ERR_SCORES = "ERR One or more scores can't be converted into double";

/** The type of the sorted key (a missing key sorts as an empty list, as in Redis). */
export const enum SortKind {
  List = 0,
  Set = 1,
  ZSet = 2,
}

export interface SortOptions {
  desc: boolean;
  alpha: boolean;
  /** LIMIT, already parsed (defaults 0, -1); clamped to ±2^53, far beyond any length. */
  limitStart: number;
  limitCount: number;
  /** The BY pattern, or null. */
  by: Uint8Array | null;
  /** BY without '*': no sorting. */
  dontsort: boolean;
  gets: Uint8Array[];
  store: Uint8Array | null;
  /** The argument index of the STORE destination (0: none). */
  storeArg: number;
}

function is(a: Uint8Array, lower: string): boolean {
  if (a.length !== lower.length) return false;
  for (let i = 0; i < a.length; i++) {
    let c = a[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Length of `a` read as a C string (up to its first NUL), as strchr/strstr see it. */
function cLen(a: Uint8Array): number {
  const z = a.indexOf(0);
  return z < 0 ? a.length : z;
}

/** Whether a pattern has a '*' (a pattern without one names no key). */
export function hasStar(p: Uint8Array): boolean {
  const i = p.indexOf(42);
  return i >= 0 && i < cLen(p);
}

/** GET '#': the element itself. */
export function isHashPattern(p: Uint8Array): boolean {
  return p.length >= 1 && p[0] === 35 && (p.length === 1 || p[1] === 0);
}

function clampInt(v: number | bigint): number {
  if (typeof v === 'bigint') return v < 0n ? -(2 ** 53) : 2 ** 53;
  return v;
}

/**
 * Parses SORT's options (args[0] is the command name, args[1] the key) in
 * Redis's order. Returns the options or the error text. `readonly` (SORT_RO)
 * does not know STORE, which then is a syntax error.
 */
export function parseSortArgs(args: Uint8Array[], readonly: boolean): SortOptions | string {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, by: null, dontsort: false, gets: [], store: null, storeArg: 0 };
  const argc = args.length;
  for (let j = 2; j < argc; j++) {
    const a = args[j];
    const left = argc - j - 1;
    if (is(a, 'asc')) o.desc = false;
    else if (is(a, 'desc')) o.desc = true;
    else if (is(a, 'alpha')) o.alpha = true;
    else if (is(a, 'limit') && left >= 2) {
      const s = parseInt64(args[j + 1], 0, args[j + 1].length);
      if (s === null) return ERR_NOT_INT;
      const c = parseInt64(args[j + 2], 0, args[j + 2].length);
      if (c === null) return ERR_NOT_INT;
      o.limitStart = clampInt(s);
      o.limitCount = clampInt(c);
      j += 2;
    } else if (!readonly && is(a, 'store') && left >= 1) {
      o.storeArg = ++j;
      o.store = args[j];
    } else if (is(a, 'by') && left >= 1) {
      o.by = args[++j];
      // Redis keeps the last BY; only its '*' decides whether to sort.
      o.dontsort = !hasStar(o.by);
    } else if (is(a, 'get') && left >= 1) {
      o.gets.push(args[++j]);
    } else return ERR_SYNTAX;
  }
  return o;
}

/** The patterns of `o` that name keys (BY with '*', GET other than '#' with '*'). */
export function keyPatterns(o: SortOptions): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (o.by !== null && !o.dontsort) out.push(o.by);
  for (const g of o.gets) if (!isHashPattern(g) && hasStar(g)) out.push(g);
  return out;
}

/** What Redis actually does once the key's type is known. */
export interface SortEffective {
  dontsort: boolean;
  alpha: boolean;
  /** The BY pattern used for sorting (null: the element itself). */
  by: Uint8Array | null;
}

export function effective(o: SortOptions, kind: SortKind): SortEffective {
  // A set has no order of its own: with STORE, Redis sorts it ALPHA so that
  // what is stored (and replicated) is deterministic.
  if (o.dontsort && kind === SortKind.Set && o.store !== null) return { dontsort: false, alpha: true, by: null };
  return { dontsort: o.dontsort, alpha: o.alpha, by: o.dontsort ? null : o.by };
}

/**
 * Which elements to load and which of them to output. `native` is the
 * collection's length; lists and sorted sets that are not sorted load only
 * the LIMIT range (from `from`, `count` elements, towards the head when
 * `reverse`), then output all of what they loaded.
 */
export interface LoadPlan {
  from: number;
  count: number;
  reverse: boolean;
  /** Output range within the loaded (and sorted) vector. */
  start: number;
  end: number;
}

export function loadPlan(kind: SortKind, len: number, eff: SortEffective, desc: boolean, o: SortOptions): LoadPlan {
  let start = Math.min(Math.max(o.limitStart, 0), len);
  const count = Math.min(Math.max(o.limitCount, -1), len);
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  if (eff.dontsort && (kind === SortKind.List || kind === SortKind.ZSet)) {
    // Direct range load in the collection's order (reversed by DESC).
    const limited = start !== 0 || end !== len - 1;
    const n = limited ? end - start + 1 : len;
    if (kind === SortKind.List && end < start) return { from: 0, count: 0, reverse: false, start, end };
    const from = desc ? len - start - 1 : start;
    return { from, count: Math.max(n, 0), reverse: desc, start: 0, end: end - start };
  }
  return { from: 0, count: len, reverse: false, start, end };
}

// ---- scores and comparison ---------------------------------------------------------

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const hexVal = (c: number): number => (isDigit(c) ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);
const MIN_NORMAL = 2.2250738585072014e-308;

function matchWord(s: Uint8Array, i: number, end: number, w: string): boolean {
  if (end - i < w.length) return false;
  for (let k = 0; k < w.length; k++) if ((s[i + k] | 32) !== w.charCodeAt(k)) return false;
  return true;
}

/**
 * A sort score as Redis reads it: strtod over the C string, accepted only if
 * it consumed everything, did not overflow or underflow (ERANGE) and is not
 * NaN. Null means "can't be converted into double". An empty string is 0
 * (strtod consumes nothing and stops on the terminator).
 */
export function parseScore(s: Uint8Array): number | null {
  const end = cLen(s);
  if (end === 0) return 0;
  let i = 0;
  while (i < end && isSpace(s[i])) i++;
  let neg = false;
  if (i < end && (s[i] === 43 || s[i] === 45)) {
    neg = s[i] === 45;
    i++;
  }
  let v: number;
  if (matchWord(s, i, end, 'inf')) {
    i += matchWord(s, i, end, 'infinity') ? 8 : 3;
    v = Infinity;
  } else if (matchWord(s, i, end, 'nan')) {
    return null;
  } else if (s[i] === 48 && i + 1 < end && (s[i + 1] | 32) === 120 && (hexVal(s[i + 2]) >= 0 || (s[i + 2] === 46 && hexVal(s[i + 3]) >= 0))) {
    // Hexadecimal float: 0x mantissa [p exponent].
    i += 2;
    let m = 0;
    let scale = 0;
    let nonzero = false;
    while (i < end && hexVal(s[i]) >= 0) {
      m = m * 16 + hexVal(s[i]);
      if (s[i] !== 48) nonzero = true;
      i++;
    }
    if (i < end && s[i] === 46) {
      i++;
      while (i < end && hexVal(s[i]) >= 0) {
        m = m * 16 + hexVal(s[i]);
        if (s[i] !== 48) nonzero = true;
        scale -= 4;
        i++;
      }
    }
    if (i < end && (s[i] | 32) === 112) {
      let k = i + 1;
      let eneg = false;
      if (k < end && (s[k] === 43 || s[k] === 45)) eneg = s[k++] === 45;
      if (k < end && isDigit(s[k])) {
        let e = 0;
        while (k < end && isDigit(s[k])) e = Math.min(e * 10 + s[k++] - 48, 1e6);
        scale += eneg ? -e : e;
        i = k;
      }
    }
    v = m * Math.pow(2, scale);
    if (scale < -1000) v = m * Math.pow(2, -1000) * Math.pow(2, scale + 1000);
    // glibc reports ERANGE for a tiny result only when it is inexact.
    if (!Number.isFinite(v) || (nonzero && Math.abs(v) < MIN_NORMAL && !exactTiny(v, m, scale))) return null;
  } else {
    const from = i;
    let digits = 0;
    let nonzero = false;
    while (i < end && isDigit(s[i])) {
      if (s[i] !== 48) nonzero = true;
      i++;
      digits++;
    }
    if (i < end && s[i] === 46) {
      i++;
      while (i < end && isDigit(s[i])) {
        if (s[i] !== 48) nonzero = true;
        i++;
        digits++;
      }
    }
    if (digits === 0) return null; // nothing converted: strtod stops at the start
    if (i < end && (s[i] | 32) === 101) {
      let k = i + 1;
      if (k < end && (s[k] === 43 || s[k] === 45)) k++;
      if (k < end && isDigit(s[k])) {
        while (k < end && isDigit(s[k])) k++;
        i = k;
      }
    }
    v = Number(Buffer.from(s.buffer, s.byteOffset + from, i - from).toString('latin1'));
    if (!Number.isFinite(v) || (nonzero && Math.abs(v) < MIN_NORMAL)) return null; // ERANGE
  }
  if (i !== end) return null;
  return neg ? -v : v;
}

/** Whether m * 2^scale (tiny) was represented exactly as v. */
function exactTiny(v: number, m: number, scale: number): boolean {
  if (v === 0 || m > Number.MAX_SAFE_INTEGER) return false;
  let back = v;
  for (let k = -scale; k > 0; k -= 500) back *= Math.pow(2, Math.min(k, 500));
  return back === m;
}

/** memcmp, then length (Redis's compareStringObjects on raw strings). */
export function cmpBinary(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** strcmp (strcoll in the C locale): stops at the first NUL. */
export function cmpCString(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; ; i++) {
    const ca = i < a.length ? a[i] : 0;
    const cb = i < b.length ? b[i] : 0;
    if (ca !== cb) return ca - cb;
    if (ca === 0) return 0;
  }
}

export interface SortItem {
  el: Uint8Array;
  score: number;
  /** The BY value for ALPHA sorting by pattern (null: missing). */
  cmp: Uint8Array | null;
}

/**
 * Fills the items' sort keys. `byValues[i]` is item i's BY lookup (null for
 * a missing one) when sorting by a pattern. Returns false when a score can't
 * be converted (Redis still finishes loading, then replies the error).
 */
export function fillKeys(items: SortItem[], eff: SortEffective, byValues: (Uint8Array | null)[] | null): boolean {
  let ok = true;
  for (let j = 0; j < items.length; j++) {
    let v: Uint8Array | null;
    if (eff.by !== null) {
      v = byValues === null ? null : byValues[j];
      if (v === null) continue;
    } else v = items[j].el;
    if (eff.alpha) {
      if (eff.by !== null) items[j].cmp = v;
    } else {
      const s = parseScore(v);
      if (s === null) ok = false;
      else items[j].score = s;
    }
  }
  return ok;
}

/**
 * Sorts as Redis's sortCompare does. Array.prototype.sort is stable, like
 * glibc's qsort (a merge sort) that redis-server uses for a full sort; the
 * partial sort Redis uses for BY with LIMIT may order ALPHA ties differently
 * (docs/sort.md).
 */
export function sortItems(items: SortItem[], eff: SortEffective, desc: boolean, store: boolean): void {
  const sign = desc ? -1 : 1;
  let cmp: (a: SortItem, b: SortItem) => number;
  if (!eff.alpha) {
    cmp = (a, b) => (a.score > b.score ? 1 : a.score < b.score ? -1 : cmpBinary(a.el, b.el)) * sign;
  } else if (eff.by !== null) {
    const f = store ? cmpBinary : cmpCString;
    cmp = (a, b) => {
      if (a.cmp === null || b.cmp === null) return (a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1) * sign;
      return f(a.cmp, b.cmp) * sign;
    };
  } else {
    const f = store ? cmpBinary : cmpCString;
    cmp = (a, b) => f(a.el, b.el) * sign;
  }
  items.sort(cmp);
}

// ---- patterns ----------------------------------------------------------------------

export interface PatternKey {
  key: Uint8Array;
  /** The hash field after '->', or null for a string key. */
  field: Uint8Array | null;
}

/**
 * lookupKeyByPattern's substitution: the first '*' is replaced by the
 * element; "->field" after it (with a non-empty field) reads a hash field.
 * Null when the pattern has no '*' (nil, no key is read). '#' is the
 * caller's business.
 */
export function patternKey(p: Uint8Array, el: Uint8Array): PatternKey | null {
  const cl = cLen(p);
  const star = p.indexOf(42);
  if (star < 0 || star >= cl) return null;
  let f = -1;
  for (let i = star + 1; i + 1 < cl; i++) {
    if (p[i] === 45 && p[i + 1] === 62) {
      f = i;
      break;
    }
  }
  let fieldLen = 0;
  let field: Uint8Array | null = null;
  if (f >= 0 && f + 2 < cl) {
    fieldLen = p.length - f - 2;
    field = sliceBytes(p, f + 2, p.length - f - 2);
  }
  const postLen = p.length - (star + 1) - (fieldLen > 0 ? fieldLen + 2 : 0);
  const key = new Uint8Array(star + el.length + postLen);
  copyBytes(key, 0, p, 0, star);
  key.set(el, star);
  copyBytes(key, star + el.length, p, star + 1, postLen);
  return { key, field };
}

/** The bytes before the '*' of a key-naming pattern (its fixed prefix). */
export function patternPrefix(p: Uint8Array): Uint8Array {
  return p.subarray(0, p.indexOf(42));
}

/**
 * Whether every key the pattern names has its hash tag inside the fixed
 * prefix (then they all hash like the prefix alone): a '{' with a '}' after
 * it and something between, all before the '*'.
 */
export function prefixHasTag(prefix: Uint8Array): boolean {
  const s = prefix.indexOf(123);
  if (s < 0) return false;
  const e = prefix.indexOf(125, s + 1);
  return e > s + 1;
}
