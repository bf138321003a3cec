/**
 * The RDB codec (src/persistence): CRC-64, LZF, the length encoding, what
 * RdbWriter writes for each value, RdbWriter → readRdb and dumpPayload →
 * parseDumpPayload round trips over random datasets, and corrupt input
 * (truncation, bit flips, single-byte corruption) that may only ever end in
 * RdbError. The compact encodings themselves are in rdb-encodings.test.ts.
 *
 * Property tests print FC_SEED=<n> on failure; FC_SEED=<n> replays one.
 */
import { describe, expect, it } from 'vitest';
import { onlyRdbError } from '../helpers/rdb.js';
import fc from 'fast-check';
import { Crc64, crc64 } from '../../src/persistence/crc64.js';
import { lzfCompress, lzfDecompress } from '../../src/persistence/lzf.js';
import { decodeListpack, listpackEntrySize } from '../../src/persistence/listpack.js';
import { RdbCursor } from '../../src/persistence/rdb-cursor.js';
import {
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  TYPE_HASH,
  TYPE_HASH_LISTPACK,
  TYPE_LIST_QUICKLIST_2,
  TYPE_SET,
  TYPE_SET_INTSET,
  TYPE_STRING,
  TYPE_ZSET_2,
  TYPE_ZSET_LISTPACK,
  lengthSize,
  writeLength,
} from '../../src/persistence/rdb-format.js';
import { parseDumpPayload, readRdb } from '../../src/persistence/rdb-reader.js';
import { DEFAULT_LIMITS, RdbError, type EncodingLimits, type RdbEntry, type RdbValue } from '../../src/persistence/rdb-value.js';
import { RdbWriter, dumpPayload, encodeValue } from '../../src/persistence/rdb-writer.js';
import { assertProperty } from '../helpers/property.js';
import { Rng } from '../helpers/rng.js';
import { type DatasetEntry, datasetArb, normalize, normalizeDataset, optionsArb, str, u8, valueArb, writeDataset } from '../fixtures/rdb/datasets.js';

const OPTS = { compress: true, checksum: true, limits: DEFAULT_LIMITS };

/** Bit-by-bit reference: reflected CRC-64/Jones, BigInt per bit. */
function crc64Slow(buf: Uint8Array): bigint {
  const POLY = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 bit-reversed
  let crc = 0n;
  for (const b of buf) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc;
}

/** Every entry of an RDB file. */
function readAll(buf: Uint8Array): { entries: RdbEntry[]; aux: Map<string, string>; version: number } {
  const entries: RdbEntry[] = [];
  const aux = new Map<string, string>();
  const { version } = readRdb(buf, (e) => entries.push(e), (k, v) => aux.set(k, str(v)));
  return { entries, aux, version };
}


function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

describe('crc64', () => {
  it('matches the check value of CRC-64/Jones as Redis uses it', () => {
    expect(crc64(0n, u8('123456789'), 0, 9)).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(0n, new Uint8Array(0), 0, 0)).toBe(0n);
  });

  it('agrees with a bitwise implementation, and incremental updates equal one pass', () => {
    assertProperty(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (buf, s1, s2) => {
        const expected = crc64Slow(buf);
        expect(crc64(0n, buf, 0, buf.length)).toBe(expected);
        // Split anywhere: both the bigint API and the Crc64 state continue correctly.
        const a = buf.length === 0 ? 0 : s1 % (buf.length + 1);
        const b = a + (buf.length - a === 0 ? 0 : s2 % (buf.length - a + 1));
        const viaBigint = crc64(crc64(crc64(0n, buf, 0, a), buf, a, b - a), buf, b, buf.length - b);
        expect(viaBigint).toBe(expected);
        const c = new Crc64().update(buf, 0, a).update(buf, a, buf.length - a);
        expect(c.value()).toBe(expected);
        const le = new Uint8Array(8);
        c.writeLE(le, 0);
        expect(c.matchesLE(le, 0)).toBe(true);
        expect(new DataView(le.buffer).getBigUint64(0, true)).toBe(expected);
      }),
      300,
    );
  });
});

describe('lzf', () => {
  const repetitive = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 3000 }), fc.uint8Array({ maxLength: 20 }))
    .map(([unit, times, tail]) => new Uint8Array(Buffer.concat([...Array.from({ length: times }, () => unit), tail])));
  const mixed = fc
    .array(fc.oneof(fc.uint8Array({ maxLength: 40 }), repetitive, fc.uint8Array({ minLength: 1, maxLength: 3 }).map((u) => new Uint8Array(Buffer.concat(Array(50).fill(u))))), { maxLength: 8 })
    .map((parts) => new Uint8Array(Buffer.concat(parts)));

  it('round trips random, repetitive and mixed inputs, never beyond maxOut', () => {
    assertProperty(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), repetitive, mixed), fc.integer({ min: 0, max: 40 }), (input, slack) => {
        // Also from an offset inside a bigger buffer.
        const padded = new Uint8Array(input.length + 7);
        padded.set(input, 3);
        for (const [src, off] of [[input, 0], [padded, 3]] as const) {
          const maxOut = Math.max(0, input.length - slack);
          const c = lzfCompress(src, off, input.length, maxOut);
          if (c === null) continue;
          expect(c.length).toBeLessThanOrEqual(maxOut);
          expect(c.length).toBeGreaterThan(0);
          expect(hex(lzfDecompress(c, 0, c.length, input.length))).toBe(hex(input));
        }
      }),
      400,
    );
  });

  it('compresses repetitive data hard and gives up on random data', () => {
    const a = u8('a'.repeat(10000));
    const c = lzfCompress(a, 0, a.length)!;
    expect(c.length).toBeLessThan(150); // 264 bytes per 3-byte reference
    expect(hex(lzfDecompress(c, 0, c.length, a.length))).toBe(hex(a));
    const rnd = new Uint8Array(new Rng(7).bytes(4096));
    expect(lzfCompress(rnd, 0, rnd.length, rnd.length - 4)).toBeNull();
    expect(lzfCompress(u8('ab'), 0, 2)).toBeNull();
    expect(lzfCompress(u8(''), 0, 0)).toBeNull();
  });

  it('uses references up to 8192 bytes back, and no further', () => {
    for (const d of [8190, 8191, 8192, 8193, 8194]) {
      const block = new Rng(d).bytes(d);
      const input = new Uint8Array(Buffer.concat([block, block.subarray(0, 600)]));
      const c = lzfCompress(input, 0, input.length, input.length + 1000)!;
      expect(hex(lzfDecompress(c, 0, c.length, input.length))).toBe(hex(input));
      // Within reach, the repeat costs a few references; beyond it, literals.
      if (d <= 8192) expect(c.length).toBeLessThan(d + d / 32 + 30);
      else expect(c.length).toBeGreaterThan(d + 600);
    }
  });

  it('decodes hand-made streams: literals, short and long references, overlapping copies', () => {
    // "abc" literal, then a reference 3 back of length 9 (7 + 0 + 2: long form), then literal "!".
    const s = new Uint8Array([0x02, 0x61, 0x62, 0x63, 0xe0, 0x00, 0x02, 0x00, 0x21]);
    expect(str(lzfDecompress(s, 0, s.length, 13))).toBe('abcabcabcabc!');
    // "x", then a reference 1 back of length 5 (short form, len field 3).
    const t = new Uint8Array([0x00, 0x78, 0x60, 0x00]);
    expect(str(lzfDecompress(t, 0, t.length, 6))).toBe('xxxxxx');
  });

  it('throws RdbError on corrupt input', () => {
    const cases: Array<[number[], number]> = [
      [[0x05, 0x61], 6], // literal run past the end of the input
      [[0x20, 0x00], 3], // reference before the start of the output
      [[0x00, 0x61, 0x20, 0x05], 4], // reference 6 back with 1 byte out
      [[0x00, 0x61, 0x20], 4], // reference cut short
      [[0x00, 0x61, 0xe0], 12], // long reference cut short
      [[0x02, 0x61, 0x62, 0x63], 2], // output bigger than claimed
      [[0x02, 0x61, 0x62, 0x63], 5], // output smaller than claimed
      [[0x02, 0x61, 0x62, 0x63], 1_000_000], // impossible expansion
    ];
    for (const [bytes, outLen] of cases) {
      const b = new Uint8Array(bytes);
      expect(() => lzfDecompress(b, 0, b.length, outLen), hex(b)).toThrow(RdbError);
    }
    assertProperty(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.integer({ min: 0, max: 3000 }), (b, outLen) => {
        onlyRdbError(() => lzfDecompress(b, 0, b.length, outLen));
      }),
      2000,
    );
  });
});

describe('length encoding', () => {
  const cases: Array<[number, number, string | null]> = [
    [0, 1, '00'],
    [63, 1, '3f'],
    [64, 2, '4040'],
    [16383, 2, '7fff'],
    [16384, 5, '8000004000'],
    [2 ** 32 - 1, 5, '80ffffffff'],
    [2 ** 32, 9, '810000000100000000'],
    [2 ** 53 - 1, 9, '81001fffffffffffff'],
  ];
  it.each(cases)('%d takes %d bytes and reads back', (n, size, bytes) => {
    expect(lengthSize(n)).toBe(size);
    const buf = new Uint8Array(12);
    expect(writeLength(buf, 1, n)).toBe(size);
    if (bytes) expect(hex(buf.subarray(1, 1 + size))).toBe(bytes);
    const c = new RdbCursor(buf, 1);
    expect(c.length('n')).toBe(n);
    expect(c.pos).toBe(1 + size);
    // Cut short by one byte: RdbError, not garbage.
    expect(() => new RdbCursor(buf, 1, size).length('n')).toThrow(RdbError);
  });

  it('refuses the unused 10xxxxxx forms and special encodings where a length is expected', () => {
    expect(() => new RdbCursor(new Uint8Array([0x82, 0, 0, 0, 0]), 0).length('n')).toThrow(/length encoding/);
    expect(() => new RdbCursor(new Uint8Array([0xc0, 1]), 0).length('n')).toThrow(RdbError);
    expect(new RdbCursor(new Uint8Array([0xc3]), 0).lengthOrEncoding('n', true)).toBe(-4);
  });

  it('reads int-encoded strings as their digits', () => {
    const c = new RdbCursor(new Uint8Array([0xc0, 0x80, 0xc1, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x80, 0xc2, 0xff, 0xff, 0xff, 0x7f]), 0);
    expect(['-128', '-32768', '-2147483648', '2147483647'].map(() => str(c.string('s')))).toEqual(['-128', '-32768', '-2147483648', '2147483647']);
  });
});

/** The body of a value as the writer encodes it with the given limits. */
function encode(value: RdbValue, limits: Partial<EncodingLimits> = {}, compress = true): { type: number; body: Uint8Array } {
  return encodeValue(value, { compress, limits: { ...DEFAULT_LIMITS, ...limits } });
}

/** The quicklist nodes of an encoded list. */
function nodesOf(body: Uint8Array): Array<{ container: number; items: Uint8Array[]; count: number; size: number }> {
  const c = new RdbCursor(body, 0);
  const n = c.length('nodes');
  const out = [];
  for (let i = 0; i < n; i++) {
    const container = c.length('container');
    const blob = c.string('node');
    const items = container === QUICKLIST_NODE_PACKED ? decodeListpack(blob) : [blob];
    out.push({ container, items, count: items.length, size: blob.length });
  }
  expect(c.pos).toBe(body.length);
  return out;
}

describe('RdbWriter encodings', () => {
  it('int-encodes canonical int32 strings, leaves the rest raw or LZF', () => {
    const body = (s: string | Uint8Array, compress = true) => hex(encode({ type: 'string', value: typeof s === 'string' ? u8(s) : s }, {}, compress).body);
    expect(body('12')).toBe('c00c');
    expect(body('-128')).toBe('c080');
    expect(body('-129')).toBe('c17fff');
    expect(body('32768')).toBe('c200800000');
    expect(body('-2147483648')).toBe('c200000080');
    expect(body('2147483648')).toBe('0a' + hex(u8('2147483648')));
    for (const s of ['-0', '007', '+1', ' 1', '']) expect(body(s)).toBe(hex(new Uint8Array([s.length, ...u8(s)])));
    // 20 bytes: never compressed; 21 compressible bytes: LZF when on, raw when off.
    expect(body('a'.repeat(20))).toBe('14' + '61'.repeat(20));
    expect(body('a'.repeat(21)).startsWith('c3')).toBe(true);
    expect(body('a'.repeat(21), false)).toBe('15' + '61'.repeat(21));
    const rnd = new Uint8Array(new Rng(8).bytes(100));
    expect(body(rnd)).toBe('4064' + hex(rnd));
    // The LZF form: 0xC3, compressed length, original length, data.
    const c = new RdbCursor(encode({ type: 'string', value: u8('xyz'.repeat(100)) }).body, 0);
    expect(c.lengthOrEncoding('s', true)).toBe(-4);
    const clen = c.length('clen');
    expect(c.length('len')).toBe(300);
    expect(c.remaining).toBe(clen);
  });

  it('writes lists as quicklist 2 nodes of at most the node size, big elements in PLAIN nodes', () => {
    const items: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) items.push(u8(i % 7 === 0 ? String(i) : `element-${i}-${'z'.repeat(i % 50)}`));
    items.splice(1000, 0, new Uint8Array(9000).fill(0x41));
    for (const [fill, maxBytes] of [[-1, 4096], [-2, 8192], [-3, 16384], [-5, 65536]]) {
      const { type, body } = encode({ type: 'list', items }, { listMaxListpackSize: fill });
      expect(type).toBe(TYPE_LIST_QUICKLIST_2);
      const nodes = nodesOf(body);
      expect(nodes.reduce((s, n) => s + n.count, 0)).toBe(items.length);
      expect(nodes.flatMap((n) => n.items.map(str))).toEqual(items.map(str));
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i];
        if (node.container !== QUICKLIST_NODE_PACKED) continue;
        expect(node.size).toBeLessThanOrEqual(maxBytes);
        // A packed node is only closed when the next element would not have fitted.
        const next = nodes[i + 1];
        if (next?.container === QUICKLIST_NODE_PACKED) expect(node.size + listpackEntrySize(next.items[0])).toBeGreaterThan(maxBytes);
      }
      const plain = nodes.filter((n) => n.container === QUICKLIST_NODE_PLAIN);
      expect(plain.map((n) => n.size)).toEqual(maxBytes < 9000 ? [9000] : []);
    }
    for (const fill of [1, 3, 128]) {
      const nodes = nodesOf(encode({ type: 'list', items }, { listMaxListpackSize: fill }).body);
      for (const n of nodes) {
        expect(n.container).toBe(QUICKLIST_NODE_PACKED);
        expect(n.count).toBeLessThanOrEqual(fill);
        if (n.count > 1) expect(n.size).toBeLessThanOrEqual(8192);
      }
    }
    expect(nodesOf(encode({ type: 'list', items: [u8('a')] }, { listMaxListpackSize: 0 }).body)).toHaveLength(1);
  });

  it('picks SET_INTSET, HASH_LISTPACK and ZSET_LISTPACK only within the limits', () => {
    const ints = (n: number) => Array.from({ length: n }, (_, i) => u8(String(i * 1000 - 5000)));
    expect(encode({ type: 'set', members: ints(512) }).type).toBe(TYPE_SET_INTSET);
    expect(encode({ type: 'set', members: ints(513) }).type).toBe(TYPE_SET);
    expect(encode({ type: 'set', members: [u8('1'), u8('9223372036854775807'), u8('-9223372036854775808')] }).type).toBe(TYPE_SET_INTSET);
    for (const odd of ['-0', '01', '+1', '9223372036854775808', 'a']) {
      expect(encode({ type: 'set', members: [u8('1'), u8(odd)] }).type, odd).toBe(TYPE_SET);
    }
    const pairs = (n: number, len: number) => Array.from({ length: n }, (_, i): [Uint8Array, Uint8Array] => [u8(`f${i}`), u8('v'.repeat(len))]);
    expect(encode({ type: 'hash', pairs: pairs(512, 64) }).type).toBe(TYPE_HASH_LISTPACK);
    expect(encode({ type: 'hash', pairs: pairs(513, 1) }).type).toBe(TYPE_HASH);
    expect(encode({ type: 'hash', pairs: pairs(3, 65) }).type).toBe(TYPE_HASH);
    expect(encode({ type: 'hash', pairs: [[u8('f'.repeat(65)), u8('v')]] }).type).toBe(TYPE_HASH);
    const entries = (n: number, len: number) => Array.from({ length: n }, (_, i): [Uint8Array, number] => [u8(`${i}`.padStart(len, 'm')), i]);
    expect(encode({ type: 'zset', entries: entries(128, 64) }).type).toBe(TYPE_ZSET_LISTPACK);
    expect(encode({ type: 'zset', entries: entries(129, 1) }).type).toBe(TYPE_ZSET_2);
    expect(encode({ type: 'zset', entries: entries(3, 65) }).type).toBe(TYPE_ZSET_2);
    expect(encode({ type: 'zset', entries: entries(3, 5) }, { zsetMaxListpackEntries: 2 }).type).toBe(TYPE_ZSET_2);
    expect(encode({ type: 'string', value: u8('x') }).type).toBe(TYPE_STRING);
  });

  it('puts scores in listpacks as Redis 7.0 d2string does (%.17g, integers int-encoded)', () => {
    const scores = [1.5, 3, 0.1, Infinity, -Infinity, -0, 0, 2 ** 53, 1e20, -4096];
    const { body } = encode({ type: 'zset', entries: scores.map((s, i): [Uint8Array, number] => [u8(`m${i}`), s]) });
    const flat = decodeListpack(new RdbCursor(body, 0).string('lp')).map(str);
    expect(flat.filter((_, i) => i % 2 === 1)).toEqual(['1.5', '3', '0.10000000000000001', 'inf', '-inf', '-0', '0', '9007199254740992', '1e+20', '-4096']);
    // Integral scores are integer entries: "3" is the single byte 0x03 (+ backlen).
    const raw = hex(new RdbCursor(body, 0).string('lp'));
    expect(raw).toContain('82' + hex(u8('m1')) + '03' + '0301');
  });

  it('writes skiplist sorted sets from the highest score down, as binary doubles', () => {
    const entries: Array<[Uint8Array, number]> = Array.from({ length: 200 }, (_, i) => [u8(`m${i}`), i / 4]);
    const { type, body } = encode({ type: 'zset', entries });
    expect(type).toBe(TYPE_ZSET_2);
    const c = new RdbCursor(body, 0);
    expect(c.length('n')).toBe(200);
    expect(str(c.string('m'))).toBe('m199');
    expect(c.f64le('s')).toBe(199 / 4);
  });

  it('writes the header, AUX fields (integers int-encoded), SELECTDB, RESIZEDB, expiries, EOF and the CRC', () => {
    const w = new RdbWriter(OPTS);
    w.header().aux('redis-bits', 64).aux('ctime', 1700000000).aux('used-mem', 5_000_000_000).aux('redis-ver', '7.0.15');
    w.selectDb(3).resizeDb(1, 1).entry(u8('k'), { type: 'string', value: u8('v') }, 1700000000123).finish();
    const b = w.take();
    expect(w.pending).toBe(0);
    const expected =
      hex(u8('REDIS0010')) +
      'fa0a' + hex(u8('redis-bits')) + 'c040' +
      'fa05' + hex(u8('ctime')) + 'c2' + '00f15365' +
      'fa08' + hex(u8('used-mem')) + '0a' + hex(u8('5000000000')) +
      'fa09' + hex(u8('redis-ver')) + '06' + hex(u8('7.0.15')) +
      'fe03' + 'fb0101' +
      'fc' + '7b68e5cf8b010000' +
      '00' + '016b' + '0176' +
      'ff';
    expect(hex(b.subarray(0, b.length - 8))).toBe(expected);
    expect(new Crc64().update(b, 0, b.length - 8).matchesLE(b, b.length - 8)).toBe(true);
    const { entries, aux, version } = readAll(b);
    expect(version).toBe(10);
    expect(aux.get('ctime')).toBe('1700000000');
    expect(aux.get('used-mem')).toBe('5000000000');
    expect(entries).toEqual([{ db: 3, key: u8('k'), value: { type: 'string', value: u8('v') }, expireAt: 1700000000123, idle: -1, freq: -1 }]);

    const off = new RdbWriter({ ...OPTS, checksum: false }).header(11).finish().take();
    expect(hex(off)).toBe(hex(u8('REDIS0011')) + 'ff' + '00'.repeat(8));
  });

  it('streams through take(): the pieces concatenate to the one-shot file', () => {
    const entries: DatasetEntry[] = Array.from({ length: 50 }, (_, i) => ({
      db: i % 3,
      key: u8(`key${i}`),
      value: { type: 'list', items: Array.from({ length: 100 }, (_, j) => u8(`v${i}-${j}`)) },
      expireAt: i % 5 === 0 ? 2e12 + i : -1,
    }));
    const back = readAll(writeDataset(entries, OPTS));
    expect(normalizeDataset(back.entries)).toEqual(normalizeDataset(entries));
    const w = new RdbWriter(OPTS, 16);
    const parts: Uint8Array[] = [];
    w.header();
    for (const e of entries) {
      w.entry(e.key, e.value, e.expireAt);
      parts.push(w.take());
    }
    w.finish();
    parts.push(w.take());
    const whole = new RdbWriter(OPTS).header();
    for (const e of entries) whole.entry(e.key, e.value, e.expireAt);
    expect(hex(new Uint8Array(Buffer.concat(parts)))).toBe(hex(whole.finish().take()));
  });
});

describe('RdbWriter → readRdb', () => {
  it('round trips random datasets of every type under random limits and options', () => {
    assertProperty(
      fc.property(datasetArb, optionsArb, (dataset, opts) => {
        const file = writeDataset(dataset, opts);
        const { entries, aux, version } = readAll(file);
        expect(version).toBe(10);
        expect(aux.get('redis-bits')).toBe('64');
        expect(normalizeDataset(entries)).toEqual(normalizeDataset(dataset));
        expect(entries.length).toBe(dataset.length);
        for (const e of entries) {
          expect(e.idle).toBe(-1);
          expect(e.freq).toBe(-1);
        }
      }),
      150,
    );
  });
});

describe('DUMP payloads', () => {
  it('dumpPayload → parseDumpPayload round trips, with the footer Redis 7.0 writes', () => {
    assertProperty(
      fc.property(valueArb, optionsArb, (value, opts) => {
        const p = dumpPayload(value, opts);
        const { type, body } = encodeValue(value, opts);
        expect(p[0]).toBe(type);
        expect(hex(p.subarray(1, 1 + body.length))).toBe(hex(body));
        expect(p[p.length - 10]).toBe(10);
        expect(p[p.length - 9]).toBe(0);
        expect(crc64(0n, p, 0, p.length - 8)).toBe(new DataView(p.buffer, p.byteOffset).getBigUint64(p.length - 8, true));
        expect(normalize(parseDumpPayload(p))).toEqual(normalize(value));
      }),
      300,
    );
  });

  it('refuses a payload with any single byte corrupted', () => {
    assertProperty(
      fc.property(valueArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, at, x) => {
        const p = dumpPayload(value, OPTS);
        const q = p.slice();
        q[at % q.length] ^= x;
        const err = onlyRdbError(() => parseDumpPayload(q));
        expect(err).not.toBeNull();
      }),
      500,
    );
    // Exhaustively for one payload of each type.
    const values: RdbValue[] = [
      { type: 'string', value: u8('hello world, hello world, hello world') },
      { type: 'list', items: [u8('a'), u8('12'), u8('b'.repeat(100))] },
      { type: 'set', members: [u8('1'), u8('2'), u8('-3')] },
      { type: 'hash', pairs: [[u8('f'), u8('v')]] },
      { type: 'zset', entries: [[u8('m'), 1.5], [u8('n'), 2]] },
    ];
    for (const v of values) {
      const p = dumpPayload(v, OPTS);
      for (let i = 0; i < p.length; i++) {
        for (const x of [1, 0x80, 0xff]) {
          const q = p.slice();
          q[i] ^= x;
          expect(onlyRdbError(() => parseDumpPayload(q)), `byte ${i} ^ ${x}`).not.toBeNull();
        }
      }
    }
  });

  it('a corrupt body under a valid footer is RdbError, never anything else', () => {
    /** The payload with its footer recomputed, so that the body parser sees the corruption. */
    const refooter = (body: Uint8Array): Uint8Array => {
      const out = new Uint8Array(body.length + 10);
      out.set(body);
      out[body.length] = 10;
      new Crc64().update(out, 0, body.length + 2).writeLE(out, body.length + 2);
      return out;
    };
    assertProperty(
      fc.property(valueArb, optionsArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), (value, opts, flips, cut) => {
        const p = dumpPayload(value, opts);
        const body = p.slice(0, p.length - 10);
        for (const [at, x] of flips) body[at % body.length] ^= x;
        onlyRdbError(() => parseDumpPayload(refooter(body)));
        // Cut short, the body never parses: every encoding says how long it is.
        const short = p.subarray(0, cut % (p.length - 10));
        const err = onlyRdbError(() => parseDumpPayload(refooter(short)));
        expect(err?.message).toBe('Bad data format');
      }),
      1000,
    );
  });

  it('checks the footer and the body', () => {
    const withFooter = (bytes: number[], version = 10): Uint8Array => {
      const out = new Uint8Array(bytes.length + 10);
      out.set(bytes);
      out[bytes.length] = version & 0xff;
      out[bytes.length + 1] = version >> 8;
      new Crc64().update(out, 0, bytes.length + 2).writeLE(out, bytes.length + 2);
      return out;
    };
    expect(str((parseDumpPayload(withFooter([0, 1, 0x61])) as { value: Uint8Array }).value)).toBe('a');
    expect(str((parseDumpPayload(withFooter([0, 1, 0x61], 11)) as { value: Uint8Array }).value)).toBe('a');
    expect(str((parseDumpPayload(withFooter([0, 1, 0x61], 12)) as { value: Uint8Array }).value)).toBe('a');
    expect(() => parseDumpPayload(withFooter([0, 1, 0x61], 13))).toThrow('DUMP payload version or checksum are wrong');
    expect(() => parseDumpPayload(new Uint8Array(9))).toThrow('DUMP payload version or checksum are wrong');
    expect(() => parseDumpPayload(withFooter([0, 1, 0x61, 0x62]))).toThrow(/^Bad data format$/);
    expect(() => parseDumpPayload(withFooter([0, 2, 0x61]))).toThrow(/^Bad data format$/);
    expect(() => parseDumpPayload(withFooter([1, 0]))).toThrow(/^Bad data format$/); // empty list
    expect(() => parseDumpPayload(withFooter([8, 0]))).toThrow(/^Bad data format$/); // no type 8
    expect(() => parseDumpPayload(withFooter([15, 0]))).toThrow(/^Bad data format$/); // a stream cut short
    expect(() => parseDumpPayload(withFooter([7, 0]))).toThrow(/module/);
  });
});

describe('corrupt RDB files', () => {
  const sample = (opts = OPTS) => {
    const ds: DatasetEntry[] = [
      { db: 0, key: u8('s'), value: { type: 'string', value: u8('abc'.repeat(30)) }, expireAt: 1e12 },
      { db: 0, key: u8('n'), value: { type: 'string', value: u8('-70000') }, expireAt: -1 },
      { db: 1, key: u8('l'), value: { type: 'list', items: [u8('1'), u8('two'), u8('x'.repeat(40))] }, expireAt: -1 },
      { db: 1, key: u8('set'), value: { type: 'set', members: [u8('5'), u8('-9223372036854775808')] }, expireAt: -1 },
      { db: 1, key: u8('set2'), value: { type: 'set', members: [u8('a'), u8('b')] }, expireAt: -1 },
      { db: 2, key: u8('h'), value: { type: 'hash', pairs: [[u8('f'), u8('v')], [u8('g'), u8('1000')]] }, expireAt: -1 },
      { db: 2, key: u8('z'), value: { type: 'zset', entries: [[u8('a'), -1], [u8('b'), 0.25]] }, expireAt: -1 },
      { db: 2, key: u8('z2'), value: { type: 'zset', entries: [[u8('a'), -1], [u8('b'), 0.25]] }, expireAt: -1 },
    ];
    return writeDataset(ds, { ...opts, limits: { ...DEFAULT_LIMITS, zsetMaxListpackEntries: 1 } });
  };

  it('refuses the file cut at every point with RdbError', () => {
    for (const opts of [OPTS, { ...OPTS, checksum: false }, { ...OPTS, compress: false }]) {
      const file = sample(opts);
      expect(readAll(file).entries).toHaveLength(8);
      for (let n = 0; n < file.length; n++) {
        const err = onlyRdbError(() => readAll(file.subarray(0, n)));
        expect(err, `cut at ${n}`).not.toBeNull();
        expect(err!.offset).toBeLessThanOrEqual(n);
      }
    }
  });

  it('flipped bits: with a checksum always RdbError, without one RdbError or a clean read', () => {
    assertProperty(
      fc.property(datasetArb, fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }), (ds, checksum, flips) => {
        const file = writeDataset(ds, { ...OPTS, checksum });
        // Distinct bits only: flipping one twice would undo it.
        const distinct = new Set(flips.map(([at, bit]) => (at % file.length) * 8 + bit));
        for (const b of distinct) file[b >> 3] ^= 1 << (b & 7);
        const err = onlyRdbError(() => readAll(file));
        if (checksum) expect(err).not.toBeNull();
      }),
      200,
    );
    // And random truncation of random datasets.
    assertProperty(
      fc.property(datasetArb, optionsArb, fc.nat(), (ds, opts, cut) => {
        const file = writeDataset(ds, opts);
        expect(onlyRdbError(() => readAll(file.subarray(0, cut % file.length)))).not.toBeNull();
      }),
      200,
    );
  });

  it('random garbage after a valid header is only ever RdbError', () => {
    assertProperty(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 11 }), (tail, v) => {
        const head = u8('REDIS' + String(v).padStart(4, '0'));
        onlyRdbError(() => readAll(new Uint8Array([...head, ...tail])));
        onlyRdbError(() => parseDumpPayload(tail));
      }),
      3000,
    );
  });
});

describe('RdbWriter.bigEntry (snapshots of big collections, element by element)', () => {
  it('writes the same bytes as entry() for sets, hashes and sorted sets beyond the compact limits', () => {
    const rng = new Rng(Number(process.env.SEED ?? 7));
    const bytesOf = (n: number) => u8(rng.string(1 + rng.int(n)));
    const limits = { ...DEFAULT_LIMITS, setMaxIntsetEntries: 4, hashMaxListpackEntries: 4, zsetMaxListpackEntries: 4 };
    for (let round = 0; round < 30; round++) {
      const n = 5 + rng.int(300);
      const members = [...new Set(Array.from({ length: n }, () => (rng.chance(0.3) ? String(rng.int(1000)) : rng.string(1 + rng.int(40)))))].map(u8);
      const set: RdbValue = { type: 'set', members };
      const hash: RdbValue = { type: 'hash', pairs: members.map((m) => [m, bytesOf(30)] as [Uint8Array, Uint8Array]) };
      const entries = members.map((m) => [m, rng.chance(0.2) ? rng.int(10) : rng.next() * 1000 - 500] as [Uint8Array, number]);
      entries.sort((p, q) => p[1] - q[1] || Buffer.compare(p[0], q[0]));
      const zset: RdbValue = { type: 'zset', entries };
      const key = u8(`k${round}`);
      const expireAt = rng.chance(0.5) ? 1_800_000_000_000 + rng.int(1000) : -1;
      for (const compress of [true, false]) {
        const opts = { compress, checksum: true, limits };
        const viaEntry = (v: RdbValue) => new RdbWriter(opts).entry(key, v, expireAt).take();
        const big = (kind: 'set' | 'hash' | 'zset', count: number, each: Parameters<RdbWriter['bigEntry']>[4]) => new RdbWriter(opts).bigEntry(key, expireAt, kind, count, each).take();
        expect(hex(big('set', members.length, (s) => members.forEach((m) => s.element(m, 0, m.length))))).toBe(hex(viaEntry(set)));
        expect(
          hex(
            big('hash', members.length, (s) => {
              for (const [f, v] of (hash as { pairs: Array<[Uint8Array, Uint8Array]> }).pairs) {
                s.element(f, 0, f.length);
                s.element(v, 0, v.length);
              }
            }),
          ),
        ).toBe(hex(viaEntry(hash)));
        expect(
          hex(
            big('zset', entries.length, (s) => {
              for (let i = entries.length - 1; i >= 0; i--) {
                s.element(entries[i][0], 0, entries[i][0].length);
                s.score(entries[i][1]);
              }
            }),
          ),
        ).toBe(hex(viaEntry(zset)));
      }
    }
  });
});
