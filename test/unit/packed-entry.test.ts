/**
 * The packed entry codec shared by list nodes, small sorted sets, hashes and
 * small sets (src/types/packed-entry.ts): lengths on each side of the field
 * size boundaries written and read back, forwards and from the trailer, with
 * the exact bytes the arena holds.
 */
import { describe, expect, it } from 'vitest';
import {
  fieldSizeOf,
  isShortestField,
  lenSize,
  readLen,
  readLenBefore,
  writeLen,
  writeLenTrailer,
} from '../../src/types/packed-entry.js';

const LENGTHS = [0, 1, 127, 128, 129, 16383, 16384, 65536, 2 ** 29, 2 ** 32 - 1];

describe('packed entry length fields', () => {
  it('takes 1, 2 or 5 bytes', () => {
    expect(LENGTHS.map(lenSize)).toEqual([1, 1, 1, 2, 2, 2, 5, 5, 5, 5]);
  });

  it('writes the documented bytes', () => {
    const d = new Uint8Array(8);
    expect(writeLen(d, 0, 5)).toBe(1);
    expect([...d.subarray(0, 1)]).toEqual([5]);
    expect(writeLen(d, 0, 300)).toBe(2);
    expect([...d.subarray(0, 2)]).toEqual([0x80 | 1, 44]);
    expect(writeLen(d, 0, 0x01020304)).toBe(5);
    expect([...d.subarray(0, 5)]).toEqual([0xc0, 4, 3, 2, 1]);
    expect(writeLenTrailer(d, 0, 300)).toBe(2);
    expect([...d.subarray(0, 2)]).toEqual([44, 0x80 | 1]);
    expect(writeLenTrailer(d, 0, 0x01020304)).toBe(5);
    expect([...d.subarray(0, 5)]).toEqual([4, 3, 2, 1, 0xc0]);
  });

  it('reads back every length, forwards from the field and backwards from the trailer', () => {
    const d = new Uint8Array(16);
    for (const n of LENGTHS) {
      const fs = writeLen(d, 3, n);
      expect([n, fs, fieldSizeOf(d[3]), readLen(d, 3), isShortestField(d, 3)]).toEqual([n, lenSize(n), lenSize(n), n, true]);
      const ts = writeLenTrailer(d, 3, n);
      expect([n, ts, fieldSizeOf(d[3 + ts - 1]), readLenBefore(d, 3 + ts)]).toEqual([n, lenSize(n), lenSize(n), n]);
    }
  });

  it('tells a field longer than needed', () => {
    expect(isShortestField(Uint8Array.of(0x80, 5), 0)).toBe(false);
    expect(isShortestField(Uint8Array.of(0xc0, 200, 0, 0, 0), 0)).toBe(false);
    expect(isShortestField(Uint8Array.of(0xc0, 0, 0x40, 0, 0), 0)).toBe(true);
  });
});
