import { describe, expect, it } from 'vitest';
import { LcsResult, lcs, lcsTableBytes } from '../../src/util/lcs.js';
import { L, fixtures } from './util-fixtures.js';

const str = (u: Uint8Array) => Buffer.from(u).toString('latin1');

/** The RESP2 reply of LCS a b IDX MINMATCHLEN m WITHMATCHLEN, as ioredis returns it (numbers as strings). */
function idxReply(r: LcsResult): unknown {
  return [
    'matches',
    r.matches.map((x) => [[String(x.a[0]), String(x.a[1])], [String(x.b[0]), String(x.b[1])], String(x.len)]),
    'len',
    String(r.length),
  ];
}

describe('lcs', () => {
  // Replies verified with LCS on redis-server 7.0.15.
  it('the documentation example', () => {
    const r = lcs(L('ohmytext'), L('mynewtext'));
    expect(str(r.string)).toBe('mytext');
    expect(r.length).toBe(6);
    // LCS a b IDX → matches [[4,7],[5,8]], [[2,3],[0,1]] (from the end backwards)
    expect(r.matches.map((m) => [m.a, m.b, m.len])).toEqual([
      [[4, 7], [5, 8], 4],
      [[2, 3], [0, 1], 2],
    ]);
    // MINMATCHLEN 4 keeps only the first
    expect(lcs(L('ohmytext'), L('mynewtext'), 4).matches).toEqual([{ a: [4, 7], b: [5, 8], len: 4 }]);
    // negative MINMATCHLEN is clamped to 0: no filtering
    expect(lcs(L('ohmytext'), L('mynewtext'), -5).matches.length).toBe(2);
  });

  it('empty inputs', () => {
    for (const [a, b] of [['', ''], ['abc', ''], ['', 'abc'], ['abc', 'xyz']]) {
      const r = lcs(L(a!), L(b!));
      expect(r.length).toBe(0);
      expect(r.string.length).toBe(0);
      expect(r.matches).toEqual([]);
    }
  });

  it('wantMatches=false skips the ranges', () => {
    const r = lcs(L('ohmytext'), L('mynewtext'), 0, false);
    expect(str(r.string)).toBe('mytext');
    expect(r.matches).toEqual([]);
  });

  it('table size as Redis computes it', () => {
    expect(lcsTableBytes(1000, 1000)).toBe(1001 * 1001 * 4);
    // Redis 7.0: 1000x1000 strings with proto-max-bulk-len 1mb → "Insufficient memory ..." (verified)
    expect(lcsTableBytes(1000, 1000)).toBeGreaterThan(1024 * 1024);
  });

  it(`matches redis ${fixtures.redisVersion} on ${fixtures.lcs.cases.length} recorded inputs`, () => {
    const bad: unknown[] = [];
    for (const [a, b, m, plain, idx] of fixtures.lcs.cases) {
      const r = lcs(L(a), L(b), m);
      if (str(r.string) !== plain || JSON.stringify(idxReply(r)) !== JSON.stringify(idx)) bad.push([a, b, m, plain, idx, str(r.string), idxReply(r)]);
    }
    expect(bad).toEqual([]);
  });

  it('finds the LCS of 2000 x 2000 inputs', () => {
    // (ab)^1000 and a^1000 b^1000: a common subsequence a^p b^q needs q <= 1001 - p, so the LCS has 1001 bytes.
    const a = L('ab'.repeat(1000));
    const b = L('a'.repeat(1000) + 'b'.repeat(1000));
    const r = lcs(a, b);
    expect(r.length).toBe(1001);
    expect(r.string.length).toBe(1001);
    expect(isSubsequence(r.string, a) && isSubsequence(r.string, b)).toBe(true);
    // Equal strings: the LCS is the whole string, one range covering both.
    const c = new Uint8Array(2000).map((_, i) => 97 + ((i * 7) % 5));
    const same = lcs(c, c.slice());
    expect(str(same.string)).toBe(str(c));
    expect(same.matches).toEqual([{ a: [0, 1999], b: [0, 1999], len: 2000 }]);
  });
});

function isSubsequence(sub: Uint8Array, of: Uint8Array): boolean {
  let j = 0;
  for (let i = 0; i < of.length && j < sub.length; i++) if (of[i] === sub[j]) j++;
  return j === sub.length;
}
