/**
 * Bit-level work on a string value's bytes: bitmaps are plain strings, so
 * these functions take a byte view (array, offset, length) and know nothing
 * of the keyspace. Bit 0 is the most significant bit of byte 0, as in Redis.
 *
 * Counting and searching go a 32-bit word at a time once the view is
 * aligned (a SWAR popcount whose per-byte sums are folded once every 31
 * words; a search that skips whole words of zeros or ones), so a long
 * bitmap costs a few operations per 4 bytes, not per bit.
 */
import { copyBytes } from '../util/bytes.js';

/** Set bits of each byte value. */
const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1];

/** Set bits in bytes [off, off + n) of u8. */
export function popcount(u8: Uint8Array, off: number, n: number): number {
  let count = 0;
  let i = off;
  const end = off + n;
  // Bytes up to a 4-byte boundary of the underlying buffer, then whole words.
  while (i < end && ((u8.byteOffset + i) & 3) !== 0) count += POP8[u8[i++]];
  const words = (end - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(u8.buffer, u8.byteOffset + i, words);
    let k = 0;
    while (k < words) {
      // Per-byte counts of up to 31 words summed (each ≤ 8, so ≤ 248: no carry), then folded once.
      const stop = Math.min(words, k + 31);
      let acc = 0;
      for (; k < stop; k++) {
        let v = w[k];
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        acc += (v & 0x0f0f0f0f) + ((v >>> 4) & 0x0f0f0f0f);
      }
      acc = (acc & 0x00ff00ff) + ((acc >>> 8) & 0x00ff00ff);
      count += (acc & 0xffff) + (acc >>> 16);
    }
    i += words * 4;
  }
  while (i < end) count += POP8[u8[i++]];
  return count;
}

/** Set bits among bits [sb, eb] (inclusive, eb within the view) of the string at u8[off]. */
export function countBits(u8: Uint8Array, off: number, sb: number, eb: number): number {
  const first = Math.floor(sb / 8);
  const last = Math.floor(eb / 8);
  let count = popcount(u8, off + first, last - first + 1);
  // Take back the bits of the edge bytes that lie outside the range.
  count -= POP8[u8[off + first] & ~(0xff >> sb % 8) & 0xff];
  count -= POP8[u8[off + last] & ((1 << (7 - (eb % 8))) - 1)];
  return count;
}

/** The first byte of [off, off + n) that is not `skip` (0 or 0xff), as an index from off, or -1. */
function firstByteNot(u8: Uint8Array, off: number, n: number, skip: number): number {
  let i = off;
  const end = off + n;
  while (i < end && ((u8.byteOffset + i) & 3) !== 0) {
    if (u8[i] !== skip) return i - off;
    i++;
  }
  const words = (end - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(u8.buffer, u8.byteOffset + i, words);
    let k = 0;
    // Two loops, each comparing with a constant: the fastest form V8 compiles.
    if (skip === 0) while (k < words && w[k] === 0) k++;
    else while (k < words && w[k] === 0xffffffff) k++;
    i += k * 4;
  }
  for (; i < end; i++) if (u8[i] !== skip) return i - off;
  return -1;
}

/**
 * The position of the first bit equal to `bit` among bits [sb, eb]
 * (inclusive, eb within the view) of the string at u8[off], or -1.
 */
export function findBit(u8: Uint8Array, off: number, sb: number, eb: number, bit: number): number {
  // Looking for a 1 in the bytes as they are, or for a 1 in their complement.
  const flip = bit === 1 ? 0 : 0xff;
  const first = Math.floor(sb / 8);
  const last = Math.floor(eb / 8);
  const headMask = 0xff >> sb % 8;
  const tailMask = (0xff << (7 - (eb % 8))) & 0xff;
  if (first === last) return firstOne(first, (u8[off + first] ^ flip) & headMask & tailMask);
  const head = (u8[off + first] ^ flip) & headMask;
  if (head !== 0) return firstOne(first, head);
  const mid = firstByteNot(u8, off + first + 1, last - first - 1, flip);
  if (mid >= 0) return firstOne(first + 1 + mid, u8[off + first + 1 + mid] ^ flip);
  return firstOne(last, (u8[off + last] ^ flip) & tailMask);
}

/** The bit position of the highest set bit of byte `v` at byte index `byte`, or -1 when v is 0. */
function firstOne(byte: number, v: number): number {
  return v === 0 ? -1 : byte * 8 + Math.clz32(v) - 24;
}

/** Bit at position `pos` of the string [off, off + n) (0 past its end). */
export function getBit(u8: Uint8Array, off: number, n: number, pos: number): number {
  const byte = Math.floor(pos / 8);
  if (byte >= n) return 0;
  return (u8[off + byte] >> (7 - (pos % 8))) & 1;
}

/** Sets bit `pos` of the string at u8[off] (within it) to `on`; returns its old value. */
export function setBit(u8: Uint8Array, off: number, pos: number, on: number): number {
  const i = off + Math.floor(pos / 8);
  const shift = 7 - (pos % 8);
  const old = (u8[i] >> shift) & 1;
  u8[i] = on !== 0 ? u8[i] | (1 << shift) : u8[i] & ~(1 << shift);
  return old;
}

/** The unsigned integer of `bits` bits (1..64) at bit `pos` of the string [off, off + n), zeros past its end. */
export function getField(u8: Uint8Array, off: number, n: number, pos: number, bits: number): bigint {
  let v = 0n;
  let rem = bits;
  while (rem > 0) {
    const byte = Math.floor(pos / 8);
    const bo = pos % 8;
    const take = Math.min(8 - bo, rem);
    const b = byte < n ? u8[off + byte] : 0;
    v = (v << BigInt(take)) | BigInt((b >> (8 - bo - take)) & ((1 << take) - 1));
    pos += take;
    rem -= take;
  }
  return v;
}

/** Writes the low `bits` bits of `v` (≥ 0) at bit `pos` of the string at u8[off] (within it). */
export function setField(u8: Uint8Array, off: number, pos: number, bits: number, v: bigint): void {
  let rem = bits;
  while (rem > 0) {
    const i = off + Math.floor(pos / 8);
    const bo = pos % 8;
    const take = Math.min(8 - bo, rem);
    const chunk = Number((v >> BigInt(rem - take)) & BigInt((1 << take) - 1));
    const shift = 8 - bo - take;
    const mask = ((1 << take) - 1) << shift;
    u8[i] = (u8[i] & ~mask) | (chunk << shift);
    pos += take;
    rem -= take;
  }
}

export const enum BitOp {
  And,
  Or,
  Xor,
  Not,
}

/** A source of BITOP: a byte view, or null for a missing key (all zeros). */
export interface BitSource {
  u8: Uint8Array;
  off: number;
  len: number;
}

/**
 * The result of BITOP over `srcs`, `maxlen` bytes long (the longest
 * source): shorter and missing sources count as zero bytes.
 */
export function bitop(op: BitOp, srcs: ReadonlyArray<BitSource | null>, maxlen: number): Uint8Array {
  const res = new Uint8Array(maxlen);
  if (op === BitOp.Not) {
    const s = srcs[0]!;
    copyBytes(res, 0, s.u8, s.off, s.len);
    const words = s.len >>> 2;
    const rw = new Uint32Array(res.buffer, res.byteOffset, words);
    for (let k = 0; k < words; k++) rw[k] = ~rw[k];
    for (let i = words * 4; i < s.len; i++) res[i] = ~res[i];
    return res;
  }
  if (op === BitOp.And) {
    const s0 = srcs[0];
    if (s0 === null) return res;
    copyBytes(res, 0, s0.u8, s0.off, s0.len);
    for (let j = 1; j < srcs.length; j++) {
      const s = srcs[j];
      if (s === null) return res.fill(0);
      combine(res, s, 0);
      res.fill(0, s.len);
    }
    return res;
  }
  for (const s of srcs) if (s !== null) combine(res, s, op === BitOp.Or ? 1 : 2);
  return res;
}

/** Where an unaligned source is copied (memmove) so that it can be combined a word at a time. */
let scratch = new Uint8Array(4096);

/** res[i] op= s[i] over s's bytes (0: AND, 1: OR, 2: XOR), a word at a time. */
function combine(res: Uint8Array, s: BitSource, how: number): void {
  const n = s.len;
  if (((s.u8.byteOffset + s.off) & 3) !== 0 && n >= 64) {
    // A value sits after its key in the entry, at any offset: a byte loop over arena memory
    // is ten times slower than copying it aside first.
    if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
    copyBytes(scratch, 0, s.u8, s.off, n);
    s = { u8: scratch, off: 0, len: n };
  }
  let i = 0;
  if (((s.u8.byteOffset + s.off) & 3) === 0 && n >= 16) {
    // res is a fresh buffer (aligned): both go word by word.
    const words = n >>> 2;
    const rw = new Uint32Array(res.buffer, res.byteOffset, words);
    const sw = new Uint32Array(s.u8.buffer, s.u8.byteOffset + s.off, words);
    if (how === 0) for (let k = 0; k < words; k++) rw[k] &= sw[k];
    else if (how === 1) for (let k = 0; k < words; k++) rw[k] |= sw[k];
    else for (let k = 0; k < words; k++) rw[k] ^= sw[k];
    i = words * 4;
  }
  const u8 = s.u8;
  const o = s.off;
  if (how === 0) for (; i < n; i++) res[i] &= u8[o + i];
  else if (how === 1) for (; i < n; i++) res[i] |= u8[o + i];
  else for (; i < n; i++) res[i] ^= u8[o + i];
}
