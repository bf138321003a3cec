import { describe, expect, it } from 'vitest';
import { bytesCompare, bytesEqual, cString, matchesKeyword, sameBytes } from '../../src/util/bytes.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('bytesEqual', () => {
  it('compares views', () => {
    const a = enc('xxhelloyy');
    const b = enc('hello');
    expect(bytesEqual(a, 2, 5, b, 0, 5)).toBe(true);
    expect(bytesEqual(a, 2, 4, b, 0, 5)).toBe(false);
    expect(bytesEqual(a, 1, 5, b, 0, 5)).toBe(false);
    expect(bytesEqual(a, 0, 0, b, 3, 0)).toBe(true);
    expect(bytesEqual(a, 2, 5, a, 2, 5)).toBe(true);
  });
  it('long views', () => {
    const a = new Uint8Array(300).map((_, i) => i & 0xff);
    const b = new Uint8Array(310);
    b.set(a, 10);
    expect(bytesEqual(a, 0, 300, b, 10, 300)).toBe(true);
    b[200] ^= 1;
    expect(bytesEqual(a, 0, 300, b, 10, 300)).toBe(false);
  });
});

describe('bytesCompare (sdscmp)', () => {
  it('orders by unsigned bytes then length', () => {
    const c = (x: string, y: string) => Math.sign(bytesCompare(Buffer.from(x, 'latin1'), 0, x.length, Buffer.from(y, 'latin1'), 0, y.length));
    expect(c('a', 'b')).toBe(-1);
    expect(c('b', 'a')).toBe(1);
    expect(c('ab', 'ab')).toBe(0);
    expect(c('ab', 'abc')).toBe(-1);
    expect(c('abc', 'ab')).toBe(1);
    expect(c('\u00ff', 'a')).toBe(1); // unsigned, unlike glob ranges
    expect(c('', '')).toBe(0);
  });
});

describe('sameBytes', () => {
  it('compares n bytes at two offsets', () => {
    const a = enc('xxhelloyy');
    expect(sameBytes(a, 2, enc('hello'), 0, 5)).toBe(true);
    expect(sameBytes(a, 2, enc('help'), 0, 4)).toBe(false);
    expect(sameBytes(a, 0, a, 7, 0)).toBe(true);
  });
});

describe('matchesKeyword', () => {
  it('folds ASCII case', () => {
    const u = enc('xxEXyy');
    expect(matchesKeyword(u, 2, 2, 'ex')).toBe(true);
    expect(matchesKeyword(enc('Ex'), 0, 2, 'ex')).toBe(true);
    expect(matchesKeyword(enc('ex'), 0, 2, 'px')).toBe(false);
    expect(matchesKeyword(enc('exx'), 0, 3, 'ex')).toBe(false);
    expect(matchesKeyword(enc('e'), 0, 1, 'ex')).toBe(false);
    expect(matchesKeyword(enc('WITHSCORES'), 0, 10, 'withscores')).toBe(true);
    // only A-Z fold: '@' (0x40) and '[' (0x5b) are not '`' / '{'
    expect(matchesKeyword(enc('@'), 0, 1, '`')).toBe(false);
    expect(matchesKeyword(enc('['), 0, 1, '{')).toBe(false);
  });
  it('needs the whole argument, NUL bytes included', () => {
    const u = Buffer.from('NX\u0000zz', 'latin1');
    expect(matchesKeyword(u, 0, u.length, 'nx')).toBe(false);
  });
});

describe('cString', () => {
  it('ends a string at its first NUL', () => {
    expect(cString('ab\u0000cd')).toBe('ab');
    expect(cString('abc')).toBe('abc');
  });
});
