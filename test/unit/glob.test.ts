import { describe, expect, it } from 'vitest';
import { globMatch, globMatchBytes, globStats } from '../../src/util/glob.js';
import { L, fixtures } from './util-fixtures.js';

const m = (p: string, s: string, nocase = false) => globMatchBytes(L(p), L(s), nocase);

describe('globMatch basics', () => {
  // All expectations below were checked with KEYS on redis-server 7.0.15 (nocase ones
  // with COMMAND LIST FILTERBY PATTERN; "*" vs "" with PSUBSCRIBE, as KEYS short-circuits "*").
  it('literals and ?', () => {
    expect(m('hello', 'hello')).toBe(true);
    expect(m('hello', 'hell')).toBe(false);
    expect(m('hell', 'hello')).toBe(false);
    expect(m('h?llo', 'hallo')).toBe(true);
    expect(m('h?llo', 'hllo')).toBe(false);
    expect(m('??', 'a')).toBe(false);
    expect(m('', '')).toBe(true);
    expect(m('', 'a')).toBe(false);
  });

  it('stars', () => {
    expect(m('h*llo', 'hllo')).toBe(true);
    expect(m('h*llo', 'heeeello')).toBe(true);
    expect(m('*', 'anything')).toBe(true);
    expect(m('a**', 'a')).toBe(true); // trailing stars are skipped once the string is consumed
    expect(m('a**', 'ab')).toBe(true);
    expect(m('***a', 'bba')).toBe(true);
    expect(m('*:1', 'user:1')).toBe(true);
    // With an empty string the matcher never runs: even "*" fails. KEYS and SCAN special-case
    // "*"; PSUBSCRIBE does not: verified that PSUBSCRIBE * gets nothing for PUBLISH "" (7.0.15).
    expect(m('*', '')).toBe(false);
    expect(m('**', '')).toBe(false);
  });

  it('classes', () => {
    expect(m('h[ae]llo', 'hello')).toBe(true);
    expect(m('h[ae]llo', 'hillo')).toBe(false);
    expect(m('h[^e]llo', 'hallo')).toBe(true);
    expect(m('h[^e]llo', 'hello')).toBe(false);
    expect(m('h[a-b]llo', 'hbllo')).toBe(true);
    expect(m('h[b-a]llo', 'hallo')).toBe(true); // reversed range
    expect(m('[z-a]', 'q')).toBe(true);
    expect(m('[a-]', '-')).toBe(false); // "a-]" is the range ']'..'a' and the class is unterminated
    expect(m('[a-]', ']')).toBe(true);
    expect(m('[-a]', '-')).toBe(true);
    expect(m('h[\\]]llo', 'h]llo')).toBe(true);
    expect(m('h[\\^]llo', 'h^llo')).toBe(true);
    expect(m('[]]', ']')).toBe(false); // "[]" is an empty class, then a literal ']'
    expect(m('[]', '')).toBe(false);
  });

  it('unterminated classes behave as Redis', () => {
    expect(m('h[', 'h')).toBe(false);
    expect(m('[', '[')).toBe(false);
    expect(m('[^', 'x')).toBe(true); // negated empty class matches any one byte
    expect(m('[abc', 'b')).toBe(true);
    expect(m('[\\', '\\')).toBe(true);
  });

  it('escapes', () => {
    expect(m('h\\*llo', 'h*llo')).toBe(true);
    expect(m('h\\*llo', 'hxllo')).toBe(false);
    expect(m('\\a\\b', 'ab')).toBe(true);
    expect(m('ab\\', 'ab\\')).toBe(true); // a trailing backslash is literal
    expect(m('\\', '\\')).toBe(true);
  });

  it('compares range bounds as signed chars, like Redis on x86-64', () => {
    // [a-\xff]: bounds 97 and -1 get swapped to -1..97, so 'b' is out and '0' is in.
    expect(m('[a-\u00ff]', 'b')).toBe(false);
    expect(m('[a-\u00ff]', '0')).toBe(true);
    expect(m('[a-\u00ff]', '\u00ff')).toBe(true);
    expect(m('[a-\u00ff]', '\u00f0')).toBe(false); // -16 < -1
    expect(m('[\u0080-\u00ff]', '\u00e9')).toBe(true);
    expect(m('[\u0080-\u00ff]', 'a')).toBe(false);
  });

  it('binary bytes including NUL', () => {
    expect(m('a\u0000b', 'a\u0000b')).toBe(true);
    expect(m('*\u0000*', 'x\u0000y')).toBe(true);
    expect(m('a?b', 'a\u0000b')).toBe(true);
  });

  it('nocase folds ASCII letters only', () => {
    expect(m('HELLO', 'hello', true)).toBe(true);
    expect(m('h[A-E]llo', 'hello', true)).toBe(true);
    expect(m('[Z-a]', 'q', true)).toBe(false); // bounds folded after swapping: 'z'..'a' is empty
    expect(m('\u00c9', '\u00e9', true)).toBe(false);
    expect(m('HELLO', 'hello', false)).toBe(false);
  });

  it('respects offsets and lengths', () => {
    const p = L('xxh*oyy');
    const s = L('--hello--');
    expect(globMatch(p, 2, 3, s, 2, 5, false)).toBe(true);
    expect(globMatch(p, 2, 3, s, 2, 6, false)).toBe(false);
    // a '*' just past the pattern view must not be consumed
    const p2 = L('ab*');
    expect(globMatch(p2, 0, 2, L('ab'), 0, 2, false)).toBe(true);
    expect(globMatch(p2, 0, 2, L('abc'), 0, 3, false)).toBe(false);
  });
});

describe('globMatch against abusive patterns', () => {
  it('answers a 100-star pattern against a long string with polynomial work', () => {
    // Without Redis's skipLongerMatches these take exponentially many tries. With it, each star's
    // first try goes one level deeper, only the innermost star walks the string, and its failure
    // ends every enclosing star: about one call per byte of the string.
    const cases: Array<[string, string, boolean]> = [
      ['a*'.repeat(100) + 'b', 'a'.repeat(5000), false],
      ['*a'.repeat(100) + '*c', 'ab'.repeat(3000), false],
      ['a*'.repeat(100) + 'b', 'a'.repeat(5000) + 'b', true],
    ];
    for (const [pattern, str, matches] of cases) {
      globStats.calls = 0;
      expect(globMatchBytes(L(pattern), L(str))).toBe(matches);
      expect(globStats.calls).toBeLessThanOrEqual(str.length + 101);
    }
  });

  it('applies the nesting limit of 1000 stars like Redis', () => {
    // Verified with KEYS on redis-server 7.0.15.
    const a3000 = L('a'.repeat(3000));
    expect(globMatchBytes(L('*a'.repeat(1000)), a3000)).toBe(true);
    expect(globMatchBytes(L('*a'.repeat(1001)), a3000)).toBe(false);
    expect(globMatchBytes(L('a*'.repeat(1001)), a3000)).toBe(true);
    expect(globMatchBytes(L('*a'.repeat(1001) + '*'), a3000)).toBe(false);
    expect(globMatchBytes(L('*a'.repeat(999) + '*'), a3000)).toBe(true);
    expect(globMatchBytes(L('*'.repeat(2000) + 'b'), L('a'.repeat(2000) + 'b'))).toBe(true);
  });
});

describe(`globMatch vs KEYS of redis ${fixtures.redisVersion}`, () => {
  it(`${fixtures.glob.cases.length} patterns x ${fixtures.glob.keys.length} keys`, () => {
    const keys = fixtures.glob.keys.map(L);
    const bad: unknown[] = [];
    for (const [pat, expected] of fixtures.glob.cases) {
      const p = L(pat);
      const got: number[] = [];
      keys.forEach((k, i) => {
        if (globMatch(p, 0, p.length, k, 0, k.length, false)) got.push(i);
      });
      if (got.join() !== expected.join()) bad.push([pat, expected, got]);
    }
    expect(bad).toEqual([]);
  });

  it('nocase: COMMAND LIST FILTERBY PATTERN', () => {
    const names = fixtures.globNocase.names;
    for (const [pat, expected] of fixtures.globNocase.cases) {
      const p = L(pat);
      const got = names.filter((n) => globMatch(p, 0, p.length, L(n), 0, n.length, true));
      expect([pat, got]).toEqual([pat, expected]);
    }
  });
});
