/**
 * The arena list (src/types/list.ts) against a JS array model: random
 * sequences of pushes, pops, index reads and writes, inserts, removals,
 * trims, range reads, position searches and serialization round trips, over
 * small lists and lists of thousands of elements spanning many nodes (with
 * elements longer than a node). After every step the structure's invariants
 * are checked and its contents compared with the model; at the end, freeing
 * the list must give every block back to the arena.
 *
 *   LIST_RUNS=10   ten times as many random runs
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import {
  HEAD,
  ListIter,
  NODE_MAX,
  TAIL,
  elem,
  listCheck,
  listListpackBytes,
  listCreate,
  listDelRange,
  listDeserialize,
  listFree,
  listIndex,
  listInsert,
  listLength,
  listMemoryUsage,
  listNodeCount,
  listPeek,
  listPop,
  listPopCopy,
  listPositions,
  listPush,
  listRemove,
  listSerialize,
  listSet,
  listToArray,
  listOps,
  type Where,
} from '../../src/types/list.js';
import { listpackEntrySize } from '../../src/persistence/listpack.js';

type Op =
  | { t: 'push'; where: Where; vals: Buffer[] }
  | { t: 'pop'; where: Where; n: number }
  | { t: 'index'; i: number }
  | { t: 'set'; i: number; val: Buffer }
  | { t: 'insert'; where: Where; pivot: Buffer; val: Buffer }
  | { t: 'rem'; count: number; val: Buffer }
  | { t: 'trim'; start: number; stop: number }
  | { t: 'delrange'; start: number; count: number }
  | { t: 'range'; start: number; stop: number; forward: boolean }
  | { t: 'pos'; val: Buffer; rank: number; count: number; maxlen: number }
  | { t: 'roundtrip' };

// Integers of every listpack width, and strings that look like integers but are not (for the listpack byte count).
const POOL = ['a', 'b', 'c', '', '\r\n', '\0', 'a\0b', '12345', '-1', '127', '-4096', '32767', '-8388608', '2147483647', '-9223372036854775808', '01', '9223372036854775808'].map((s) =>
  Buffer.from(s),
);

/** Values of every encoding width: 1-byte, 2-byte and 5-byte length fields, and longer than a node. */
function valueArb(bigWeight: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...POOL) },
    { weight: 6, arbitrary: fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)) },
    { weight: 2, arbitrary: fc.integer({ min: 100, max: 300 }).map((n) => Buffer.alloc(n, n & 0xff)) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 6000 }).map((n) => Buffer.alloc(n, 0x61 + (n % 26))) },
    { weight: bigWeight, arbitrary: fc.integer({ min: NODE_MAX - 20, max: 40_000 }).map((n) => Buffer.alloc(n, 0x41 + (n % 26))) },
  );
}

function opArb(bulk: number, bigWeight: number): fc.Arbitrary<Op> {
  const val = valueArb(bigWeight);
  const where = fc.constantFrom<Where>(HEAD, TAIL);
  const idx = fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -5000, max: 5000 }));
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ t: fc.constant('push' as const), where, vals: fc.array(val, { minLength: 1, maxLength: 4 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('push' as const),
        where,
        vals: fc.array(fc.constantFrom(...POOL), { minLength: bulk / 2, maxLength: bulk }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('pop' as const), where, n: fc.integer({ min: 1, max: 30 }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('index' as const), i: idx }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('set' as const), i: idx, val }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('insert' as const), where, pivot: fc.constantFrom(...POOL), val }) },
    {
      weight: 3,
      arbitrary: fc.record({ t: fc.constant('rem' as const), count: fc.integer({ min: -6, max: 6 }), val: fc.constantFrom(...POOL) }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('trim' as const), start: idx, stop: idx }) },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant('delrange' as const), start: fc.nat(5000), count: fc.integer({ min: 1, max: 3000 }) }),
    },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('range' as const), start: idx, stop: idx, forward: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('pos' as const),
        val: fc.constantFrom(...POOL),
        rank: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -4, max: -1 })),
        count: fc.integer({ min: 0, max: 5 }),
        maxlen: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'roundtrip' as const }) },
  );
}

/** Redis's LRANGE/LTRIM normalization: [start, stop] clamped, or null when empty. */
function clampRange(len: number, start: number, stop: number): [number, number] | null {
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return null;
  if (stop >= len) stop = len - 1;
  return [start, stop];
}

function norm(len: number, i: number): number {
  if (i < 0) i += len;
  return i >= 0 && i < len ? i : -1;
}

function cur(): Buffer {
  return Buffer.from(elem.u8.subarray(elem.off, elem.off + elem.len));
}

function hex(b: Uint8Array[]): string[] {
  return b.map((x) => Buffer.from(x).toString('hex'));
}

/** Runs ops on a fresh list and a model; returns nothing, throws on any difference. */
function runOps(arena: Arena, ops: Op[]): void {
  const baseline = arena.liveBlocks;
  const baseBytes = arena.allocatedBytes;
  let lh = listCreate(arena);
  let model: Buffer[] = [];
  for (const op of ops) {
    switch (op.t) {
      case 'push':
        for (const v of op.vals) {
          listPush(arena, lh, op.where, v, 0, v.length);
          if (op.where === HEAD) model.unshift(v);
          else model.push(v);
        }
        break;
      case 'pop':
        for (let j = 0; j < op.n && model.length > 0; j++) {
          expect(listPeek(arena, lh, op.where)).toBe(true);
          const want = op.where === HEAD ? model.shift()! : model.pop()!;
          expect(cur().equals(want)).toBe(true);
          if (j % 2 === 0) listPop(arena, lh, op.where);
          else expect(Buffer.from(listPopCopy(arena, lh, op.where)!).equals(want)).toBe(true);
        }
        if (model.length === 0) expect(listPeek(arena, lh, op.where)).toBe(false);
        break;
      case 'index': {
        const i = norm(model.length, op.i);
        expect(listIndex(arena, lh, op.i)).toBe(i >= 0);
        if (i >= 0) expect(cur().equals(model[i]!)).toBe(true);
        break;
      }
      case 'set': {
        const i = norm(model.length, op.i);
        expect(listSet(arena, lh, op.i, op.val, 0, op.val.length)).toBe(i >= 0);
        if (i >= 0) model[i] = op.val;
        break;
      }
      case 'insert': {
        const at = model.findIndex((v) => v.equals(op.pivot));
        const ok = listInsert(arena, lh, op.where, op.pivot, 0, op.pivot.length, op.val, 0, op.val.length);
        expect(ok).toBe(at >= 0);
        if (at >= 0) model.splice(op.where === HEAD ? at : at + 1, 0, op.val);
        break;
      }
      case 'rem': {
        let left = op.count === 0 ? Infinity : Math.abs(op.count);
        let removed = 0;
        if (op.count >= 0) {
          model = model.filter((v) => {
            if (left > 0 && v.equals(op.val)) {
              left--;
              removed++;
              return false;
            }
            return true;
          });
        } else {
          const keep: Buffer[] = [];
          for (let i = model.length - 1; i >= 0; i--) {
            if (left > 0 && model[i]!.equals(op.val)) {
              left--;
              removed++;
            } else keep.push(model[i]!);
          }
          model = keep.reverse();
        }
        expect(listRemove(arena, lh, op.val, 0, op.val.length, op.count)).toBe(removed);
        break;
      }
      case 'trim': {
        const r = clampRange(model.length, op.start, op.stop);
        const len = model.length;
        const [ltrim, rtrim] = r === null ? [len, 0] : [r[0], len - r[1] - 1];
        listDelRange(arena, lh, len - rtrim, rtrim);
        listDelRange(arena, lh, 0, ltrim);
        model = model.slice(ltrim, len - rtrim);
        break;
      }
      case 'delrange': {
        if (op.start >= model.length) break;
        const count = Math.min(op.count, model.length - op.start);
        listDelRange(arena, lh, op.start, count);
        model.splice(op.start, count);
        break;
      }
      case 'range': {
        const r = clampRange(model.length, op.start, op.stop);
        if (r === null) break;
        const got: Buffer[] = [];
        const it = new ListIter().seek(arena, lh, op.forward ? r[0] : r[1], op.forward);
        for (let n = r[1] - r[0] + 1; n > 0; n--) {
          expect(it.next()).toBe(true);
          got.push(Buffer.from(it.u8.subarray(it.off, it.off + it.len)));
        }
        const want = model.slice(r[0], r[1] + 1);
        if (!op.forward) want.reverse();
        expect(hex(got)).toEqual(hex(want));
        break;
      }
      case 'pos': {
        const got: number[] = [];
        listPositions(arena, lh, op.val, 0, op.val.length, op.rank, op.count, op.maxlen, (p) => got.push(p));
        const want: number[] = [];
        const fwd = op.rank > 0;
        let matches = 0;
        for (let k = 0; k < model.length && (op.maxlen === 0 || k < op.maxlen); k++) {
          const i = fwd ? k : model.length - 1 - k;
          if (!model[i]!.equals(op.val)) continue;
          matches++;
          if (matches < Math.abs(op.rank)) continue;
          want.push(i);
          if (op.count !== 0 && want.length >= op.count) break;
        }
        expect(got).toEqual(want);
        break;
      }
      case 'roundtrip': {
        const blob = listSerialize(arena, lh);
        const copy = listDeserialize(arena, blob, 0, blob.length);
        listCheck(arena, copy);
        expect(hex(listToArray(arena, copy))).toEqual(hex(model));
        expect(Buffer.from(listSerialize(arena, copy)).equals(Buffer.from(blob))).toBe(true);
        // Continue with the copy: it is packed differently from the original.
        listFree(arena, lh);
        lh = copy;
        break;
      }
    }
    listCheck(arena, lh);
    expect(listLength(arena, lh)).toBe(model.length);
    expect(hex(listToArray(arena, lh))).toEqual(hex(model));
    expect(listListpackBytes(arena, lh)).toBe(model.reduce((n, v) => n + listpackEntrySize(v), 7));
  }
  expect(listMemoryUsage(arena, lh)).toBeGreaterThan(0);
  listFree(arena, lh);
  expect(arena.liveBlocks).toBe(baseline);
  expect(arena.allocatedBytes).toBe(baseBytes);
}

/** LIST_RUNS=10 multiplies the number of random runs (for a longer soak). */
const SCALE = Number(process.env.LIST_RUNS ?? 1);

describe('arena list vs array model', () => {
  it('small lists, small values', () => {
    const arena = new Arena();
    fc.assert(
      fc.property(fc.array(opArb(20, 0), { minLength: 20, maxLength: 80 }), (ops) => runOps(arena, ops)),
      { numRuns: 300 * SCALE },
    );
  });

  it('lists crossing node boundaries, with values longer than a node', () => {
    const arena = new Arena();
    fc.assert(
      fc.property(fc.array(opArb(3000, 1), { minLength: 15, maxLength: 40 }), (ops) => runOps(arena, ops)),
      { numRuns: 60 * SCALE },
    );
  });

  it('a long list stays packed and spans many nodes', () => {
    const arena = new Arena();
    const lh = listCreate(arena);
    const v = Buffer.from('element');
    for (let i = 0; i < 100_000; i++) listPush(arena, lh, i % 2 ? HEAD : TAIL, v, 0, v.length);
    listCheck(arena, lh);
    expect(listLength(arena, lh)).toBe(100_000);
    // 9 bytes per element: about 900 KB of payload in nodes of up to 8 KB.
    expect(listNodeCount(arena, lh)).toBeGreaterThan(100);
    expect(listNodeCount(arena, lh)).toBeLessThan(200);
    expect(listMemoryUsage(arena, lh)).toBeLessThan(100_000 * 9 * 1.5);
    // Removing every other element merges nodes back together.
    for (let i = 0; i < 100_000; i += 2) listSet(arena, lh, i, Buffer.from('x'), 0, 1);
    expect(listRemove(arena, lh, Buffer.from('x'), 0, 1, 0)).toBe(50_000);
    listCheck(arena, lh);
    expect(listNodeCount(arena, lh)).toBeLessThan(120);
    listFree(arena, lh);
    expect(arena.liveBlocks).toBe(0);
  });
  it('spills an insert into a neighbour node that has room', () => {
    const arena = new Arena();
    const lh = listCreate(arena);
    const [x1, p, y, z] = [Buffer.alloc(5000, 1), Buffer.alloc(4000, 2), Buffer.alloc(4158, 3), Buffer.from('z')];
    // Nodes: [x1] [p y] (nearly full) [z]
    for (const v of [x1, p, y, z]) listPush(arena, lh, TAIL, v, 0, v.length);
    expect(listNodeCount(arena, lh)).toBe(3);
    const before = Buffer.alloc(100, 4);
    const after = Buffer.from('after');
    expect(listInsert(arena, lh, HEAD, p, 0, p.length, before, 0, before.length)).toBe(true);
    expect(listInsert(arena, lh, TAIL, y, 0, y.length, after, 0, after.length)).toBe(true);
    listCheck(arena, lh);
    expect(listNodeCount(arena, lh)).toBe(3); // went to the neighbours, no new node
    expect(hex(listToArray(arena, lh))).toEqual(hex([x1, before, p, y, after, z]));
    listFree(arena, lh);
    expect(arena.liveBlocks).toBe(0);
  });
});

describe('list defragmentation (TypeOps.relocate)', () => {
  it('moves the header and any chosen nodes; links, counts and elements stay true', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (n, seed, moveHeader) => {
        const a = new Arena();
        const before = a.liveBlocks;
        const lh = listCreate(a);
        for (let i = 0; i < n; i++) {
          const e = Buffer.from(`element-${i}-`.repeat(1 + (i % 7)));
          listPush(a, lh, i % 3 === 0 ? HEAD : TAIL, e, 0, e.length);
        }
        const want = listToArray(a, lh);
        const asked = new Set<number>();
        const moving = (h: number): boolean => {
          expect(asked.has(h)).toBe(false);
          asked.add(h);
          return h === lh ? moveHeader : (Math.imul(h ^ seed, 0x9e3779b1) >>> 28) < 8;
        };
        const nlh = listOps.relocate!(a, lh, moving, 1000);
        expect(nlh !== lh).toBe(moveHeader);
        listCheck(a, nlh);
        expect(listToArray(a, nlh)).toEqual(want);
        listFree(a, nlh);
        expect(a.liveBlocks).toBe(before);
      }),
      { numRuns: 30 },
    );
  });
});
