import { describe, expect, it } from 'vitest';
import {
  LD_ZERO,
  LongDouble,
  ldAdd,
  ldFormatHuman,
  ldIsFinite,
  ldParse,
  ldToNumber,
} from '../../src/util/longdouble.js';
import { L, fixtures } from './util-fixtures.js';

const P = (s: string): LongDouble | null => {
  const u = L(s);
  return ldParse(u, 0, u.length);
};

/** The long double holding exactly the double x, parsed from x's hex literal (every double is representable). */
function D(x: number): LongDouble {
  if (!Number.isFinite(x)) return P(x > 0 ? 'inf' : '-inf')!;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, Math.abs(x));
  const bits = dv.getBigUint64(0);
  const bexp = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  const m = bexp === 0 ? frac : frac | (1n << 52n);
  const e = bexp === 0 ? -1074 : bexp - 1075;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return P(`${sign}0x${m.toString(16)}p${e}`)!;
}

/** INCRBYFLOAT as Redis 7.0 runs it: stored (null = missing key) + increment. */
function incrByFloat(stored: string | null, incr: string): string {
  const cur = stored === null ? LD_ZERO : P(stored);
  const inc = P(incr);
  if (cur === null || inc === null) return 'ERR value is not a valid float';
  const sum = ldAdd(cur, inc);
  if (!ldIsFinite(sum)) return 'ERR increment would produce NaN or Infinity';
  return ldFormatHuman(sum);
}

describe('long double INCRBYFLOAT model', () => {
  // Replies verified with INCRBYFLOAT on redis-server 7.0.15 (x86-64).
  it('single increments on a missing key', () => {
    const cases: Array<[string, string]> = [
      ['10.5', '10.5'],
      ['5.0e3', '5000'],
      ['3.0e-5', '0.00003'],
      ['0.1', '0.1'],
      ['1e17', '100000000000000000'],
      ['1e-17', '0.00000000000000001'],
      ['1e-18', '0'],
      ['123456789.123456789', '123456789.12345678899873747'],
      ['-0.0', '0'],
      ['1e21', '1000000000000000000000'],
      ['2.5e-5', '0.000025'],
      ['0x10', '16'],
      ['0x1p-3', '0.125'],
      ['0.000000000000000005', '0'],
      ['0.000000000000000015', '0.00000000000000002'],
      ['0.000000000000000025', '0.00000000000000002'],
      ['0.000003814697265625', '0.00000381469726562'],
      ['0.000003814697265635', '0.00000381469726563'],
      ['5e-324', '0'],
      ['1e-400', '0'],
      [
        '1.7976931348623157e308',
        '179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384',
      ],
    ];
    for (const [inc, out] of cases) expect([inc, incrByFloat(null, inc)]).toEqual([inc, out]);
  });

  it('increments of a stored value', () => {
    expect(incrByFloat('10.5', '0.1')).toBe('10.6');
    expect(incrByFloat('3', '1.1')).toBe('4.1');
    expect(incrByFloat('0.1', '0.2')).toBe('0.3');
    expect(incrByFloat('1', '-1')).toBe('0');
    expect(incrByFloat('-1', '0.5')).toBe('-0.5');
    expect(incrByFloat('0', '0.333333333333333333')).toBe('0.33333333333333333');
    expect(incrByFloat('1', '1e-17')).toBe('1.00000000000000001');
    expect(incrByFloat('5000', '-0.5')).toBe('4999.5');
    expect(incrByFloat('10', '-10.0001')).toBe('-0.0001');
  });

  it('errors', () => {
    expect(incrByFloat(null, 'inf')).toBe('ERR increment would produce NaN or Infinity');
    expect(incrByFloat(null, '-Infinity')).toBe('ERR increment would produce NaN or Infinity');
    expect(incrByFloat('1.18973149535723176502e4932', '1e4932')).toBe('ERR increment would produce NaN or Infinity');
    expect(incrByFloat(null, 'nan')).toBe('ERR value is not a valid float');
    expect(incrByFloat(null, ' 1')).toBe('ERR value is not a valid float');
    expect(incrByFloat(null, '')).toBe('ERR value is not a valid float');
    expect(incrByFloat(null, '1e-5000')).toBe('ERR value is not a valid float');
    expect(incrByFloat(null, '1e4933')).toBe('ERR value is not a valid float');
    expect(incrByFloat('abc', '1')).toBe('ERR value is not a valid float');
    expect(incrByFloat('', '1')).toBe('ERR value is not a valid float');
  });

  it('parses the long double range limits like glibc strtold', () => {
    expect(P('1.18973149535723176502e4932')).not.toBe(null);
    expect(P('1.18973149535723176508e+4932')).toBe(null);
    // The smallest denormal is 2^-16445 ≈ 3.645e-4951; below half of it strtold gives 0 + ERANGE.
    expect(P('3e-4951')).not.toBe(null);
    expect(P('1.9e-4951')).not.toBe(null);
    expect(P('1.8e-4951')).toBe(null);
    expect(P('1e-4951')).toBe(null);
    expect(P('0x1p-16445')).not.toBe(null);
    expect(P('0x1p-16446')).toBe(null); // exactly half the smallest denormal: ties to even = 0
    expect(P('0x1.0000001p-16446')).not.toBe(null);
    expect(P('0x1p16383')).not.toBe(null);
    expect(P('0x1p16384')).toBe(null);
    expect(P('0e99999')).not.toBe(null);
  });

  it(`matches redis ${fixtures.redisVersion} on ${fixtures.incrbyfloat.cases.length} recorded INCRBYFLOAT calls`, () => {
    const bad: unknown[] = [];
    for (const [stored, incr, reply] of fixtures.incrbyfloat.cases) {
      const got = incrByFloat(stored, incr);
      if (got !== reply) bad.push([stored, incr, reply.slice(0, 80), got.slice(0, 80)]);
    }
    expect(bad).toEqual([]);
  });

  it('matches a chain of INCRBYFLOAT 0.1 (the stored string is re-parsed each time)', () => {
    let stored: string | null = null;
    const got: string[] = [];
    for (let i = 0; i < fixtures.incrbyfloat.chain01.length; i++) {
      stored = incrByFloat(stored, '0.1');
      got.push(stored);
    }
    expect(got).toEqual(fixtures.incrbyfloat.chain01);
  });
});

describe('LongDouble conversions', () => {
  it('ldToNumber gives back every double exactly', () => {
    const dv = new DataView(new ArrayBuffer(8));
    let s = 7;
    const xs = [0, -0, 1, -1, 0.1, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, Infinity, -Infinity];
    for (let i = 0; i < 500; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      dv.setUint32(0, s);
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      dv.setUint32(4, s);
      xs.push(dv.getFloat64(0));
    }
    for (const x of xs) {
      if (Number.isNaN(x)) continue;
      expect(Object.is(ldToNumber(D(x)), x)).toBe(true);
    }
    expect(Number.isNaN(ldToNumber(ldAdd(P('inf')!, P('-inf')!)))).toBe(true);
  });

  it('ldToNumber rounds to the nearest double', () => {
    expect(ldToNumber(P('0.1')!)).toBe(0.1);
    expect(ldToNumber(P('1e400')!)).toBe(Infinity);
    expect(ldToNumber(P('1e-400')!)).toBe(0);
    expect(ldToNumber(P('123456789.123456789')!)).toBe(123456789.123456789);
  });

  it('holds every int64 exactly', () => {
    expect(ldFormatHuman(P('-9223372036854775808')!)).toBe('-9223372036854775808');
    expect(ldFormatHuman(P('9223372036854775807')!)).toBe('9223372036854775807');
    expect(ldFormatHuman(P('0')!)).toBe('0');
    // 2^64 + 1 needs 65 bits: rounds to 2^64
    expect(ldFormatHuman(P('18446744073709551617')!)).toBe('18446744073709551616');
  });

  it('ldAdd special values', () => {
    const inf = P('inf')!;
    const ninf = P('-inf')!;
    expect(ldIsFinite(ldAdd(inf, ninf))).toBe(false);
    expect(ldFormatHuman(ldAdd(inf, ninf))).toMatch(/nan/);
    expect(ldFormatHuman(ldAdd(inf, P('1')!))).toBe('inf');
    expect(ldFormatHuman(ldAdd(P('1')!, ninf))).toBe('-inf');
    expect(Object.is(ldToNumber(ldAdd(P('-0')!, P('-0')!)), -0)).toBe(true);
    expect(Object.is(ldToNumber(ldAdd(P('1')!, P('-1')!)), 0)).toBe(true);
    // huge exponent gap: the small operand only matters through rounding
    expect(ldFormatHuman(ldAdd(P('1e4000')!, P('1e-4000')!))).toBe(ldFormatHuman(P('1e4000')!));
  });
});

describe('ldParse (string2ld acceptance)', () => {
  const ldbl = (s: string): number | null => {
    const v = P(s);
    return v === null ? null : ldToNumber(v);
  };
  it('accepts long double range', () => {
    expect(ldbl('10.5')).toBe(10.5);
    expect(ldbl('0x10')).toBe(16);
    expect(ldbl('inf')).toBe(Infinity); // accepted by the parser; INCRBYFLOAT then refuses the result
    expect(ldbl('1e400')).toBe(Infinity); // finite in Redis (long double), not representable as a double
    expect(ldbl('1e-400')).toBe(0); // a tiny long double
    expect(ldbl('1e-5000')).toBe(null);
    expect(ldbl('1e4933')).toBe(null);
    expect(ldbl('')).toBe(null);
    expect(ldbl(' 1')).toBe(null);
    expect(ldbl('nan')).toBe(null);
    expect(ldbl('1\u0000abc')).toBe(null);
    // MAX_LONG_DOUBLE_CHARS: 5119 bytes are fine, 5120 are not (verified).
    expect(ldbl('0'.repeat(5116) + '1.5')).toBe(1.5);
    expect(ldbl('0'.repeat(5117) + '1.5')).toBe(null);
  });
});

describe('ldFormatHuman of doubles', () => {
  // %.17Lf of (long double)x, trimmed; replies verified with INCRBYFLOAT on a
  // missing key where Redis holds the same value (exactly representable ones).
  it('prints like ld2string(LD_STR_HUMAN)', () => {
    expect(ldFormatHuman(D(5000))).toBe('5000');
    expect(ldFormatHuman(D(10.5))).toBe('10.5');
    expect(ldFormatHuman(D(-1.5))).toBe('-1.5');
    expect(ldFormatHuman(D(0.125))).toBe('0.125');
    expect(ldFormatHuman(D(100))).toBe('100');
    expect(ldFormatHuman(D(1e20))).toBe('100000000000000000000');
    expect(ldFormatHuman(D(1e21))).toBe('1000000000000000000000');
    expect(ldFormatHuman(D(-0))).toBe('0');
    expect(ldFormatHuman(D(5e-324))).toBe('0');
    expect(ldFormatHuman(D(-1e-18))).toBe('0');
    expect(ldFormatHuman(D(Infinity))).toBe('inf');
    expect(ldFormatHuman(D(-Infinity))).toBe('-inf');
    // 2^-18 = 0.000003814697265625: a tie at the 17th decimal, rounded to even
    expect(ldFormatHuman(D(2 ** -18))).toBe('0.00000381469726562');
  });

  it('shows the double, not what Redis long double arithmetic would hold', () => {
    // Redis: SET f 10.5; INCRBYFLOAT f 0.1 → "10.6" (the INCRBYFLOAT model above adds in long double).
    expect(ldFormatHuman(D(10.5 + 0.1))).toBe('10.59999999999999964');
    expect(ldFormatHuman(D(0.1))).toBe('0.10000000000000001');
  });
});
