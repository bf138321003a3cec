/**
 * The bit work of src/types/bitmap.ts against a bit-by-bit model, on random
 * strings at every alignment (the word loops start at the view's first
 * 4-byte boundary) and random ranges. Seeds are printed on failure.
 */
import { describe, expect, it } from 'vitest';
import { BitOp, bitop, countBits, findBit, getBit, getField, popcount, setBit, setField } from '../../src/types/bitmap.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';

const SEEDS = seedsFromEnv(3);

/** Bit i of the string at u8[off] (MSB first), 0 past n bytes. */
function bitAt(u8: Uint8Array, off: number, n: number, i: number): number {
  return Math.floor(i / 8) < n ? (u8[off + Math.floor(i / 8)]! >> (7 - (i % 8))) & 1 : 0;
}

/** A random string placed at a random offset of a larger buffer (so its alignment varies). */
function randomString(rng: Rng): { u8: Uint8Array; off: number; n: number } {
  const n = rng.chance(0.2) ? rng.int(8) : rng.int(300);
  const off = rng.int(9);
  const u8 = new Uint8Array(off + n + rng.int(9));
  const kind = rng.int(4);
  for (let i = 0; i < u8.length; i++) u8[i] = kind === 0 ? rng.u32() & 0xff : kind === 1 ? 0 : kind === 2 ? 0xff : rng.chance(0.02) ? 1 << rng.int(8) : 0;
  if (kind === 3 && rng.chance(0.5)) for (let i = 0; i < u8.length; i++) u8[i] ^= 0xff;
  return { u8, off, n };
}

describe('bitmap bit work against a bit-by-bit model', () => {
  it.each(SEEDS)('counts, finds, reads and writes bits and fields (seed %i)', (seed) => {
    const rng = new Rng(seed);
    for (let round = 0; round < 1500; round++) {
      const { u8, off, n } = randomString(rng);
      const what = `seed=${seed} round=${round} off=${off} n=${n}`;
      let ones = 0;
      for (let i = 0; i < n * 8; i++) ones += bitAt(u8, off, n, i);
      expect(popcount(u8, off, n), what).toBe(ones);
      if (n === 0) continue;
      const a = rng.int(n * 8);
      const b = a + rng.int(n * 8 - a);
      let inRange = 0;
      for (let i = a; i <= b; i++) inRange += bitAt(u8, off, n, i);
      expect(countBits(u8, off, a, b), `${what} countBits ${a}..${b}`).toBe(inRange);
      for (const bit of [0, 1]) {
        let first = -1;
        for (let i = a; i <= b && first < 0; i++) if (bitAt(u8, off, n, i) === bit) first = i;
        expect(findBit(u8, off, a, b, bit), `${what} findBit ${bit} ${a}..${b}`).toBe(first);
      }
      const pos = rng.int(n * 8 + 40);
      expect(getBit(u8, off, n, pos), `${what} getBit ${pos}`).toBe(bitAt(u8, off, n, pos));
      // A field may run past the end (zeros there); one that is written stays inside.
      const bits = 1 + rng.int(64);
      const fpos = rng.int(n * 8 + 16);
      let want = 0n;
      for (let i = 0; i < bits; i++) want = (want << 1n) | BigInt(bitAt(u8, off, n, fpos + i));
      expect(getField(u8, off, n, fpos, bits), `${what} getField ${fpos}/${bits}`).toBe(want);
      if (n * 8 >= bits) {
        const wpos = rng.int(n * 8 - bits + 1);
        const v = BigInt.asUintN(bits, BigInt(rng.u32()) * BigInt(rng.u32()) * BigInt(rng.u32()));
        const before = Uint8Array.from(u8);
        setField(u8, off, wpos, bits, v);
        expect(getField(u8, off, n, wpos, bits), `${what} setField ${wpos}/${bits}`).toBe(v);
        let changedOutside = -1;
        for (let i = 0; i < u8.length * 8 && changedOutside < 0; i++) {
          const inside = i >= off * 8 + wpos && i < off * 8 + wpos + bits;
          if (!inside && bitAt(u8, 0, u8.length, i) !== bitAt(before, 0, before.length, i)) changedOutside = i;
        }
        expect(changedOutside, `${what} setField ${wpos}/${bits} changed a bit outside the field`).toBe(-1);
        const p = rng.int(n * 8);
        const old = bitAt(u8, off, n, p);
        const on = rng.int(2);
        expect(setBit(u8, off, p, on)).toBe(old);
        expect(bitAt(u8, off, n, p)).toBe(on);
      }
    }
  });

  it.each(SEEDS)('BITOP of sources of any lengths and alignments, missing ones as zeros (seed %i)', (seed) => {
    const rng = new Rng(seed);
    for (let round = 0; round < 500; round++) {
      const op = rng.pick([BitOp.And, BitOp.Or, BitOp.Xor, BitOp.Not]);
      const count = op === BitOp.Not ? 1 : 1 + rng.int(4);
      const srcs = Array.from({ length: count }, () => {
        if (op !== BitOp.Not && rng.chance(0.1)) return null;
        const s = randomString(rng);
        return { u8: s.u8, off: s.off, len: s.n };
      });
      const maxlen = Math.max(0, ...srcs.map((s) => s?.len ?? 0));
      if (maxlen === 0) continue;
      const want = new Uint8Array(maxlen);
      const byte = (j: number, i: number): number => {
        const s = srcs[j];
        return s !== null && i < s.len ? s.u8[s.off + i]! : 0;
      };
      for (let i = 0; i < maxlen; i++) {
        let v = byte(0, i);
        if (op === BitOp.Not) v = ~v & 0xff;
        for (let j = 1; j < count; j++) v = op === BitOp.And ? v & byte(j, i) : op === BitOp.Or ? v | byte(j, i) : v ^ byte(j, i);
        want[i] = v;
      }
      expect(bitop(op, srcs, maxlen), `seed=${seed} round=${round} op=${op}`).toEqual(want);
    }
  });
});
