/**
 * Glob-style matching with exactly the semantics of Redis 7.0's
 * stringmatchlen() (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET ...).
 *
 * Behaviour worth knowing, all reproduced on purpose (and checked against
 * redis-server 7.0.15):
 *  - `*` matches any run of bytes; consecutive stars collapse. The match is
 *    anchored at both ends. An EMPTY string is matched only by the empty
 *    pattern: the main loop never runs, so even "*" fails against "" (KEYS
 *    and SCAN special-case the exact pattern "*" before calling the matcher,
 *    so for them "*" does list the empty key but "**" does not).
 *  - `?` matches exactly one byte.
 *  - `[...]` a class: `^` right after `[` negates; `\x` is a literal x; `a-z` a
 *    range, whose ends are swapped when reversed (`[z-a]` == `[a-z]`); a `-`
 *    that cannot form a range is literal. An unterminated class runs to the
 *    end of the pattern and still matches as a class ("[abc" matches "a").
 *    Range bounds and the tested byte are compared as C `char`, i.e. SIGNED
 *    on x86-64: bytes 0x80..0xff sort before 0x00.
 *  - `\x` outside a class matches x literally; a trailing lone `\` matches a
 *    backslash.
 *  - nocase folds ASCII letters only (C locale tolower()).
 *  - Protection against abusive patterns, as in Redis: nesting of `*` deeper
 *    than 1000 fails the match, and once the rest of a pattern after a `*`
 *    has failed at every position of the remaining string, every enclosing
 *    `*` gives up too ("skipLongerMatches"). This keeps patterns such as
 *    "a*a*a*...*b" polynomial instead of exponential.
 *
 * Redis reads one byte past the end of the pattern in a few places (there it
 * is the sds NUL terminator); this implementation reads 0 there as well.
 */

const STAR = 0x2a;
const QMARK = 0x3f;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;

/** C locale tolower() on an int that may be a negative (signed char) value. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as a signed C char. */
function sc(b: number): number {
  return (b << 24) >> 24;
}

/**
 * Redis's *skipLongerMatches, shared by all recursion levels of one match.
 * Matching is synchronous and never re-entered, so a module variable does.
 */
let skipLongerMatches = false;

/** Calls of the matcher, one per position a `*` tries (tests check that abusive patterns stay polynomial). */
export const globStats = { calls: 0 };

function matchImpl(
  p: Uint8Array,
  pi: number,
  pLen: number,
  s: Uint8Array,
  si: number,
  sLen: number,
  nocase: boolean,
  nesting: number,
): boolean {
  // pEnd is fixed: every recursion works on a suffix of the same pattern, so
  // "one past the end" is the terminator of the original pattern.
  const pEnd = pi + pLen;
  globStats.calls++;
  if (nesting > 1000) return false;

  while (pLen > 0 && sLen > 0) {
    const pc = p[pi]!;
    if (pc === STAR) {
      while (pLen > 1 && p[pi + 1] === STAR) {
        pi++;
        pLen--;
      }
      if (pLen === 1) return true;
      while (sLen > 0) {
        if (matchImpl(p, pi + 1, pLen - 1, s, si, sLen, nocase, nesting + 1)) return true;
        if (skipLongerMatches) return false;
        si++;
        sLen--;
      }
      skipLongerMatches = true;
      return false;
    } else if (pc === QMARK) {
      si++;
      sLen--;
    } else if (pc === LBRACKET) {
      pi++;
      pLen--;
      const not = pLen > 0 && p[pi] === CARET;
      if (not) {
        pi++;
        pLen--;
      }
      const sc0 = s[si]!;
      let match = false;
      for (;;) {
        const c = pLen > 0 ? p[pi]! : 0;
        if (c === BACKSLASH && pLen >= 2) {
          pi++;
          pLen--;
          if (p[pi] === sc0) match = true;
        } else if (c === RBRACKET) {
          break;
        } else if (pLen === 0) {
          pi--;
          pLen++;
          break;
        } else if (pLen >= 3 && p[pi + 1] === DASH) {
          let start = sc(c);
          let end = sc(p[pi + 2]!);
          let ch = sc(sc0);
          if (start > end) {
            const t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = lower(start);
            end = lower(end);
            ch = lower(ch);
          }
          pi += 2;
          pLen -= 2;
          if (ch >= start && ch <= end) match = true;
        } else if (!nocase) {
          if (c === sc0) match = true;
        } else if (lower(c) === lower(sc0)) {
          match = true;
        }
        pi++;
        pLen--;
      }
      if (not) match = !match;
      if (!match) return false;
      si++;
      sLen--;
    } else {
      let c = pc;
      if (pc === BACKSLASH && pLen >= 2) {
        pi++;
        pLen--;
        c = p[pi]!;
      }
      const x = s[si]!;
      if (!nocase) {
        if (c !== x) return false;
      } else if (lower(c) !== lower(x)) {
        return false;
      }
      si++;
      sLen--;
    }
    pi++;
    pLen--;
    if (sLen === 0) {
      while (pi < pEnd && p[pi] === STAR) {
        pi++;
        pLen--;
      }
      break;
    }
  }
  return pLen === 0 && sLen === 0;
}

/**
 * Redis stringmatchlen(): does `str[sOff, sOff+sLen)` match the glob pattern
 * `pattern[pOff, pOff+pLen)`? `nocase` folds ASCII letters.
 */
export function globMatch(
  pattern: Uint8Array,
  pOff: number,
  pLen: number,
  str: Uint8Array,
  sOff: number,
  sLen: number,
  nocase: boolean,
): boolean {
  skipLongerMatches = false;
  return matchImpl(pattern, pOff, pLen, str, sOff, sLen, nocase, 0);
}

/** Convenience wrapper over whole arrays. */
export function globMatchBytes(pattern: Uint8Array, str: Uint8Array, nocase = false): boolean {
  return globMatch(pattern, 0, pattern.length, str, 0, str.length, nocase);
}
