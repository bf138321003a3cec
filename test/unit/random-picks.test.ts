/**
 * util/random-picks.ts: the distinct random picks behind SRANDMEMBER,
 * HRANDFIELD and ZRANDMEMBER with a positive count below the size.
 */
import { describe, expect, it } from 'vitest';
import { distinctRandomRefs, shuffledPrefix } from '../../src/util/random-picks.js';
import { Rng } from '../helpers/rng.js';

/** References that are not small indexes: block handles, some above 2^31. */
const REFS = Array.from({ length: 50 }, (_, i) => (0x7ffffff0 + i * 0x01000001) >>> 0);

function pick(size: number, count: number, rng: Rng, withOne: boolean): Int32Array {
  const refs = REFS.slice(0, size);
  return distinctRandomRefs(
    size,
    count,
    () => Int32Array.from(refs, (r) => r | 0),
    withOne ? () => refs[rng.int(size)]! : null,
    () => rng.next(),
  );
}

describe('distinctRandomRefs', () => {
  it('returns count distinct references of the collection, in both of Redis\'s strategies', () => {
    const rng = new Rng(7);
    const valid = new Set(REFS.map((r) => r | 0));
    for (const size of [2, 3, 10, 50]) {
      for (let count = 1; count < size; count++) {
        for (const withOne of [true, false]) {
          const got = pick(size, count, rng, withOne);
          expect(got.length).toBe(count);
          expect(new Set(got).size).toBe(count);
          for (const r of got) expect(valid.has(r)).toBe(true);
          for (const r of got) expect(REFS.indexOf(r >>> 0)).toBeLessThan(size);
        }
      }
    }
  });

  it('picks every reference about equally often (few of many: random picks; many: the shuffle)', () => {
    const rng = new Rng(11);
    for (const [size, count] of [[50, 5], [50, 30], [10, 9]] as const) {
      const seen = new Map<number, number>();
      const rounds = 4000;
      for (let k = 0; k < rounds; k++) for (const r of pick(size, count, rng, true)) seen.set(r, (seen.get(r) ?? 0) + 1);
      expect(seen.size).toBe(size);
      const expected = (rounds * count) / size;
      for (const n of seen.values()) {
        expect(n).toBeGreaterThan(expected * 0.8);
        expect(n).toBeLessThan(expected * 1.2);
      }
    }
  });
});

describe('shuffledPrefix', () => {
  it('keeps count of the references, each position equally likely to hold each one', () => {
    const rng = new Rng(3);
    const at0 = new Map<number, number>();
    for (let k = 0; k < 6000; k++) {
      const got = shuffledPrefix(Int32Array.of(0, 1, 2, 3, 4, 5), 3, () => rng.next());
      expect(new Set(got).size).toBe(3);
      at0.set(got[0]!, (at0.get(got[0]!) ?? 0) + 1);
    }
    for (const n of at0.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });
});
