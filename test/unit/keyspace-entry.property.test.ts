/**
 * Keyspace entries (src/shard/keyspace.ts) against a JS Map model: random
 * sequences of SETs (with and without KEEPTTL), TTLs given and taken away
 * (which grow and shrink the entry's header, in its block or into another
 * class), APPENDs (the value growing past its block), relocations (what
 * defragmentation does) and deletions, on keys and values of every length
 * around the size classes' edges. After every step each key is found again
 * by its bytes, with its value and expire-at, the volatile count matches,
 * and at the end nothing but the tables' segments is left in the arena.
 *
 *   KEYSPACE_RUNS=10   ten times as many random runs
 */
import '../../src/types/types.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena, segOf } from 'native-free-arena';
import { Enc, Keyspace, ObjType } from '../../src/shard/keyspace.js';
import { setString } from '../../src/types/string.js';

const RUNS = Number(process.env.KEYSPACE_RUNS ?? 1);
const DB = 3;
const NOW = 1_000;

type Op =
  | { t: 'set'; k: number; len: number; keepTtl: boolean }
  | { t: 'expire'; k: number; at: number }
  | { t: 'append'; k: number; len: number }
  | { t: 'relocate'; k: number }
  | { t: 'del'; k: number };

/** Key lengths around the classes' edges once added to a 12- or 20-byte header. */
const KEY_LENS = [1, 2, 4, 12, 13, 20, 28, 44, 52, 53, 60, 300];
const keyOf = (k: number): Buffer => {
  const len = KEY_LENS[k % KEY_LENS.length];
  return Buffer.from(`k${k}:`.padEnd(len, String.fromCharCode(97 + (k % 26)))).subarray(0, Math.max(len, `k${k}:`.length));
};
const valueOf = (len: number, salt: number): Buffer => {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i * 31 + salt) & 0xff;
  return b;
};

const key = fc.integer({ min: 0, max: 23 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('set' as const), k: key, len: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 3000 })), keepTtl: fc.boolean() }),
  fc.record({ t: fc.constant('expire' as const), k: key, at: fc.oneof(fc.constant(0), fc.integer({ min: NOW + 1, max: 2 ** 45 })) }),
  fc.record({ t: fc.constant('append' as const), k: key, len: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ t: fc.constant('relocate' as const), k: key }),
  fc.record({ t: fc.constant('del' as const), k: key }),
);

interface Model {
  value: Buffer;
  exp: number;
}

function find(ks: Keyspace, k: number): number {
  const kb = keyOf(k);
  return ks.lookup(DB, kb, 0, kb.length, NOW);
}

function check(ks: Keyspace, model: Map<number, Model>): void {
  expect(ks.size(DB)).toBe(model.size);
  let volatile = 0;
  for (const [k, m] of model) {
    const h = find(ks, k);
    expect(h, `key ${k}`).not.toBe(0);
    expect(Buffer.from(ks.keyBytes(h)).equals(keyOf(k))).toBe(true);
    expect(ks.type(h)).toBe(ObjType.String);
    expect(ks.expireAt(h)).toBe(m.exp);
    const len = ks.valueWord(h);
    expect(len).toBe(m.value.length);
    const off = ks.valueOffset(h);
    expect(Buffer.from(ks.arena.u8[segOf(h)].subarray(off, off + len)).equals(m.value)).toBe(true);
    expect(ks.valueCapacity(h)).toBeGreaterThanOrEqual(len);
    if (m.exp !== 0) volatile++;
  }
  expect(ks.dbs[DB].volatile).toBe(volatile);
}

function apply(ks: Keyspace, model: Map<number, Model>, op: Op, step: number): void {
  const kb = keyOf(op.k);
  const h = find(ks, op.k);
  const m = model.get(op.k);
  switch (op.t) {
    case 'set': {
      const v = valueOf(op.len, step);
      setString(ks, DB, kb, 0, kb.length, h, v, 0, v.length, Enc.Raw, op.keepTtl, 0);
      model.set(op.k, { value: v, exp: op.keepTtl && m !== undefined ? m.exp : 0 });
      return;
    }
    case 'expire':
      if (m === undefined) return;
      ks.setExpire(DB, h, op.at);
      m.exp = op.at;
      return;
    case 'append': {
      if (m === undefined) return;
      const extra = valueOf(op.len, step + 7);
      const nh = ks.resizeValue(DB, h, m.value.length + op.len, m.value.length, true);
      ks.arena.u8[segOf(nh)].set(extra, ks.valueOffset(nh) + m.value.length);
      ks.setValueWord(nh, m.value.length + op.len);
      m.value = Buffer.concat([m.value, extra]);
      return;
    }
    case 'relocate':
      if (m !== undefined) ks.relocate(DB, h);
      return;
    case 'del':
      expect(ks.delete(DB, kb, 0, kb.length, NOW)).toBe(m !== undefined);
      model.delete(op.k);
      return;
  }
}

describe('keyspace entries against a model', () => {
  it('keep key, value and TTL through header resizes, appends, relocations and deletions', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => {
        const arena = new Arena();
        const ks = new Keyspace(arena);
        const tableBlocks = arena.liveBlocks;
        const model = new Map<number, Model>();
        ops.forEach((op, i) => {
          apply(ks, model, op, i);
          check(ks, model);
        });
        ks.flushDb(DB);
        expect(ks.dbs[DB].volatile).toBe(0);
        expect(arena.liveBlocks).toBe(tableBlocks + ks.dbs[DB].table.segments - 1);
      }),
      { numRuns: 200 * RUNS },
    );
  });

  it('a persistent key pays a 12-byte header and a volatile one 20', () => {
    const arena = new Arena();
    const ks = new Keyspace(arena);
    const k = Buffer.from('key:0000000001'); // 14 bytes, as bench/memory.ts's keys
    const v = valueOf(64, 1);
    let h = setString(ks, 0, k, 0, k.length, 0, v, 0, v.length, Enc.Raw, false, 0);
    expect(arena.requestedSize(h)).toBe(12 + 14 + 64);
    expect(arena.usableSize(h)).toBe(96);
    h = ks.setExpire(0, h, 5_000);
    expect(arena.requestedSize(h)).toBe(20 + 14 + 64);
    expect(ks.expireAt(h)).toBe(5_000);
    expect(ks.lookup(0, k, 0, k.length, 4_999)).toBe(h);
    h = ks.setExpire(0, h, 0);
    expect(arena.requestedSize(h)).toBe(12 + 14 + 64);
    // Expired keys go (lazily) whatever their header.
    h = ks.setExpire(0, h, 5_000);
    expect(ks.lookup(0, k, 0, k.length, 5_000)).toBe(0);
    expect(ks.expiredKeys).toBe(1);
    expect(ks.size(0)).toBe(0);
  });
});
