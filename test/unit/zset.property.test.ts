/**
 * The arena sorted set (src/types/zset.ts), both encodings, against a sorted
 * JS array model: random inserts, score updates, deletions, rank and score
 * lookups, rank-range deletions, range seeks by score and lex, conversion
 * from listpack to skiplist and back, and serialization round trips. After
 * every step the structure's invariants (order, backward links, spans at
 * every level, the member index) are checked and its contents compared with
 * the model; at the end, freeing must give every block back to the arena.
 * A last test checks that skiplist searches grow like log n.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import {
  ZIter,
  zsCheck,
  zsCreate,
  zsDelete,
  zsDeleteRange,
  zsDeserialize,
  zsFree,
  zsInsert,
  zsLength,
  zsMemory,
  zsRank,
  zsScore,
  zsSerialize,
  zsToArray,
  zsToSkiplist,
  zsUpdate,
  zsetOps,
  zslStats,
} from '../../src/types/zset.js';

const LP = 11; // Enc.ListPack
const SL = 7; // Enc.SkipList

type Op =
  | { t: 'add'; m: Buffer; s: number }
  | { t: 'del'; m: Buffer }
  | { t: 'delrange'; start: number; count: number }
  | { t: 'score'; min: number; max: number; minex: boolean; maxex: boolean; rev: boolean }
  | { t: 'lex'; min: Buffer; max: Buffer; rev: boolean }
  | { t: 'convert' }
  | { t: 'roundtrip' };

const POOL = ['a', 'b', 'c', '', '\r\n', '\0', 'a\0b', 'aa', 'ab', 'zz'].map((s) => Buffer.from(s));
const memberArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...POOL) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 400 }).map((n) => Buffer.from(String(n))) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }).map((u) => Buffer.from(u)) },
);
const scoreArb = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 2, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, 0, 1e308, 5e-324) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 100, arbitrary: fc.record({ t: fc.constant('add' as const), m: memberArb, s: scoreArb }) },
  { weight: 30, arbitrary: fc.record({ t: fc.constant('del' as const), m: memberArb }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('delrange' as const), start: fc.nat(60), count: fc.nat(10) }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant('score' as const), min: fc.integer({ min: -6, max: 6 }), max: fc.integer({ min: -6, max: 6 }), minex: fc.boolean(), maxex: fc.boolean(), rev: fc.boolean() }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('lex' as const), min: memberArb, max: memberArb, rev: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ t: 'convert' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'roundtrip' as const }) },
);

type Model = Array<[Buffer, number]>;
function cmp(a: [Buffer, number], b: [Buffer, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return Buffer.compare(a[0], b[0]);
}
const norm = (s: number, enc: number) => (enc === LP && s === 0 ? 0 : s);

function run(ops: Op[], startEnc: number): void {
  const a = new Arena();
  const before = a.liveBlocks;
  let enc = startEnc;
  let v = zsCreate(a, enc);
  let model: Model = [];
  const it = new ZIter();
  for (const op of ops) {
    if (op.t === 'add') {
      const i = model.findIndex(([m]) => m.equals(op.m));
      if (i >= 0) {
        expect(zsScore(a, enc, v, op.m, 0, op.m.length)).toBe(norm(model[i][1], enc));
        v = zsUpdate(a, enc, v, op.s, op.m, 0, op.m.length);
        model[i] = [op.m, op.s];
      } else {
        expect(Number.isNaN(zsScore(a, enc, v, op.m, 0, op.m.length))).toBe(true);
        v = zsInsert(a, enc, v, op.s, op.m, 0, op.m.length);
        model.push([op.m, op.s]);
      }
      model.sort(cmp);
      const r = model.findIndex(([m]) => m.equals(op.m));
      expect(zsRank(a, enc, v, op.m, 0, op.m.length)).toBe(r);
    } else if (op.t === 'del') {
      const i = model.findIndex(([m]) => m.equals(op.m));
      expect(zsDelete(a, enc, v, op.m, 0, op.m.length)).toBe(i >= 0);
      if (i >= 0) model.splice(i, 1);
    } else if (op.t === 'delrange') {
      if (op.start < model.length) {
        const n = Math.min(op.count, model.length - op.start);
        v = zsDeleteRange(a, enc, v, op.start, n);
        model.splice(op.start, n);
      }
    } else if (op.t === 'score') {
      const inR = (s: number) => (op.minex ? s > op.min : s >= op.min) && (op.maxex ? s < op.max : s <= op.max);
      const want = model.filter(([, s]) => inR(s)).map(([m]) => m.toString('latin1'));
      if (op.rev) want.reverse();
      const got: string[] = [];
      it.init(a, enc, v);
      const r = { min: op.min, max: op.max, minex: op.minex, maxex: op.maxex };
      if (op.rev ? it.lastInScore(r) : it.firstInScore(r)) {
        do {
          if (!inR(it.score)) break;
          got.push(Buffer.from(it.u8.subarray(it.off, it.off + it.len)).toString('latin1'));
        } while (op.rev ? it.prev() : it.next());
      }
      expect(got).toEqual(want);
    } else if (op.t === 'lex') {
      // Lex ranges are defined on equal scores: check on a copy where all scores are 0.
      const items = model.map(([m]) => m).sort(Buffer.compare);
      const b = new Arena();
      const bBefore = b.liveBlocks;
      let w = zsCreate(b, enc);
      for (const m of items) w = zsInsert(b, enc, w, 0, m, 0, m.length);
      const range = { min: { kind: 'incl' as const, u8: op.min, off: 0, len: op.min.length }, max: { kind: 'excl' as const, u8: op.max, off: 0, len: op.max.length } };
      const want = items.filter((m) => Buffer.compare(m, op.min) >= 0 && Buffer.compare(m, op.max) < 0).map((m) => m.toString('latin1'));
      if (op.rev) want.reverse();
      const got: string[] = [];
      const jt = new ZIter().init(b, enc, w);
      if (op.rev ? jt.lastInLex(range) : jt.firstInLex(range)) {
        do {
          if (op.rev ? !jt.lexGteMin(range) : !jt.lexLteMax(range)) break;
          got.push(Buffer.from(jt.u8.subarray(jt.off, jt.off + jt.len)).toString('latin1'));
        } while (op.rev ? jt.prev() : jt.next());
      }
      expect(got).toEqual(want);
      zsFree(b, enc, w);
      expect(b.liveBlocks).toBe(bBefore);
    } else if (op.t === 'convert') {
      if (enc === LP) {
        v = zsToSkiplist(a, v);
        enc = SL;
      } else {
        // Nothing converts a skiplist back in place; a listpack copy is built from its blob.
        const blob = zsSerialize(a, SL, v);
        zsFree(a, SL, v);
        v = zsDeserialize(a, blob, 0, blob.length, LP);
        enc = LP;
      }
    } else {
      const blob = zsSerialize(a, enc, v);
      const w = zsDeserialize(a, blob, 0, blob.length, enc);
      expect(zsToArray(a, enc, w)).toEqual(zsToArray(a, enc, v));
      zsFree(a, enc, v);
      v = w;
    }
    zsCheck(a, enc, v);
    expect(zsLength(a, enc, v)).toBe(model.length);
    const got = zsToArray(a, enc, v);
    expect(got.map(([m, s]) => [Buffer.from(m).toString('latin1'), s])).toEqual(model.map(([m, s]) => [m.toString('latin1'), norm(s, enc)]));
    // Listpack stores normalize -0 when written: keep the model in step.
    if (enc === LP) model = model.map(([m, s]) => [m, s === 0 ? 0 : s]);
    expect(zsMemory(a, enc, v)).toBeGreaterThan(0);
  }
  zsFree(a, enc, v);
  expect(a.liveBlocks).toBe(before);
}

describe('zset property: arena sorted set vs a sorted array', () => {
  const runs = 60 * Number(process.env.ZSET_RUNS ?? 1);
  it('listpack (converted at random)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => run(ops, LP)), { numRuns: runs });
  });
  it('skiplist', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 250 }), (ops) => run(ops, SL)), { numRuns: runs });
  });
  it('skiplist with thousands of members and rank-range deletions', () => {
    const a = new Arena();
    const before = a.liveBlocks;
    let v = zsCreate(a, SL);
    const n = 5000;
    for (let i = 0; i < n; i++) v = zsInsert(a, SL, v, i % 37, Buffer.from(`m${i}`), 0, `m${i}`.length);
    zsCheck(a, SL, v);
    v = zsDeleteRange(a, SL, v, 100, 2000);
    zsCheck(a, SL, v);
    expect(zsLength(a, SL, v)).toBe(n - 2000);
    zsFree(a, SL, v);
    expect(a.liveBlocks).toBe(before);
  });
});

describe('zset skiplist: searches grow like log n', () => {
  it('rank lookups and inserts visit O(log n) nodes (1k vs 256k members)', () => {
    const visits = (n: number): number => {
      const a = new Arena();
      let v = zsCreate(a, SL);
      for (let i = 0; i < n; i++) {
        const m = Buffer.from(`member:${i}`);
        v = zsInsert(a, SL, v, Math.random(), m, 0, m.length);
      }
      zslStats.visited = 0;
      for (let k = 0; k < 200; k++) {
        const m = Buffer.from(`member:${Math.floor(Math.random() * n)}`);
        zsRank(a, SL, v, m, 0, m.length);
        const q = Buffer.from(`new:${k}`);
        v = zsInsert(a, SL, v, Math.random(), q, 0, q.length);
      }
      const per = zslStats.visited / 400;
      zsFree(a, SL, v);
      return per;
    };
    const small = visits(1024);
    const big = visits(262144);
    // n grew 256×: log n grows 1.8×, a linear walk 256×.
    expect(big / small).toBeLessThan(3);
    expect(big).toBeLessThan(200);
  }, 60_000);
});

describe('zset defragmentation (TypeOps.relocate)', () => {
  it('moves the header and any chosen skiplist nodes; order, links, spans and the index stay true', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (n, seed, moveHeader) => {
        const a = new Arena();
        const before = a.liveBlocks;
        let v = zsCreate(a, SL);
        for (let i = 0; i < n; i++) {
          const m = Buffer.from(`m${(i * 7919) % 1000}`);
          v = zsInsert(a, SL, v, (i * 31) % 13, m, 0, m.length);
        }
        const want = zsToArray(a, SL, v);
        // Picks nodes by a hash of their handle and the seed; each handle is asked about at most once.
        const asked = new Set<number>();
        const moving = (h: number): boolean => {
          expect(asked.has(h)).toBe(false);
          asked.add(h);
          return h === v ? moveHeader : (Math.imul(h ^ seed, 0x9e3779b1) >>> 28) < 8;
        };
        const nv = zsetOps.relocate!(a, v, moving, 1000);
        expect(nv !== v).toBe(moveHeader);
        zsCheck(a, SL, nv);
        expect(zsToArray(a, SL, nv)).toEqual(want);
        for (const [m] of want) expect(zsScore(a, SL, nv, m, 0, m.length)).toBe(want.find(([x]) => Buffer.compare(x, m) === 0)![1]);
        zsFree(a, SL, nv);
        expect(a.liveBlocks).toBe(before);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves the nodes of a set above maxElements where they are', () => {
    const a = new Arena();
    let v = zsCreate(a, SL);
    for (let i = 0; i < 300; i++) v = zsInsert(a, SL, v, i, Buffer.from(`m${i}`), 0, `m${i}`.length);
    let asked = 0;
    const nv = zsetOps.relocate!(a, v, () => (asked++, true), 299);
    expect(asked).toBe(1);
    zsCheck(a, SL, nv);
    expect(zsLength(a, SL, nv)).toBe(300);
  });
});
