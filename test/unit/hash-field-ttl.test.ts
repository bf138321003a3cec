/**
 * Field TTLs of hashes without a server: the side table follows the hash
 * through every change of its value word (listpack growth, conversion,
 * relocation, serialization) and goes with it; and the RDB forms — Redis
 * 7.4's HASH_METADATA written and read back, HASH_LISTPACK_EX read, a hash
 * without TTLs written exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import { hashCreate, hashDelete, hashDeserialize, hashFree, hashGet, hashOps, hashSerialize, hashSet, hashToArray, hashToTable } from '../../src/types/hash.js';
import { FieldTtls, type Ttls, dropTtls, ensureTtls, relocateTtls, ttlTableCount, ttlsOf } from '../../src/types/hash-ttl.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { Enc } from '../../src/shard/object.js';
import { dumpPayload, withPayloadFooter } from '../../src/persistence/rdb-writer.js';
import { parseDumpPayload } from '../../src/persistence/rdb-reader.js';
import { DEFAULT_LIMITS, type RdbValue } from '../../src/persistence/rdb-value.js';
import { encodeListpack } from '../../src/persistence/listpack.js';
import { TYPE_HASH_LISTPACK, TYPE_HASH_LISTPACK_EX, TYPE_HASH_METADATA, writeLength } from '../../src/persistence/rdb-format.js';
import { Crc64 } from '../../src/persistence/crc64.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
/** Values with their bytes as text, to compare whatever Uint8Array subclass holds them. */
const plain = (v: RdbValue): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : x)));
const sortedPairs = (ps: Array<[Uint8Array, Uint8Array]>): string[] => ps.map(([f, x]) => `${Buffer.from(f).toString('latin1')}=${Buffer.from(x).toString('latin1')}`).sort();

function set(a: Arena, v: number, f: string, x: string, keepTtl = false): number {
  const fb = b(f);
  const xb = b(x);
  return hashSet(a, v, fb, 0, fb.length, xb, 0, xb.length, keepTtl);
}

describe('hash field TTL table', () => {
  it('min and takeDue agree with a plain map through random sets, deletes and reclaims, in both forms, with the packed block moving', () => {
    // 6 fields: packed in the arena throughout; 60: big once past 8.
    for (const [seed, names] of seedsFromEnv(6).map((x, i) => [x, i % 2 === 0 ? 6 : 60] as const)) {
      const rng = new Rng(seed);
      const a = new Arena();
      const live0 = a.liveBlocks;
      const V = 4242; // a value word that no hash of this arena has: the table is all there is
      const t = (): Ttls => ensureTtls(a, V);
      const big = new FieldTtls();
      const model = new Map<string, number>();
      try {
        for (let i = 0; i < 3000; i++) {
          const f = `f${rng.int(names)}`;
          const r = rng.int(10);
          if (r < 6) {
            const at = 1 + rng.int(1000);
            t().set(f, at);
            big.set(f, at);
            model.set(f, at);
          } else if (r < 8) {
            const had = model.delete(f);
            expect(t().delete(f)).toBe(had);
            expect(big.delete(f)).toBe(had);
          } else if (r < 9) {
            const now = rng.int(1000);
            const max = 1 + rng.int(5);
            const want = [...model].filter(([, at]) => at <= now).sort((p, q) => p[1] - q[1]).slice(0, max);
            const gots = [t().takeDue(now, max), big.takeDue(now, max)];
            for (const got of gots) {
              // The earliest due fields (ties in any order): due ones, with the earliest times.
              expect(got.every((x) => model.get(x)! <= now)).toBe(true);
              expect(got.map((x) => model.get(x)!).sort((p, q) => p - q)).toEqual(want.map(([, at]) => at));
            }
            // Ties may have picked other fields: all three lose every field either form gave.
            for (const x of [...gots[0], ...gots[1]]) {
              t().delete(x);
              big.delete(x);
              model.delete(x);
            }
          } else {
            // Defragmentation moves the packed block.
            relocateTtls(a, V, () => true);
          }
          for (const table of [t(), big]) {
            expect(table.size).toBe(model.size);
            expect(table.min()).toBe(Math.min(Infinity, ...model.values()));
            expect(new Map(table.entries())).toEqual(model);
          }
        }
        dropTtls(a, V);
        expect(a.liveBlocks).toBe(live0);
      } catch (e) {
        (e as Error).message = `[seed ${seed}; SEED=${seed}] ${(e as Error).message}`;
        throw e;
      }
    }
  });

  it('follows the value word through growth, conversion, relocation and serialization, and goes with the hash', () => {
    const a = new Arena();
    const base = ttlTableCount(a);
    let v = hashCreate(a);
    v = set(a, v, 'a', '1');
    ensureTtls(a, v).set('a', 1000);
    // Growing the listpack moves its block: the table follows.
    for (let i = 0; i < 40; i++) v = set(a, v, `f${i}`, 'x'.repeat(20));
    expect(ttlsOf(a, v)?.get('a')).toBe(1000);
    // A new value drops the TTL; keepTtl (HINCRBY) keeps it.
    ensureTtls(a, v).set('f1', 2000);
    v = set(a, v, 'f1', 'y', true);
    expect(ttlsOf(a, v)?.get('f1')).toBe(2000);
    v = set(a, v, 'f1', 'z');
    expect(ttlsOf(a, v)?.get('f1')).toBeUndefined();
    // Deleting a field drops its TTL.
    ensureTtls(a, v).set('f2', 3000);
    v = hashDelete(a, v, b('f2'), 0, 2);
    expect(ttlsOf(a, v)?.get('f2')).toBeUndefined();
    expect(ttlsOf(a, v)?.min()).toBe(1000);
    // Serialized and rebuilt (another shard), in both encodings.
    for (const enc of [Enc.ListPack, Enc.HashTable]) {
      const blob = hashSerialize(a, v);
      const w = hashDeserialize(a, blob, 0, blob.length, enc);
      expect(sortedPairs(hashToArray(a, w))).toEqual(sortedPairs(hashToArray(a, v)));
      expect([...ttlsOf(a, w)!.entries()]).toEqual([['a', 1000]]);
      expect(hashOps.partsExpire!(a, w)).toBe(true);
      hashFree(a, w);
    }
    // Conversion and relocation (defragmentation).
    v = hashToTable(a, v);
    expect(ttlsOf(a, v)?.get('a')).toBe(1000);
    const moved = hashOps.relocate!(a, v, () => true, 1000);
    expect(moved).not.toBe(v);
    expect(ttlsOf(a, v)).toBeUndefined();
    expect(ttlsOf(a, moved)?.get('a')).toBe(1000);
    expect(hashGet(a, moved, b('a'), 0, 1)).toBe(true);
    hashFree(a, moved);
    expect(ttlTableCount(a)).toBe(base);
  });

  it('a hash without TTLs serializes as before (second word 0), and malformed TTL trailers are refused', () => {
    const a = new Arena();
    let v = hashCreate(a);
    v = set(a, v, 'a', '1');
    const plain = hashSerialize(a, v);
    expect(new DataView(plain.buffer).getUint32(4, true)).toBe(0);
    ensureTtls(a, v).set('a', 5);
    const withTtl = hashSerialize(a, v);
    expect(withTtl.length).toBe(plain.length + 8);
    expect(() => hashDeserialize(a, withTtl, 0, withTtl.length - 1, Enc.ListPack)).toThrow();
    const bad = withTtl.slice();
    new DataView(bad.buffer).setFloat64(bad.length - 8, -1, true);
    expect(() => hashDeserialize(a, bad, 0, bad.length, Enc.ListPack)).toThrow();
    const flags = withTtl.slice();
    flags[4] = 2;
    expect(() => hashDeserialize(a, flags, 0, flags.length, Enc.ListPack)).toThrow();
    hashFree(a, v);
  });
});

describe('RDB forms of hashes with field TTLs', () => {
  const opts = { compress: false, limits: DEFAULT_LIMITS };
  const pairs: Array<[Uint8Array, Uint8Array]> = [
    [b('a'), b('1')],
    [b('b'), b('two')],
    [b('c'), b('3')],
  ];

  it('writes HASH_METADATA (relative TTLs from the earliest) and reads it back', () => {
    const value: RdbValue = { type: 'hash', pairs, ttls: [1_800_000_000_000, 0, 1_700_000_000_123] };
    const p = dumpPayload(value, opts);
    expect(p[0]).toBe(TYPE_HASH_METADATA);
    // The earliest expire-at, 8 bytes little endian.
    expect(Number(Buffer.from(p).readBigUInt64LE(1))).toBe(1_700_000_000_123);
    expect(plain(parseDumpPayload(p))).toEqual(plain(value));
  });

  it('a hash without TTLs (or only zeros) is written as Redis 7.0 writes it', () => {
    const p = dumpPayload({ type: 'hash', pairs, ttls: [0, 0, 0] }, opts);
    expect(p).toEqual(dumpPayload({ type: 'hash', pairs }, opts));
    expect(p[0]).toBe(TYPE_HASH_LISTPACK);
    expect(plain(parseDumpPayload(p))).toEqual(plain({ type: 'hash', pairs }));
  });

  it('reads HASH_LISTPACK_EX (field, value, absolute expire-at triplets) in an RDB 12 payload', () => {
    const lp = encodeListpack([b('a'), b('1'), b('1800000000000'), b('b'), b('two'), b('0')]);
    const len = new Uint8Array(9);
    const n = writeLength(len, 0, lp.length);
    const min = Buffer.alloc(8);
    min.writeBigUInt64LE(1_800_000_000_000n);
    const body = Buffer.concat([Buffer.from([TYPE_HASH_LISTPACK_EX]), min, len.subarray(0, n), lp]);
    const p = withPayloadFooter(body);
    // Made an RDB 12 (Redis 7.4) payload: version, then the CRC again.
    p[p.length - 10] = 12;
    new Crc64().update(p, 0, p.length - 8).writeLE(p, p.length - 8);
    expect(plain(parseDumpPayload(p))).toEqual(plain({ type: 'hash', pairs: [pairs[0], pairs[1]], ttls: [1_800_000_000_000, 0] }));
  });
});
