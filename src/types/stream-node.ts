/**
 * A stream node: one arena block holding a real Redis listpack, laid out as
 * t_stream.c lays out its nodes, so that node boundaries, trimming and RDB
 * payloads are Redis's byte for byte (docs/types/streams.md):
 *
 *   master entry: count | deleted | num-fields | field_1 … field_N | 0
 *   each entry:   flags | ms-diff | seq-diff | (values if SAMEFIELDS, else
 *                 num-fields | field value …) | lp-count
 *
 * IDs are relative to the node's master ID (kept in the stream's index,
 * where Redis keeps it as the radix tree key). These are the element-level
 * primitives: reading an element in place, appending, replacing an integer.
 */
import type { Arena } from 'native-free-arena';
import { offOf, segOf } from 'native-free-arena';
import { readIntLE } from '../persistence/int-codec.js';
import { LISTPACK_INT_MAX, putListpackElement, putListpackInt } from '../persistence/listpack.js';
import { copyBytes } from '../util/bytes.js';
import { parseInt64 } from '../util/numbers.js';

export const LP_HEADER = 6;
export const LP_EOF = 0xff;
export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;

/** What lpRead found: an integer (`isInt`, `int`) or a string (`off`, `len` in the segment), and where the next element starts. */
export const E = { isInt: false, int: 0 as number | bigint, off: 0, len: 0, next: 0 };

function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Reads the element at d[p] into E. */
export function lpRead(d: Uint8Array, p: number): void {
  const b = d[p];
  let l: number;
  if (b < 0x80) {
    E.isInt = true;
    E.int = b;
    l = 1;
  } else if (b < 0xc0) {
    E.isInt = false;
    E.off = p + 1;
    E.len = b & 0x3f;
    l = 1 + E.len;
  } else if (b < 0xe0) {
    E.isInt = true;
    const u = ((b & 0x1f) << 8) | d[p + 1];
    E.int = u >= 4096 ? u - 8192 : u;
    l = 2;
  } else if (b < 0xf0) {
    E.isInt = false;
    E.off = p + 2;
    E.len = ((b & 0x0f) << 8) | d[p + 1];
    l = 2 + E.len;
  } else if (b === 0xf0) {
    E.isInt = false;
    E.off = p + 5;
    E.len = (d[p + 1] | (d[p + 2] << 8) | (d[p + 3] << 16) | (d[p + 4] << 24)) >>> 0;
    l = 5 + E.len;
  } else {
    const n = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
    E.isInt = true;
    E.int = readIntLE(d, p + 1, n);
    l = 1 + n;
  }
  E.next = p + l + backlenSize(l);
}

/** The integer element at d[p] (a node's counters, flags and deltas are always integers); sets E.next. */
export function lpInt(d: Uint8Array, p: number): number {
  lpRead(d, p);
  return Number(E.int);
}

/** The integer element at d[p] exactly (ID deltas may need 64 bits). */
export function lpBigInt(d: Uint8Array, p: number): bigint {
  lpRead(d, p);
  return typeof E.int === 'bigint' ? E.int : BigInt(E.int);
}

/** Position after the element at d[p]. */
export function lpSkip(d: Uint8Array, p: number): number {
  lpRead(d, p);
  return E.next;
}

const DIGITS = new TextEncoder();

/** Digits of the small integers, made once each (values such as counters repeat in every entry). */
const SMALL: Uint8Array[] = [];
const SMALL_MAX = 4096;

/** The element at d[p] as bytes: a view of the segment for a string, the decimal digits of an integer. */
export function lpBytes(d: Uint8Array, p: number): Uint8Array {
  lpRead(d, p);
  if (!E.isInt) return d.subarray(E.off, E.off + E.len);
  const v = E.int;
  if (typeof v === 'number' && v >= 0 && v < SMALL_MAX) return (SMALL[v] ??= DIGITS.encode(String(v)));
  return DIGITS.encode(String(v));
}

/** Whether the element at d[p] holds the bytes u8[off, off+len) (an integer compares by its digits). */
export function lpEquals(d: Uint8Array, p: number, u8: Uint8Array, off: number, len: number): boolean {
  lpRead(d, p);
  if (!E.isInt) {
    if (E.len !== len) return false;
    for (let i = 0; i < len; i++) if (d[E.off + i] !== u8[off + i]) return false;
    return true;
  }
  const v = parseInt64(u8, off, len);
  return v !== null && len <= 20 && BigInt(v) === BigInt(E.int);
}

/** Total bytes of the listpack in block h (its header's count). */
export function lpTotal(a: Arena, h: number): number {
  const d = a.u8[segOf(h)];
  const o = offOf(h);
  return (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;
}

function setTotal(d: Uint8Array, o: number, total: number): void {
  d[o] = total & 0xff;
  d[o + 1] = (total >>> 8) & 0xff;
  d[o + 2] = (total >>> 16) & 0xff;
  d[o + 3] = total >>> 24;
}

/** Adds n to the listpack's element count unless it is already "unknown" (65535), as lpInsert does. */
function addCount(d: Uint8Array, o: number, n: number): void {
  const c = d[o + 4] | (d[o + 5] << 8);
  if (c === 65535) return;
  const next = Math.min(c + n, 65535);
  d[o + 4] = next & 0xff;
  d[o + 5] = next >>> 8;
}

/**
 * Elements being written (a node's new entry, or a new node): a scratch
 * buffer reused by every append, so an XADD allocates nothing for them.
 * Elements go from LP_HEADER on, leaving room for a listpack header.
 */
export const W = { buf: new Uint8Array(1024), pos: LP_HEADER, count: 0 };

/** Starts a new run of elements in W. */
export function wReset(): void {
  W.pos = LP_HEADER;
  W.count = 0;
}

function wReserve(n: number): void {
  if (W.pos + n <= W.buf.length) return;
  const next = new Uint8Array(Math.max(W.buf.length * 2, W.pos + n));
  copyBytes(next, 0, W.buf, 0, W.pos);
  W.buf = next;
}

/** Appends an integer element with its smallest encoding (as lpAppendInteger). */
export function wInt(v: number | bigint): void {
  wReserve(LISTPACK_INT_MAX);
  W.pos += putListpackInt(W.buf, W.pos, v);
  W.count++;
}

/** Appends u8[off, off+len) as lpAppend stores it: as an integer when it reads as one, else a string. */
export function wStr(u8: Uint8Array, off: number, len: number): void {
  wReserve(len + 10);
  W.pos += putListpackElement(W.buf, W.pos, u8, off, len);
  W.count++;
}

/** A new node block: a listpack of the elements in W. */
export function nodeFromW(a: Arena): number {
  const total = W.pos + 1;
  const h = a.alloc(total);
  const d = a.u8[segOf(h)];
  const o = offOf(h);
  copyBytes(d, o + LP_HEADER, W.buf, LP_HEADER, W.pos - LP_HEADER);
  d[o + total - 1] = LP_EOF;
  setTotal(d, o, total);
  d[o + 4] = 0;
  d[o + 5] = 0;
  addCount(d, o, W.count);
  return h;
}

/** A new node block holding the listpack `lp` (bytes read from a payload). */
export function nodeFrom(a: Arena, lp: Uint8Array): number {
  const h = a.alloc(lp.length);
  copyBytes(a.u8[segOf(h)], offOf(h), lp, 0, lp.length);
  return h;
}

/** Appends the elements in W to node h; returns its handle, which may change. */
export function nodeAppendW(a: Arena, h: number): number {
  const total = lpTotal(a, h);
  const add = W.pos - LP_HEADER;
  const nh = a.realloc(h, total + add);
  const d = a.u8[segOf(nh)];
  const o = offOf(nh);
  copyBytes(d, o + total - 1, W.buf, LP_HEADER, add);
  d[o + total - 1 + add] = LP_EOF;
  setTotal(d, o, total + add);
  addCount(d, o, W.count);
  return nh;
}

const INT = new Uint8Array(16);

/**
 * Replaces the integer element at byte `rel` of node h (relative to the
 * block) with v, moving the rest when the encoding's size changes; returns
 * the handle, which may change.
 */
export function nodeReplaceInt(a: Arena, h: number, rel: number, v: number | bigint): number {
  let d = a.u8[segOf(h)];
  let o = offOf(h);
  lpRead(d, o + rel);
  const oldLen = E.next - (o + rel);
  const newLen = putListpackInt(INT, 0, v);
  const total = lpTotal(a, h);
  if (newLen > oldLen) {
    h = a.realloc(h, total + newLen - oldLen);
    d = a.u8[segOf(h)];
    o = offOf(h);
  }
  if (newLen !== oldLen) copyBytes(d, o + rel + newLen, d, o + rel + oldLen, total - rel - oldLen);
  copyBytes(d, o + rel, INT, 0, newLen);
  setTotal(d, o, total + newLen - oldLen);
  return h;
}

