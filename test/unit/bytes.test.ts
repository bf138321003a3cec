import { describe, expect, it } from 'vitest';
import {
  asciiLowerEquals,
  asciiLowerEqualsStrict,
  bytesCompare,
  bytesEqual,
  latin1Bytes,
  toLatin1,
  toStr,
  utf8,
  utf8Const,
} from '../../src/util/bytes.js';

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
    const c = (x: string, y: string) => Math.sign(bytesCompare(latin1Bytes(x), 0, x.length, latin1Bytes(y), 0, y.length));
    expect(c('a', 'b')).toBe(-1);
    expect(c('b', 'a')).toBe(1);
    expect(c('ab', 'ab')).toBe(0);
    expect(c('ab', 'abc')).toBe(-1);
    expect(c('abc', 'ab')).toBe(1);
    expect(c('\u00ff', 'a')).toBe(1); // unsigned, unlike glob ranges
    expect(c('', '')).toBe(0);
  });
});

describe('asciiLowerEquals', () => {
  it('folds ASCII case', () => {
    const u = enc('xxEXyy');
    expect(asciiLowerEquals(u, 2, 2, 'ex')).toBe(true);
    expect(asciiLowerEquals(enc('Ex'), 0, 2, 'ex')).toBe(true);
    expect(asciiLowerEquals(enc('ex'), 0, 2, 'px')).toBe(false);
    expect(asciiLowerEquals(enc('exx'), 0, 3, 'ex')).toBe(false);
    expect(asciiLowerEquals(enc('e'), 0, 1, 'ex')).toBe(false);
    expect(asciiLowerEquals(enc('WITHSCORES'), 0, 10, 'withscores')).toBe(true);
    // only A-Z fold: '@' (0x40) and '[' (0x5b) are not '`' / '{'
    expect(asciiLowerEquals(enc('@'), 0, 1, '`')).toBe(false);
    expect(asciiLowerEquals(enc('['), 0, 1, '{')).toBe(false);
  });
  it('treats the argument as a C string, like strcasecmp in Redis', () => {
    // SET k v "NX\0zz" is accepted as NX by redis-server 7.0.15 (verified).
    const u = latin1Bytes('NX\u0000zz');
    expect(asciiLowerEquals(u, 0, u.length, 'nx')).toBe(true);
    expect(asciiLowerEqualsStrict(u, 0, u.length, 'nx')).toBe(false);
    expect(asciiLowerEqualsStrict(enc('Nx'), 0, 2, 'nx')).toBe(true);
  });
});

describe('utf8 / toStr / latin1', () => {
  it('encodes and decodes', () => {
    expect(Array.from(utf8('ab'))).toEqual([97, 98]);
    expect(Array.from(utf8('é'))).toEqual([0xc3, 0xa9]);
    const long = 'x'.repeat(100) + '€';
    expect(toStr(utf8(long), 0, utf8(long).length)).toBe(long);
    const u = utf8('--héllo--');
    expect(toStr(u, 2, 6)).toBe('héllo');
    expect(toStr(new Uint8Array([0xff]), 0, 1)).toBe('\ufffd');
  });
  it('utf8Const memoises', () => {
    expect(utf8Const('OK')).toBe(utf8Const('OK'));
    expect(Array.from(utf8Const('OK'))).toEqual([79, 75]);
  });
  it('latin1 round-trips every byte', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const s = toLatin1(all, 0, 256);
    expect(s.length).toBe(256);
    expect(Array.from(latin1Bytes(s))).toEqual(Array.from(all));
    expect(toLatin1(all, 250, 3)).toBe('\u00fa\u00fb\u00fc');
  });
});
