import { describe, expect, it } from 'vitest';
import { BINARY64, FloatKind, X87_EXTENDED, bitLength, decimalToBinary, hexToBinary, roundToFormat, scanFloat } from '../../src/util/strtod.js';
import { L } from './util-fixtures.js';

const scan = (s: string) => {
  const u = L(s);
  return scanFloat(u, 0, u.length);
};

describe('bitLength', () => {
  it('is exact around word boundaries', () => {
    expect(bitLength(0n)).toBe(0);
    for (let k = 0; k < 300; k++) {
      const p = 1n << BigInt(k);
      expect(bitLength(p)).toBe(k + 1);
      if (k > 0) expect(bitLength(p - 1n)).toBe(k);
      expect(bitLength(p + 1n)).toBe(k === 0 ? 2 : k + 1);
    }
  });
});

describe('scanFloat', () => {
  it('normalises digits and exponents', () => {
    expect(scan('00120.500e2')).toEqual({ neg: false, kind: FloatKind.Decimal, digits: '1205', exp: 1 });
    expect(scan('-0.0')).toEqual({ neg: true, kind: FloatKind.Decimal, digits: '', exp: 0 });
    expect(scan('0x0.01p4')).toEqual({ neg: false, kind: FloatKind.Hex, digits: '1', exp: -4 });
    expect(scan('0x100')).toEqual({ neg: false, kind: FloatKind.Hex, digits: '1', exp: 8 });
    expect(scan('+Infinity')?.kind).toBe(FloatKind.Inf);
    expect(scan('nan(abc_1)')?.kind).toBe(FloatKind.Nan);
    expect(scan('1e99999999999999999999')?.exp).toBe(1_000_000_000);
  });
  it('rejects partial literals', () => {
    for (const s of ['', '+', '.', 'e1', '1e', '1e+', '0x', '0xg', '0x1p', '1..2', '1.2.3', 'inff', 'nan(', 'nan(a b)', ' 1', '1 ', '--1']) {
      expect([s, scan(s)]).toEqual([s, null]);
    }
  });
});

describe('binary rounding', () => {
  it('rounds half to even', () => {
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins
    expect(roundToFormat((1n << 53n) + 1n, 0, false, BINARY64)).toEqual({ m: 1n << 52n, e: 1 });
    // ... unless something non-zero lies below (sticky)
    expect(roundToFormat(((1n << 53n) + 1n) << 4n, -4, true, BINARY64)).toEqual({ m: (1n << 52n) + 1n, e: 1 });
    expect(roundToFormat((1n << 53n) + 3n, 0, false, BINARY64)).toEqual({ m: (1n << 52n) + 2n, e: 1 });
  });
  it('agrees with V8 for decimal → double', () => {
    for (const s of ['0.1', '1e23', '8.98846567431158e307', '2.2250738585072011e-308', '4.9e-324', '123456789012345678901234567890', '1.7976931348623157e308']) {
      const sc = scan(s)!;
      const r = decimalToBinary(sc.digits, sc.exp, BINARY64)!;
      expect(Number(r.m) * 2 ** Math.trunc(r.e / 2) * 2 ** (r.e - Math.trunc(r.e / 2))).toBe(Number(s));
    }
    expect(decimalToBinary('18', 307, BINARY64)).toBe(null); // 1.8e308 overflows
    expect(decimalToBinary('2', -324, BINARY64)?.m).toBe(0n); // underflows to 0
  });
  it('extended precision keeps 64 bits', () => {
    expect(hexToBinary('ffffffffffffffff', 0, X87_EXTENDED)).toEqual({ m: 0xffffffffffffffffn, e: 0 });
    expect(hexToBinary('1ffffffffffffffff', 0, X87_EXTENDED)).toEqual({ m: 1n << 63n, e: 2 });
    expect(hexToBinary('1', 16384, X87_EXTENDED)).toBe(null);
  });
});
