import { describe, expect, it } from 'vitest';
import { LcsResult, lcs, lcsLength, lcsTableBytes } from '../../src/util/lcs.js';
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

  it('lcsLength agrees with lcs().length', () => {
    let s = 5;
    const rnd = (n: number) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % n;
    };
    for (let k = 0; k < 200; k++) {
      const a = new Uint8Array(rnd(40)).map(() => 97 + rnd(3));
      const b = new Uint8Array(rnd(40)).map(() => 97 + rnd(3));
      expect(lcsLength(a, b)).toBe(lcs(a, b).length);
    }
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

  it('handles a 2000 x 2000 input quickly', () => {
    const a = new Uint8Array(2000).map((_, i) => 97 + ((i * 7) % 5));
    const b = new Uint8Array(2000).map((_, i) => 97 + ((i * 3) % 5));
    const t0 = performance.now();
    const r = lcs(a, b);
    expect(r.length).toBe(lcsLength(a, b));
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
