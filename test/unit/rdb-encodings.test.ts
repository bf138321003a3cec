/**
 * The compact encodings inside RDB values (src/persistence): listpack and
 * intset encode → decode, byte for byte at every integer and length
 * boundary; ziplists and zipmaps built here by hand from their specs; and
 * every value type and opcode of RDB versions 1..11 through readRdb, from
 * hand-built files (the old encodings Redis 7 no longer writes included).
 *
 * Property tests print FC_SEED=<n> on failure; FC_SEED=<n> replays one.
 */
import { describe, expect, it } from 'vitest';
import { onlyRdbError } from '../helpers/rdb.js';
import fc from 'fast-check';
import { Crc64 } from '../../src/persistence/crc64.js';
import { encodeIntset, intsetValues, decodeIntset } from '../../src/persistence/intset.js';
import { ListpackBuilder, decodeListpack, encodeListpack, listpackEntrySize } from '../../src/persistence/listpack.js';
import { lzfCompress } from '../../src/persistence/lzf.js';
import { writeLength } from '../../src/persistence/rdb-format.js';
import { rdbEntries, readRdb } from '../../src/persistence/rdb-reader.js';
import { RdbError, type RdbEntry } from '../../src/persistence/rdb-value.js';
import { decodeZiplist } from '../../src/persistence/ziplist.js';
import { decodeZipmap } from '../../src/persistence/zipmap.js';
import { assertProperty } from '../helpers/property.js';
import { INT_EDGES, NOT_INTS, elementArb, normalize, str, u8 } from '../fixtures/rdb/datasets.js';

const hex = (b: Uint8Array | number[]): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const le = (v: bigint, n: number): number[] => Array.from({ length: n }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
const be32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];


describe('listpack', () => {
  /** The entry (encoding + data + backlen) a single element becomes. */
  const entryHex = (s: string | Uint8Array) => hex(encodeListpack([typeof s === 'string' ? u8(s) : s]).subarray(6, -1));

  it('encodes integers with the smallest encoding, at every boundary', () => {
    const cases: Array<[string, string]> = [
      ['0', '0001'],
      ['127', '7f01'],
      ['128', 'c08002'],
      ['-1', 'dfff02'],
      ['4095', 'cfff02'],
      ['-4096', 'd00002'],
      ['4096', 'f1001003'],
      ['-4097', 'f1ffef03'],
      ['32767', 'f1ff7f03'],
      ['-32768', 'f1008003'],
      ['32768', 'f200800004'],
      ['-32769', 'f2ff7fff04'],
      ['8388607', 'f2ffff7f04'],
      ['-8388608', 'f200008004'],
      ['8388608', 'f30000800005'],
      ['-8388609', 'f3ffff7fff05'],
      ['2147483647', 'f3ffffff7f05'],
      ['-2147483648', 'f30000008005'],
      ['2147483648', 'f4' + '0000008000000000' + '09'],
      ['-2147483649', 'f4' + 'ffffff7fffffffff' + '09'],
      ['9007199254740993', 'f4' + '0100000000002000' + '09'],
      ['9223372036854775807', 'f4' + 'ffffffffffffff7f' + '09'],
      ['-9223372036854775808', 'f4' + '0000000000000080' + '09'],
    ];
    for (const [s, h] of cases) {
      expect(entryHex(s), s).toBe(h);
      expect(listpackEntrySize(u8(s)), s).toBe(h.length / 2);
      expect(decodeListpack(encodeListpack([u8(s)])).map(str)).toEqual([s]);
    }
  });

  it('keeps non-canonical integers as strings', () => {
    for (const s of NOT_INTS) {
      const b = u8(s);
      expect(entryHex(b), JSON.stringify(s)).toBe(hex([0x80 | b.length, ...b, 1 + b.length]));
      expect(decodeListpack(encodeListpack([b])).map(str)).toEqual([s]);
    }
  });

  it('encodes string lengths and backlens at their boundaries', () => {
    // [string length, header bytes, backlen bytes]
    const cases: Array<[number, string, number]> = [
      [0, '80', 1],
      [63, 'bf', 1],
      [64, 'e040', 1],
      [125, 'e07d', 1], // encoding + data = 127: the last 1-byte backlen
      [126, 'e07e', 2],
      [4095, 'efff', 2],
      [4096, 'f000100000', 2],
      [16377, 'f0f93f0000', 2], // 16382
      [16378, 'f0fa3f0000', 3], // 16383 takes 3 bytes (lpEncodeBacklen's l < 16383)
      [2097145, 'f0f9ff1f00', 3], // 2097150
      [2097146, 'f0faff1f00', 4], // 2097151
    ];
    for (const [n, header, bl] of cases) {
      const s = new Uint8Array(n).fill(0x61);
      const lp = encodeListpack([s, u8('x')]);
      const l = header.length / 2 + n;
      expect(hex(lp.subarray(6, 6 + header.length / 2)), `length ${n}`).toBe(header);
      expect(listpackEntrySize(s), `length ${n}`).toBe(l + bl);
      // The backlen reads back (right to left, 7 bits a byte) as l.
      const back = lp.subarray(6 + l, 6 + l + bl);
      let v = 0;
      for (let i = 0; i < bl; i++) v = v * 128 + (back[i] & 127);
      expect(v).toBe(l);
      expect(back[0] & 128).toBe(0);
      for (let i = 1; i < bl; i++) expect(back[i] & 128).toBe(128);
      const out = decodeListpack(lp);
      expect(out).toHaveLength(2);
      expect(out[0].length).toBe(n);
      expect(str(out[1])).toBe('x');
    }
    expect(hex(encodeListpack([u8('a'.repeat(16378))]).subarray(6 + 16383, 6 + 16386))).toBe('00ffff');
  });

  it('writes the header: total bytes, count (65535 when there are more)', () => {
    const lp = encodeListpack([u8('a'), u8('1')]);
    expect(hex(lp)).toBe('0c000000' + '0200' + '816102' + '0101' + 'ff');
    expect(hex(encodeListpack([]))).toBe('07000000' + '0000' + 'ff');
    const many = Array.from({ length: 70000 }, (_, i) => u8(String(i % 100)));
    const big = encodeListpack(many);
    expect(big[4] | (big[5] << 8)).toBe(65535);
    expect(decodeListpack(big)).toHaveLength(70000);
    const b = new ListpackBuilder(8);
    for (let i = 0; i < 65534; i++) b.addInt(1);
    const exact = b.finish();
    expect(exact[4] | (exact[5] << 8)).toBe(65534);
  });

  it('round trips random elements, integers and near-integers', () => {
    const item = fc.oneof(
      elementArb,
      fc.constantFrom(...INT_EDGES, ...NOT_INTS).map(u8),
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map((v) => u8(String(v))),
      fc.integer({ min: 0, max: 5000 }).map((n) => new Uint8Array(n).fill(0x7a)),
    );
    assertProperty(
      fc.property(fc.array(item, { maxLength: 50 }), (items) => {
        const lp = encodeListpack(items);
        expect(lp.length).toBe(7 + items.reduce((s, it) => s + listpackEntrySize(it), 0));
        expect(decodeListpack(lp).map(str)).toEqual(items.map(str));
        // Also from inside a bigger buffer.
        const padded = new Uint8Array(lp.length + 5);
        padded.set(lp, 2);
        expect(decodeListpack(padded, 2, lp.length).map(str)).toEqual(items.map(str));
      }),
      500,
    );
  });

  it('refuses corrupt listpacks with RdbError', () => {
    const good = encodeListpack([u8('hello'), u8('300'), u8('x'.repeat(70))]);
    const bad = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = good.slice();
      f(b);
      return b;
    };
    const cases = [
      good.subarray(0, 6),
      good.subarray(0, good.length - 1), // total bytes disagrees
      bad((b) => (b[b.length - 1] = 0)), // no terminator
      bad((b) => (b[4] = 2)), // count
      bad((b) => (b[6 + 6] = 5)), // backlen of "hello"
      bad((b) => (b[6] = 0xf5)), // unknown encoding
      bad((b) => (b[6] = 0x8f)), // string longer than the rest
      bad((b) => (b[6] = 0xf0)), // 32-bit string length from the data
    ];
    for (const c of cases) expect(() => decodeListpack(c), hex(c)).toThrow(RdbError);
    assertProperty(
      fc.property(fc.array(elementArb, { maxLength: 10 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), (items, flips) => {
        const lp = encodeListpack(items).slice();
        for (const [at, x] of flips) lp[at % lp.length] ^= x;
        onlyRdbError(() => decodeListpack(lp));
      }),
      1000,
    );
  });
});

describe('intset', () => {
  it('picks 2, 4 or 8 bytes per value and sorts', () => {
    expect(hex(encodeIntset([1, -2]))).toBe('02000000' + '02000000' + 'feff' + '0100');
    expect(hex(encodeIntset([32768, 1]))).toBe('04000000' + '02000000' + '01000000' + '00800000');
    expect(hex(encodeIntset([-32769]))).toBe('04000000' + '01000000' + 'ff7fffff');
    expect(hex(encodeIntset([2147483648, -1]))).toBe('08000000' + '02000000' + 'ffffffffffffffff' + '0000008000000000');
    expect(hex(encodeIntset([-(2n ** 63n), 2n ** 63n - 1n]))).toBe('08000000' + '02000000' + '0000000000000080' + 'ffffffffffffff7f');
    expect(hex(encodeIntset([3, 3n, 3]))).toBe('02000000' + '01000000' + '0300');
    expect(hex(encodeIntset([]))).toBe('02000000' + '00000000');
  });

  it('round trips random int64 sets', () => {
    const v = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.integer({ min: -40000, max: 40000 }).map(BigInt),
      fc.constantFrom(...INT_EDGES.map(BigInt)),
    );
    assertProperty(
      fc.property(fc.uniqueArray(v, { maxLength: 60 }), (values) => {
        const blob = encodeIntset(values.map((x) => (x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x)));
        const sorted = values.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const width = sorted.some((x) => x < -(2n ** 31n) || x >= 2n ** 31n) ? 8 : sorted.some((x) => x < -32768n || x > 32767n) ? 4 : 2;
        expect(blob[0]).toBe(width);
        expect(blob.length).toBe(8 + width * values.length);
        expect(intsetValues(blob).map(BigInt)).toEqual(sorted);
        expect(decodeIntset(blob).map(str)).toEqual(sorted.map(String));
      }),
      500,
    );
  });

  it('reads wide encodings of small values, refuses corrupt intsets', () => {
    expect(decodeIntset(new Uint8Array([8, 0, 0, 0, 1, 0, 0, 0, ...le(5n, 8)])).map(str)).toEqual(['5']);
    const cases = [
      [3, 0, 0, 0, 0, 0, 0, 0], // width 3
      [2, 0, 0, 0, 2, 0, 0, 0, 1, 0], // one value short
      [2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0], // descending
      [2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0], // duplicate
      [2, 0, 0, 0, 0, 0, 0],
      [2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], // a count that would not fit
    ];
    for (const c of cases) expect(() => decodeIntset(new Uint8Array(c)), hex(c)).toThrow(RdbError);
  });
});

// --- ziplists, built from the spec -------------------------------------------

type ZlItem = string | Uint8Array | { int: bigint; enc: 'imm' | 'i8' | 'i16' | 'i24' | 'i32' | 'i64' };

/** Encoding + data of one ziplist entry. */
function zlBody(item: ZlItem): number[] {
  if (typeof item === 'string' || item instanceof Uint8Array) {
    const b = typeof item === 'string' ? u8(item) : item;
    const n = b.length;
    const head = n <= 63 ? [n] : n <= 16383 ? [0x40 | (n >> 8), n & 0xff] : [0x80, ...be32(n)];
    return [...head, ...b];
  }
  const { int, enc } = item;
  switch (enc) {
    case 'imm':
      return [0xf1 + Number(int)];
    case 'i8':
      return [0xfe, ...le(int, 1)];
    case 'i16':
      return [0xc0, ...le(int, 2)];
    case 'i24':
      return [0xf0, ...le(int, 3)];
    case 'i32':
      return [0xd0, ...le(int, 4)];
    case 'i64':
      return [0xe0, ...le(int, 8)];
  }
}

/** A ziplist of the items; `bigPrevlen` entries store their prevlen in 5 bytes even when small (Redis may leave them so). */
function buildZiplist(items: ZlItem[], opts: { bigPrevlen?: number[]; unknownCount?: boolean } = {}): Uint8Array {
  const entries: number[][] = [];
  let prev = 0;
  items.forEach((it, i) => {
    const prevlen = prev < 254 && !opts.bigPrevlen?.includes(i) ? [prev] : [0xfe, ...le(BigInt(prev), 4)];
    const e = [...prevlen, ...zlBody(it)];
    entries.push(e);
    prev = e.length;
  });
  const bodyLen = entries.reduce((s, e) => s + e.length, 0);
  const total = 10 + bodyLen + 1;
  const tail = entries.length === 0 ? 10 : 10 + bodyLen - entries[entries.length - 1].length;
  const count = opts.unknownCount ? 65535 : items.length;
  return new Uint8Array([...le(BigInt(total), 4), ...le(BigInt(tail), 4), ...le(BigInt(count), 2), ...entries.flat(), 0xff]);
}

const ZL_ITEMS: Array<[ZlItem, string]> = [
  ['', ''],
  ['a', 'a'],
  ['s'.repeat(63), 's'.repeat(63)],
  ['m'.repeat(64), 'm'.repeat(64)],
  ['p'.repeat(300), 'p'.repeat(300)], // the next entry's prevlen takes 5 bytes
  ['q'.repeat(16383), 'q'.repeat(16383)],
  ['r'.repeat(16384), 'r'.repeat(16384)],
  [{ int: 0n, enc: 'imm' }, '0'],
  [{ int: 12n, enc: 'imm' }, '12'],
  [{ int: -128n, enc: 'i8' }, '-128'],
  [{ int: 127n, enc: 'i8' }, '127'],
  [{ int: -32768n, enc: 'i16' }, '-32768'],
  [{ int: 32767n, enc: 'i16' }, '32767'],
  [{ int: 8388607n, enc: 'i24' }, '8388607'],
  [{ int: -8388608n, enc: 'i24' }, '-8388608'],
  [{ int: -2147483648n, enc: 'i32' }, '-2147483648'],
  [{ int: 2147483647n, enc: 'i32' }, '2147483647'],
  [{ int: -(2n ** 63n), enc: 'i64' }, '-9223372036854775808'],
  [{ int: 2n ** 63n - 1n, enc: 'i64' }, '9223372036854775807'],
  [{ int: 9007199254740993n, enc: 'i64' }, '9007199254740993'],
  ['end', 'end'],
];

describe('ziplist', () => {
  it('decodes every entry encoding and both prevlen sizes', () => {
    const zl = buildZiplist(ZL_ITEMS.map((x) => x[0]));
    expect(decodeZiplist(zl).map(str)).toEqual(ZL_ITEMS.map((x) => x[1]));
    expect(decodeZiplist(buildZiplist(ZL_ITEMS.map((x) => x[0]), { bigPrevlen: [1, 2, 3], unknownCount: true })).map(str)).toEqual(ZL_ITEMS.map((x) => x[1]));
    expect(decodeZiplist(buildZiplist([]))).toEqual([]);
    // Offsets inside a bigger buffer.
    const padded = new Uint8Array(zl.length + 3);
    padded.set(zl, 3);
    expect(decodeZiplist(padded, 3, zl.length).map(str)).toEqual(ZL_ITEMS.map((x) => x[1]));
  });

  it('refuses corrupt ziplists with RdbError', () => {
    const items: ZlItem[] = ['abc', { int: 5n, enc: 'i16' }, 'x'.repeat(300), 'z'];
    const good = buildZiplist(items);
    const bad = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = good.slice();
      f(b);
      return b;
    };
    const cases = [
      good.subarray(0, 10),
      good.subarray(0, good.length - 1),
      bad((b) => (b[b.length - 1] = 0)),
      bad((b) => (b[4] += 1)), // tail
      bad((b) => (b[8] = 9)), // count
      bad((b) => (b[10] = 3)), // first prevlen is not 0
      bad((b) => (b[11] = 0xc1)), // unknown encoding
      bad((b) => (b[11] = 0x3f)), // string longer than the rest
      bad((b) => (b[11] = 0x81)), // unused 10xxxxxx form
    ];
    for (const c of cases) expect(() => decodeZiplist(c), hex(c.subarray(0, 16))).toThrow(RdbError);
    assertProperty(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), (flips, cut) => {
        const b = good.slice();
        for (const [at, x] of flips) b[at % b.length] ^= x;
        onlyRdbError(() => decodeZiplist(b));
        onlyRdbError(() => decodeZiplist(b.subarray(0, cut % b.length)));
      }),
      1000,
    );
  });
});

// --- zipmaps, built from the spec --------------------------------------------

function buildZipmap(pairs: Array<[string, string, number?]>, count = pairs.length): Uint8Array {
  const len = (n: number) => (n < 254 ? [n] : [0xfe, ...le(BigInt(n), 4)]);
  const out: number[] = [count];
  for (const [f, v, free = 0] of pairs) out.push(...len(f.length), ...u8(f), ...len(v.length), free, ...u8(v), ...new Array(free).fill(0x2e));
  out.push(0xff);
  return new Uint8Array(out);
}

describe('zipmap', () => {
  it('decodes fields and values, long lengths and free space', () => {
    const pairs: Array<[string, string, number?]> = [['a', 'b'], ['f'.repeat(300), 'v', 2], ['n', '1'.repeat(254), 4], ['', '']];
    const expected = pairs.map(([f, v]) => [f, v]);
    expect(decodeZipmap(buildZipmap(pairs)).map(([f, v]) => [str(f), str(v)])).toEqual(expected);
    expect(decodeZipmap(buildZipmap(pairs, 254)).map(([f, v]) => [str(f), str(v)])).toEqual(expected);
    expect(decodeZipmap(buildZipmap([]))).toEqual([]);
  });

  it('refuses corrupt zipmaps with RdbError', () => {
    const good = buildZipmap([['a', 'b', 1], ['cc', 'dd']]);
    const cases = [
      buildZipmap([['a', 'b']], 2), // count
      good.subarray(0, good.length - 1), // no terminator
      new Uint8Array([...good, 0]), // bytes after it
      new Uint8Array([1, 5, 0x61, 0xff]), // field longer than the rest
      new Uint8Array([1, 1, 0x61, 1, 9, 0x62, 0xff]), // free space past the end
      new Uint8Array([1, 1, 0x61, 0xff]), // 0xFF as a value length
    ];
    for (const c of cases) expect(() => decodeZipmap(c), hex(c)).toThrow(RdbError);
    for (let n = 0; n < good.length; n++) expect(() => decodeZipmap(good.subarray(0, n))).toThrow(RdbError);
  });
});

// --- whole files of every type and opcode ------------------------------------

/** Builds RDB bytes by hand. */
class RawRdb {
  private bytes: number[] = [];
  constructor(version: number) {
    this.push(...u8('REDIS' + String(version).padStart(4, '0')));
  }
  push(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  len(n: number): this {
    const b = new Uint8Array(9);
    return this.push(...b.subarray(0, writeLength(b, 0, n)));
  }
  str(s: string | Uint8Array): this {
    const b = typeof s === 'string' ? u8(s) : s;
    return this.len(b.length).push(...b);
  }
  lzf(s: string): this {
    const b = u8(s);
    const c = lzfCompress(b, 0, b.length)!;
    return this.push(0xc3).len(c.length).len(b.length).push(...c);
  }
  key(type: number, key: string): this {
    return this.push(type).str(key);
  }
  /** EOF and the checksum: 'crc', 'zero' or none (versions before 5). */
  end(checksum: 'crc' | 'zero' | 'none' = 'crc'): Uint8Array {
    this.push(0xff);
    const b = new Uint8Array(this.bytes.length + (checksum === 'none' ? 0 : 8));
    b.set(this.bytes);
    if (checksum === 'crc') new Crc64().update(b, 0, this.bytes.length).writeLE(b, this.bytes.length);
    return b;
  }
}

function readAll(file: Uint8Array): Map<string, { db: number; value: unknown; expireAt: number; idle: number; freq: number }> {
  const out = new Map<string, { db: number; value: unknown; expireAt: number; idle: number; freq: number }>();
  readRdb(file, (e: RdbEntry) => out.set(str(e.key), { db: e.db, value: normalize(e.value), expireAt: e.expireAt, idle: e.idle, freq: e.freq }));
  return out;
}

const lp = (items: string[]) => encodeListpack(items.map(u8));

describe('readRdb: every value type and opcode', () => {
  it('reads the old and new encodings of each type into the same values', () => {
    const zl = (items: ZlItem[]) => buildZiplist(items);
    const r = new RawRdb(9);
    r.push(0xfa).str('redis-ver').str('2.8.0').push(0xfa).str('ctime').push(0xc2, ...le(1500000000n, 4));
    r.push(0xfe).len(0).push(0xfb).len(30).len(2);
    r.key(0, 's-raw').str('hello');
    r.key(0, 's-int8').push(0xc0, 0x85);
    r.key(0, 's-int16').push(0xc1, ...le(-1000n, 2));
    r.key(0, 's-int32').push(0xc2, ...le(123456789n, 4));
    r.key(0, 's-lzf').lzf('abcabcabcabcabcabcabcabcabcabc!');
    r.push(0xfc, ...le(1700000000123n, 8)).key(1, 'list').len(3).str('a').push(0xc0, 7).str('c');
    r.key(10, 'list-zl').str(zl(['a', { int: 7n, enc: 'imm' }, 'c']));
    r.key(14, 'list-ql').len(3).str(zl(['a'])).str(zl([])).str(zl([{ int: 7n, enc: 'i8' }, 'c']));
    r.key(18, 'list-ql2').len(3).len(2).str(lp(['a', '7'])).len(1).str('c').len(2).str(lp([]));
    r.push(0xf8).len(1234).key(2, 'set').len(3).str('b').push(0xc0, 1).str('a');
    r.push(0xf9, 42).key(11, 'set-is').str(encodeIntset([1, 5, 3]));
    r.key(20, 'set-lp').str(lp(['b', '1', 'a']));
    r.push(0xfe).len(7);
    r.key(4, 'hash').len(2).str('f').str('v').str('n').push(0xc0, 1);
    r.key(9, 'hash-zm').str(buildZipmap([['f', 'v'], ['n', '1']]));
    r.key(13, 'hash-zl').str(zl(['f', 'v', 'n', { int: 1n, enc: 'imm' }]));
    r.key(16, 'hash-lp').str(lp(['f', 'v', 'n', '1']));
    // ZSET (3): text scores, with 254/255 for ±inf; and not in order.
    r.key(3, 'zset').len(4).str('c').push(3, ...u8('2.5')).str('a').push(255).str('d').push(254).str('b').push(1, ...u8('1'));
    r.key(5, 'zset2').len(4).str('d').push(...le(0x7ff0000000000000n, 8)).str('c');
    r.push(...new Uint8Array(new Float64Array([2.5]).buffer)).str('b').push(...new Uint8Array(new Float64Array([1]).buffer)).str('a').push(...new Uint8Array(new Float64Array([-Infinity]).buffer));
    r.key(12, 'zset-zl').str(zl(['a', '-inf', 'b', { int: 1n, enc: 'imm' }, 'c', '2.5', 'd', 'inf']));
    r.key(17, 'zset-lp').str(lp(['a', '-inf', 'b', '1', 'c', '2.5', 'd', 'inf']));
    r.push(0xfd, ...le(1500000000n, 4)).key(0, 'old-expire').str('x');
    r.key(1, 'empty-list').len(0); // skipped, as Redis does
    const file = r.end();
    const got = readAll(file);
    // A loading thread steps over other threads' keys (rdbEntries' `want`): every
    // encoding above must be stepped over exactly, leaving the wanted keys intact.
    for (const keep of [(k: string) => k.length % 2 === 0, (k: string) => k.length % 2 === 1, () => false]) {
      const kept = new Map<string, unknown>();
      const it = rdbEntries(file, undefined, undefined, (k) => keep(str(k)));
      for (let r = it.next(); r.done !== true; r = it.next()) kept.set(str(r.value.key), { db: r.value.db, value: normalize(r.value.value), expireAt: r.value.expireAt, idle: r.value.idle, freq: r.value.freq });
      expect(Object.fromEntries(kept)).toEqual(Object.fromEntries([...got].filter(([k]) => keep(k))));
    }

    const list = { list: ['a', '7', 'c'] };
    const set = { set: ['1', 'a', 'b'] };
    const hash = { hash: [['f', 'v'], ['n', '1']] };
    const zset = { zset: [['a', -Infinity], ['b', 1], ['c', 2.5], ['d', Infinity]] };
    const plain = { idle: -1, freq: -1, expireAt: -1 };
    expect(Object.fromEntries(got)).toEqual({
      's-raw': { db: 0, value: { string: 'hello' }, ...plain },
      's-int8': { db: 0, value: { string: '-123' }, ...plain },
      's-int16': { db: 0, value: { string: '-1000' }, ...plain },
      's-int32': { db: 0, value: { string: '123456789' }, ...plain },
      's-lzf': { db: 0, value: { string: 'abcabcabcabcabcabcabcabcabcabc!' }, ...plain },
      list: { db: 0, value: list, ...plain, expireAt: 1700000000123 },
      'list-zl': { db: 0, value: list, ...plain },
      'list-ql': { db: 0, value: list, ...plain },
      'list-ql2': { db: 0, value: list, ...plain },
      set: { db: 0, value: set, ...plain, idle: 1234 },
      'set-is': { db: 0, value: { set: ['1', '3', '5'] }, ...plain, freq: 42 },
      'set-lp': { db: 0, value: set, ...plain },
      hash: { db: 7, value: hash, ...plain },
      'hash-zm': { db: 7, value: hash, ...plain },
      'hash-zl': { db: 7, value: hash, ...plain },
      'hash-lp': { db: 7, value: hash, ...plain },
      zset: { db: 7, value: zset, ...plain },
      zset2: { db: 7, value: zset, ...plain },
      'zset-zl': { db: 7, value: zset, ...plain },
      'zset-lp': { db: 7, value: zset, ...plain },
      'old-expire': { db: 7, value: { string: 'x' }, ...plain, expireAt: 1500000000000 },
    });
  });

  it('reads versions 1..11, without a checksum before version 5 and with a zero one after', () => {
    for (let v = 1; v <= 11; v++) {
      const file = new RawRdb(v).push(0xfe).len(0).key(0, 'k').str('v').end(v < 5 ? 'none' : 'crc');
      const aux: string[] = [];
      expect(readRdb(file, () => {}, (k) => aux.push(k)).version).toBe(v);
      expect(readAll(file).get('k')?.value).toEqual({ string: 'v' });
    }
    const zero = new RawRdb(10).key(0, 'k').str('v').end('zero');
    expect(readAll(zero).size).toBe(1);
    const aux = new Map<string, string>();
    readRdb(new RawRdb(10).push(0xfa).str('redis-bits').push(0xc0, 64).push(0xfa).str('x').str('y').end(), () => {}, (k, v) => aux.set(k, str(v)));
    expect(Object.fromEntries(aux)).toEqual({ 'redis-bits': '64', x: 'y' });
  });

  it('hands over function libraries (RDB_OPCODE_FUNCTION2) in file order, among the keys', () => {
    const file = new RawRdb(10).push(245).str('#!lua name=a').push(245).str('#!lua name=b').key(0, 'k').str('v').end();
    const codes: string[] = [];
    const keys: string[] = [];
    const it = rdbEntries(file, undefined, undefined, undefined, (code) => codes.push(Buffer.from(code).toString()));
    for (let r = it.next(); !r.done; r = it.next()) keys.push(Buffer.from(r.value.key).toString());
    expect(codes).toEqual(['#!lua name=a', '#!lua name=b']);
    expect(keys).toEqual(['k']);
  });

  it('refuses what it cannot or will not read, with a clear RdbError', () => {
    const refuse = (file: Uint8Array, message: RegExp | string) => {
      const err = onlyRdbError(() => readRdb(file, () => {}));
      expect(err, String(message)).not.toBeNull();
      expect(err!.message).toMatch(message);
      expect(err!.offset).toBeGreaterThanOrEqual(0);
      expect(err!.offset).toBeLessThanOrEqual(file.length);
    };
    refuse(new RawRdb(13).end(), "Can't handle RDB format version 13");
    refuse(new RawRdb(0).end(), "Can't handle RDB format version 0");
    refuse(u8('REDIX0010\xff'), /signature/);
    refuse(u8('REDIS00a0\xff'), /signature/);
    refuse(u8('REDIS'), /end of input/);
    const wrong = new RawRdb(10).key(0, 'k').str('v').end();
    wrong[wrong.length - 3] ^= 1;
    refuse(wrong, /^Wrong RDB checksum/);
    // A stream cut short after its node count (streams themselves load: test/integration/streams.test.ts).
    for (const t of [15, 19, 21]) refuse(new RawRdb(10).key(t, 's').len(0).end(), /stream length/);
    for (const t of [6, 7]) refuse(new RawRdb(10).key(t, 'm').len(0).end(), /module value/);
    refuse(new RawRdb(10).push(247).len(1).end(), /module data/);
    refuse(new RawRdb(10).push(246).str('code').end(), /functions in the pre-release format/);
    for (const t of [8, 22, 100, 244]) refuse(new RawRdb(10).key(t, 'k').end(), `Unknown RDB value type ${t}`);
    refuse(new RawRdb(10).key(2, 's').len(2).str('a').str('a').end(), /Duplicate set members/);
    refuse(new RawRdb(10).key(20, 's').str(lp(['a', 'a'])).end(), /Duplicate set members/);
    refuse(new RawRdb(10).key(4, 'h').len(2).str('a').str('1').str('a').str('2').end(), /Duplicate hash fields/);
    refuse(new RawRdb(10).key(16, 'h').str(lp(['a', '1', 'b'])).end(), /odd number/);
    refuse(new RawRdb(10).key(17, 'z').str(lp(['a', '1', 'a', '2'])).end(), /Duplicate sorted set members/);
    refuse(new RawRdb(10).key(17, 'z').str(lp(['a', 'x'])).end(), /not a number/);
    refuse(new RawRdb(10).key(3, 'z').len(1).str('a').push(253).end(), /NaN/);
    refuse(new RawRdb(10).key(5, 'z').len(1).str('a').push(...le(0x7ff8000000000000n, 8)).end(), /NaN/);
    refuse(new RawRdb(10).key(18, 'l').len(1).len(3).str('x').end(), /container 3/);
    refuse(new RawRdb(10).key(1, 'l').len(1000).str('x').end(), /Count 1000/);
    refuse(new RawRdb(10).key(0, 's').push(0x80, 0x7f, 0xff, 0xff, 0xff).end(), /runs past the end/);
    refuse(new RawRdb(10).key(0, 's').push(0xc3).len(2).len(4000).push(0x01, 0x61).end(), /LZF/);
    refuse(new RawRdb(10).key(0, 's').push(0xc4).end(), /Unknown string encoding/);
    refuse(new RawRdb(10).key(10, 'l').str('not a ziplist').end(), /Corrupt ziplist.*in the ziplist at offset/);
  });
});
