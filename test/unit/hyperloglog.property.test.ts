/**
 * The HyperLogLog representation (src/types/hyperloglog.ts) against plain
 * models: MurmurHash64A and the register/count split against a BigInt
 * rendering of the algorithm; dense registers against an array; sparse
 * values, fed random register raises under random hll-sparse-max-bytes,
 * against an array of registers (every step: same registers, "changed"
 * exactly when a register rose, promotion only when a value above 32 or
 * growth past the limit asks for it); counts and merges of a sparse value
 * equal those of its dense form and of the model's registers.
 *
 *   FC_RUNS=1000   more random runs
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertProperty } from '../helpers/property.js';
import {
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_HASH_SEED,
  HLL_REGISTERS,
  SparseHll,
  SparseSet,
  cacheValid,
  denseGet,
  denseRaise,
  denseSet,
  hllCount,
  hllEncoding,
  hllPatLen,
  hllSelfTest,
  isHll,
  mergeInto,
  murmurHash64A,
  newSparseHll,
  rawCount,
  sparseSet,
  sparseToDense,
} from '../../src/types/hyperloglog.js';

const RUNS = Number(process.env.FC_RUNS ?? 100);
const MASK = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

/** MurmurHash64A written the obvious way, with BigInt. */
function murmurModel(data: Uint8Array, seed: bigint): bigint {
  let h = (seed ^ ((BigInt(data.length) * M) & MASK)) & MASK;
  const blocks = data.length & ~7;
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data[i + j]!);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const tail = data.length & 7;
  if (tail > 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]!) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

function patLenModel(data: Uint8Array): [number, number] {
  let hash = murmurModel(data, BigInt(HLL_HASH_SEED));
  const index = Number(hash & 16383n);
  hash >>= 14n;
  hash |= 1n << 50n;
  let count = 1;
  while ((hash & 1n) === 0n) {
    count++;
    hash >>= 1n;
  }
  return [index, count];
}

/** The registers of an HLL value, dense or sparse. */
function registersOf(u8: Uint8Array, len: number): Uint8Array {
  const dense = hllEncoding(u8, 0) === 0 ? u8 : sparseToDense(u8, 0, len);
  expect(dense).not.toBeNull();
  const out = new Uint8Array(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(dense!, HLL_HDR_SIZE, i);
  return out;
}

/** Register arrays are equal (the first difference is reported; deep equality of 16384 numbers is slow). */
function expectSameRegisters(a: Uint8Array, b: Uint8Array): void {
  let i = 0;
  while (i < HLL_REGISTERS && a[i] === b[i]) i++;
  expect(i < HLL_REGISTERS ? `register ${i}: ${a[i]} vs ${b[i]}` : 'same').toBe('same');
}

/** A register index: mostly spread out, sometimes crowded at the edges (first, last, neighbours). */
const index = fc.oneof(fc.integer({ min: 0, max: HLL_REGISTERS - 1 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: HLL_REGISTERS - 40, max: HLL_REGISTERS - 1 }));
/** A count as hllPatLen gives them: small ones far more often, up to 51. */
const count = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 32 }) }, { weight: 1, arbitrary: fc.integer({ min: 33, max: 51 }) });

describe('HyperLogLog representation', () => {
  it('MurmurHash64A and the register/count split equal a BigInt model', () => {
    assertProperty(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.integer({ min: 0, max: 0xffffffff }), (data, seed) => {
        expect(murmurHash64A(data, 0, data.length, seed)).toBe(murmurModel(data, BigInt(seed)));
        const pl = hllPatLen(data, 0, data.length);
        expect([pl >>> 8, pl & 0xff]).toEqual(patLenModel(data));
      }),
      RUNS * 10,
    );
  });

  it('dense registers read back what was written, and never touch the byte after them', () => {
    assertProperty(
      fc.property(fc.array(fc.tuple(index, fc.integer({ min: 0, max: 63 })), { maxLength: 300 }), (sets) => {
        const regs = new Uint8Array(HLL_DENSE_SIZE - HLL_HDR_SIZE + 1);
        regs[regs.length - 1] = 0xa5;
        const model = new Uint8Array(HLL_REGISTERS);
        for (const [i, v] of sets) {
          denseSet(regs, 0, i, v);
          model[i] = v;
        }
        for (let i = 0; i < HLL_REGISTERS; i++) if (denseGet(regs, 0, i) !== model[i]) expect([i, denseGet(regs, 0, i)]).toEqual([i, model[i]]);
        expect(regs[regs.length - 1]).toBe(0xa5);
      }),
      RUNS,
    );
  });

  it('a sparse value raised at random keeps the registers of a plain model, through promotion', () => {
    assertProperty(
      fc.property(fc.array(fc.tuple(index, count), { maxLength: 400 }), fc.constantFrom(0, 30, 100, 300, 3000, 100_000), (raises, maxBytes) => {
        const model = new Uint8Array(HLL_REGISTERS);
        const sparse = new SparseHll().load(newSparseHll(), 0, HLL_HDR_SIZE + 2);
        let dense: Uint8Array | null = null;
        for (const [i, c] of raises) {
          const rises = c > model[i]!;
          if (rises) model[i] = c;
          if (dense !== null) {
            expect(denseRaise(dense, HLL_HDR_SIZE, i, c)).toBe(rises);
            continue;
          }
          const before = sparse.len;
          const r = sparseSet(sparse, i, c, maxBytes);
          if (r === SparseSet.Promote) {
            // Only a value sparse cannot hold, or growth past the limit, promotes.
            expect(rises).toBe(true);
            dense = sparseToDense(sparse.u8, 0, sparse.len)!;
            expect(dense).not.toBeNull();
            expect(denseRaise(dense, HLL_HDR_SIZE, i, c)).toBe(true);
            continue;
          }
          expect(r).toBe(rises ? SparseSet.Changed : SparseSet.Unchanged);
          if (rises) {
            expect(cacheValid(sparse.u8, 0)).toBe(false);
            expect(sparse.len <= Math.max(before, maxBytes)).toBe(true);
          } else expect(sparse.len).toBe(before);
          expect(isHll(sparse.u8, 0, sparse.len)).toBe(true);
        }
        const value = dense ?? sparse.u8.subarray(0, sparse.len);
        expectSameRegisters(registersOf(value, value.length), model);
        // Counting and merging see the same registers whatever the encoding.
        expect(hllCount(value, 0, value.length)).toBe(rawCount(model));
        const merged = new Uint8Array(HLL_REGISTERS);
        expect(mergeInto(merged, value, 0, value.length)).toBe(true);
        expectSameRegisters(merged, model);
        if (dense === null) {
          const asDense = sparseToDense(sparse.u8, 0, sparse.len)!;
          expect(hllCount(asDense, 0, asDense.length)).toBe(hllCount(sparse.u8, 0, sparse.len));
        }
      }),
      RUNS,
    );
  });

  it('a sparse value edited in place (in an arena block with little room) ends as the same bytes as one edited in a buffer of its own', () => {
    assertProperty(
      fc.property(fc.array(fc.tuple(index, fc.integer({ min: 1, max: 32 })), { maxLength: 200 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 8 }), (raises, base, slack) => {
        const fresh = newSparseHll();
        const own = new SparseHll().load(fresh, 0, fresh.length);
        const arena = new Uint8Array(base + fresh.length + slack + 16).fill(0xee);
        arena.set(fresh, base);
        const cap = fresh.length + slack;
        const inPlace = new SparseHll().edit(arena, base, fresh.length, cap);
        for (const [i, c] of raises) {
          expect(sparseSet(inPlace, i, c, 1 << 20)).toBe(sparseSet(own, i, c, 1 << 20));
          expect(Buffer.from(inPlace.u8.subarray(inPlace.base, inPlace.base + inPlace.len)).equals(Buffer.from(own.u8.subarray(0, own.len)))).toBe(true);
        }
        // Nothing was written past the block's room, nor before it.
        for (let j = base + cap; j < arena.length; j++) expect(arena[j]).toBe(0xee);
        for (let j = 0; j < base; j++) expect(arena[j]).toBe(0xee);
        expect(inPlace.moved).toBe(inPlace.u8 !== arena);
      }),
      RUNS,
    );
  });

  it('adding elements to a sparse and to a dense HLL gives the same registers and count', () => {
    assertProperty(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 500 }), (elements) => {
        const sparse = new SparseHll().load(newSparseHll(), 0, HLL_HDR_SIZE + 2);
        const dense = sparseToDense(newSparseHll(), 0, HLL_HDR_SIZE + 2)!;
        let promoted = false;
        for (const e of elements) {
          const pl = hllPatLen(e, 0, e.length);
          denseRaise(dense, HLL_HDR_SIZE, pl >>> 8, pl & 0xff);
          if (!promoted && sparseSet(sparse, pl >>> 8, pl & 0xff, 1 << 20) === SparseSet.Promote) promoted = true;
        }
        if (!promoted) {
          expectSameRegisters(registersOf(sparse.u8, sparse.len), registersOf(dense, dense.length));
          expect(hllCount(sparse.u8, 0, sparse.len)).toBe(hllCount(dense, 0, dense.length));
        }
      }),
      RUNS,
    );
  });

  it('a sparse value whose registers do not add up to 16384 is refused', () => {
    assertProperty(
      fc.property(fc.integer({ min: 1, max: 2 * HLL_REGISTERS }).filter((n) => n !== HLL_REGISTERS), (n) => {
        const ops: number[] = [];
        for (let left = n; left > 0; ) {
          const l = Math.min(left, 16384);
          ops.push(0x40 | ((l - 1) >> 8), (l - 1) & 0xff);
          left -= l;
        }
        const v = new Uint8Array([...newSparseHll().subarray(0, HLL_HDR_SIZE), ...ops]);
        expect(hllCount(v, 0, v.length)).toBe(-1);
        expect(sparseToDense(v, 0, v.length)).toBeNull();
        expect(mergeInto(new Uint8Array(HLL_REGISTERS), v, 0, v.length)).toBe(false);
      }),
      RUNS,
    );
  });

  it('recognises HLL headers as Redis does', () => {
    const sparse = newSparseHll();
    expect(isHll(sparse, 0, sparse.length)).toBe(true);
    expect(isHll(sparse, 0, 15)).toBe(false);
    const dense = sparseToDense(sparse, 0, sparse.length)!;
    expect(dense.length).toBe(12304);
    expect(isHll(dense, 0, dense.length)).toBe(true);
    expect(isHll(dense, 0, dense.length - 1)).toBe(false);
    const bad = Uint8Array.from(sparse);
    bad[4] = 2;
    expect(isHll(bad, 0, bad.length)).toBe(false);
    bad[4] = 1;
    bad[0] = 104;
    expect(isHll(bad, 0, bad.length)).toBe(false);
  });

  it('estimates: empty is 0, and PFSELFTEST passes', () => {
    expect(rawCount(new Uint8Array(HLL_REGISTERS))).toBe(0);
    const sparse = newSparseHll();
    expect(hllCount(sparse, 0, sparse.length)).toBe(0);
    expect(hllSelfTest()).toBeNull();
  });
});
