import { describe, expect, it } from 'vitest';
import {
  INT64_MAX,
  INT64_MIN,
  addInt64Checked,
  formatDouble17g,
  parseDouble,
  parseDoubleLoose,
  parseInt64,
} from '../../src/util/numbers.js';
import { L, fixtures } from './util-fixtures.js';

const i64 = (s: string) => {
  const u = L(s);
  return parseInt64(u, 0, u.length);
};
const dbl = (s: string) => {
  const u = L(s);
  return parseDouble(u, 0, u.length);
};
const loose = (s: string) => {
  const u = L(s);
  return parseDoubleLoose(u, 0, u.length);
};

describe('parseInt64 (string2ll)', () => {
  // Accept/reject verified with INCRBY on redis-server 7.0.15.
  it('accepts canonical integers', () => {
    expect(i64('0')).toBe(0);
    expect(i64('1')).toBe(1);
    expect(i64('-1')).toBe(-1);
    expect(i64('9223372036854775807')).toBe(INT64_MAX);
    expect(i64('-9223372036854775808')).toBe(INT64_MIN);
    expect(i64('1234567890123456789')).toBe(1234567890123456789n);
    expect(i64('9007199254740993')).toBe(9007199254740993n);
  });

  it('rejects everything else', () => {
    for (const s of ['', '-', '+1', '-0', '00', '01', '-00', ' 1', '1 ', '1\u0000', '1.0', '1e3', '0x10', '9223372036854775808', '-9223372036854775809', '18446744073709551616', '99999999999999999999', '123456789012345678901', '00000000000000000001']) {
      expect([s, i64(s)]).toEqual([s, null]);
    }
  });

  it('returns numbers within the safe range, bigints beyond it', () => {
    expect(i64('-42')).toBe(-42);
    expect(i64('123456789012345')).toBe(123456789012345);
    expect(i64('1234567890123456')).toBe(1234567890123456);
    expect(i64('9007199254740991')).toBe(9007199254740991);
    expect(i64('-9007199254740991')).toBe(-9007199254740991);
    expect(i64('9007199254740992')).toBe(9007199254740992n);
    expect(i64('-9007199254740992')).toBe(-9007199254740992n);
    expect(i64('9999999999999999')).toBe(9999999999999999n);
  });

  it('honours offset and length', () => {
    const u = L('xx-123yy');
    expect(parseInt64(u, 2, 4)).toBe(-123);
    expect(parseInt64(u, 2, 5)).toBe(null);
  });

  it(`matches INCRBY of redis ${fixtures.redisVersion} on ${fixtures.parseInt64.cases.length} recorded inputs`, () => {
    const bad: unknown[] = [];
    for (const [s, expected] of fixtures.parseInt64.cases) {
      const got = i64(s);
      if ((got === null ? null : String(got)) !== expected) bad.push([s, expected, got]);
      if (got !== null && (typeof got === 'number') !== Number.isSafeInteger(Number(expected))) bad.push(['number or bigint', s, got]);
    }
    expect(bad).toEqual([]);
  });
});

describe('addInt64Checked', () => {
  it('adds within range and refuses overflow', () => {
    expect(addInt64Checked(1n, 2n)).toBe(3);
    expect(addInt64Checked(INT64_MAX, 0n)).toBe(INT64_MAX);
    expect(addInt64Checked(INT64_MAX, 1n)).toBe(null);
    expect(addInt64Checked(INT64_MIN, -1n)).toBe(null);
    expect(addInt64Checked(1n, INT64_MIN)).toBe(-9223372036854775807n);
    expect(addInt64Checked(-1, INT64_MIN)).toBe(null); // INCRBY -1 by min: overflow (verified)
    expect(addInt64Checked(INT64_MAX, INT64_MIN)).toBe(-1);
  });
  it('answers a number while the sum is a safe integer, a bigint beyond', () => {
    expect(addInt64Checked(1, 2)).toBe(3);
    expect(addInt64Checked(-5, 2)).toBe(-3);
    expect(addInt64Checked(Number.MAX_SAFE_INTEGER, 1)).toBe(9007199254740992n);
    expect(addInt64Checked(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toBe(18014398509481982n);
    expect(addInt64Checked(9007199254740992n, -1)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('parseDouble (string2d)', () => {
  // Verified with ZADD/ZSCORE on redis-server 7.0.15.
  it('accepts strtod literals', () => {
    expect(dbl('1')).toBe(1);
    expect(dbl('1.5')).toBe(1.5);
    expect(dbl('.5')).toBe(0.5);
    expect(dbl('5.')).toBe(5);
    expect(dbl('+5')).toBe(5);
    expect(dbl('1e5')).toBe(100000);
    expect(dbl('1E+05')).toBe(100000);
    expect(dbl('00012')).toBe(12);
    expect(dbl('0x10')).toBe(16);
    expect(dbl('0x1p3')).toBe(8);
    expect(dbl('-0x.8')).toBe(-0.5);
    expect(dbl('0X1P-1074')).toBe(5e-324);
    expect(dbl('inf')).toBe(Infinity);
    expect(dbl('+inf')).toBe(Infinity);
    expect(dbl('-inf')).toBe(-Infinity);
    expect(dbl('-Infinity')).toBe(-Infinity);
    expect(Object.is(dbl('-0'), -0)).toBe(true);
    expect(dbl('1e-320')).toBe(1e-320);
    expect(dbl('3e-324')).toBe(5e-324);
    expect(dbl('1.7976931348623157e308')).toBe(1.7976931348623157e308);
    expect(dbl('0e999999999')).toBe(0);
  });

  it('has no length limit (string2ld has one)', () => {
    expect(dbl('0'.repeat(6000) + '1.5')).toBe(1.5);
  });

  it('rejects the rest', () => {
    for (const s of ['', ' 1', '1 ', '\t1', '1\u0000', '\u0000', 'nan', 'NaN', '-nan', 'nan(1)', 'infi', '0x', '0x.p1', '0x1p', '1e', '1e+', '.', '-', '1_0', '0b1', '1e400', '-1e400', '1e-400', '2e-324', '1.7976931348623159e308', '0x1p1024', '0x1p-1076']) {
      expect([s, dbl(s)]).toEqual([s, null]);
    }
  });

  it(`matches ZADD/ZSCORE of redis ${fixtures.redisVersion} on ${fixtures.parseDouble.cases.length} recorded inputs`, () => {
    const bad: unknown[] = [];
    for (const [s, expected] of fixtures.parseDouble.cases) {
      const v = dbl(s);
      const got = v === null ? null : formatDouble17g(v);
      if (got !== expected) bad.push([s, expected, got]);
    }
    expect(bad).toEqual([]);
  });
});

describe('parseDoubleLoose (zslParseRange strtod)', () => {
  // Verified with ZCOUNT on redis-server 7.0.15.
  it('is what ZRANGEBYSCORE accepts', () => {
    expect(loose('')).toBe(0);
    expect(loose('1\u0000junk')).toBe(1);
    expect(loose(' 1')).toBe(1);
    expect(loose('1e400')).toBe(Infinity);
    expect(loose('1e-400')).toBe(0);
    expect(loose(' ')).toBe(null);
    expect(loose('1 ')).toBe(null);
    expect(loose('nan')).toBe(null);
    expect(loose('abc')).toBe(null);
  });

  it(`matches ZCOUNT of redis ${fixtures.redisVersion} on ${fixtures.parseDoubleLoose.cases.length} recorded inputs`, () => {
    const bad: unknown[] = [];
    for (const [s, accepted] of fixtures.parseDoubleLoose.cases) {
      // Redis strips one leading '(' (exclusive bound) before strtod.
      const arg = s.startsWith('(') ? s.slice(1) : s;
      if ((loose(arg) !== null) !== accepted) bad.push([s, accepted]);
    }
    expect(bad).toEqual([]);
  });
});

function fromBits(hex: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt('0x' + hex));
  return dv.getFloat64(0);
}

describe('formatDouble17g', () => {
  // Verified with ZSCORE (skiplist encoding) on redis-server 7.0.15.
  it('prints like printf("%.17g")', () => {
    const cases: Array<[number, string]> = [
      [1, '1'],
      [-1, '-1'],
      [0, '0'],
      [-0, '-0'],
      [0.1, '0.10000000000000001'],
      [0.3, '0.29999999999999999'],
      [1e20, '1e+20'],
      [1e21, '1e+21'],
      [1e-5, '1.0000000000000001e-05'],
      [2.5e-5, '2.5000000000000001e-05'],
      [1e-4, '0.0001'],
      [0.0001234, '0.00012339999999999999'],
      [1e-7, '9.9999999999999995e-08'],
      [1e15, '1000000000000000'],
      [1e16, '10000000000000000'],
      [1e17, '1e+17'],
      [123.456, '123.456'],
      [-2.5, '-2.5'],
      [3.14159, '3.1415899999999999'],
      [12345678901234567890, '1.2345678901234567e+19'],
      [123456789012345.6, '123456789012345.59'],
      [9007199254740992, '9007199254740992'],
      [5e-324, '4.9406564584124654e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      // an exact tie at the 17th digit: glibc rounds half to even
      [0.00100040435791015625, '0.0010004043579101562'],
    ];
    for (const [x, s] of cases) expect([x, formatDouble17g(x)]).toEqual([x, s]);
  });

  it('prints NaN as glibc does', () => {
    expect(formatDouble17g(NaN)).toMatch(/^-?nan$/);
  });

  it(`matches ZSCORE of redis ${fixtures.redisVersion} on ${fixtures.format17g.cases.length} recorded doubles`, () => {
    const bad: unknown[] = [];
    for (const [bits, expected] of fixtures.format17g.cases) {
      const x = fromBits(bits);
      if (formatDouble17g(x) !== expected) bad.push([bits, x, expected, formatDouble17g(x)]);
    }
    expect(bad).toEqual([]);
  });

  it('round-trips: the 17 digits always parse back to the same double', () => {
    const dv = new DataView(new ArrayBuffer(8));
    let s = 99;
    for (let i = 0; i < 2000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      dv.setUint32(0, s);
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      dv.setUint32(4, s);
      const x = dv.getFloat64(0);
      if (!Number.isFinite(x)) continue;
      expect(Number(formatDouble17g(x))).toBe(x);
    }
  });
});
