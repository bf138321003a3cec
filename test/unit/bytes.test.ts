import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesCompare, bytesEqual, copyBytes, cString, matchesKeyword, sameBytes, sliceBytes } from '../../src/util/bytes.js';
import { assertProperty } from '../helpers/property.js';

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

describe('copyBytes and sliceBytes', () => {
  it('copies short and long runs and touches nothing else', () => {
    for (const n of [0, 1, 31, 32, 100]) {
      const src = Uint8Array.from({ length: n + 4 }, (_, i) => (i * 7 + 1) & 0xff);
      const d = new Uint8Array(n + 10);
      copyBytes(d, 5, src, 2, n);
      expect([...d.subarray(5, 5 + n)]).toEqual([...src.subarray(2, 2 + n)]);
      expect([...d.subarray(0, 5), ...d.subarray(5 + n)]).toEqual(new Array(10).fill(0));
    }
  });

  it('an empty copy of an empty source writes nothing (not even before the destination offset)', () => {
    const d = new Uint8Array(8).fill(9);
    copyBytes(d, 4, new Uint8Array(0), 0, 0);
    expect([...d]).toEqual(new Array(8).fill(9));
  });

  /** A memmove done one byte at a time, through a copy: the reference. */
  function reference(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
    const tmp = Array.from(src.subarray(srcOff, srcOff + len));
    for (let i = 0; i < len; i++) dst[dstOff + i] = tmp[i];
  }

  const layout = fc.record({
    size: fc.integer({ min: 0, max: 3000 }),
    srcShared: fc.boolean(),
    dstShared: fc.boolean(),
    sameView: fc.boolean(),
    a: fc.nat(),
    b: fc.nat(),
    c: fc.nat(),
    wholeSource: fc.boolean(),
  });

  it('equals a byte-by-byte memmove for plain and shared memory, any offsets, overlapping or whole-source', () => {
    assertProperty(
      fc.property(layout, ({ size, srcShared, dstShared, sameView, a, b, c, wholeSource }) => {
        const make = (shared: boolean, n: number): Uint8Array => {
          const u8 = shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
          for (let i = 0; i < n; i++) u8[i] = (i * 31 + n) & 0xff;
          return u8;
        };
        const dst = make(dstShared, size + 64);
        const src = sameView ? dst : wholeSource ? make(srcShared, size) : make(srcShared, size + 64);
        const len = wholeSource && !sameView ? size : c % (size + 1);
        const srcOff = wholeSource && !sameView ? 0 : a % (src.length - len + 1);
        const dstOff = b % (dst.length - len + 1);
        const expected = Uint8Array.from(dst);
        reference(expected, dstOff, sameView ? expected : src, srcOff, len);
        copyBytes(dst, dstOff, src, srcOff, len);
        expect(Buffer.compare(Buffer.from(dst), Buffer.from(expected))).toBe(0);
      }),
      400,
    );
  });

  it('sliceBytes gives an unshared copy that later writes to the source do not change', () => {
    for (const n of [0, 5, 511, 512, 5000]) {
      const src = new Uint8Array(new SharedArrayBuffer(n + 3));
      for (let i = 0; i < src.length; i++) src[i] = i & 0xff;
      const copy = sliceBytes(src, 3, n);
      expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
      expect([...copy]).toEqual([...src.subarray(3, 3 + n)]);
      src.fill(0);
      if (n > 0) expect(copy[n - 1]).toBe((n + 2) & 0xff);
    }
  });
});
