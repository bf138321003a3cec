/**
 * Merging the parts of a command that ran on several shards. Each part is
 * the RESP reply one shard wrote for its share of the keys; a merger turns
 * the parts (indexed by shard) into the one reply the client sees, the way
 * Redis's command tips describe (agg_sum, all_succeeded, ...).
 */
import { ReplyWriter } from '../protocol/reply-writer.js';

export type Merger = (parts: (Uint8Array | null)[], w: ReplyWriter) => void;

const encoder = new TextEncoder();

/** Returns the first part that is an error reply, if any. */
function firstError(parts: (Uint8Array | null)[]): Uint8Array | null {
  for (const p of parts) if (p !== null && p[0] === 45) return p;
  return null;
}

function readLine(u8: Uint8Array, from: number): [string, number] {
  let i = from;
  while (i < u8.length && u8[i] !== 13) i++;
  return [Buffer.from(u8.subarray(from, i)).toString('latin1'), i + 2];
}

/** Sum of integer replies (DEL, EXISTS, TOUCH, UNLINK, DBSIZE). */
export const mergeSum: Merger = (parts, w) => {
  const err = firstError(parts);
  if (err) return w.raw(err);
  let sum = 0;
  for (const p of parts) if (p !== null) sum += Number(readLine(p, 1)[0]);
  w.int(sum);
};

/** +OK unless a part failed (MSET, FLUSHDB, FLUSHALL, SWAPDB). */
export const mergeAllOk: Merger = (parts, w) => {
  const err = firstError(parts);
  if (err) return w.raw(err);
  w.ok();
};

/** Concatenation of array replies (KEYS). */
export const mergeConcat: Merger = (parts, w) => {
  const err = firstError(parts);
  if (err) return w.raw(err);
  let total = 0;
  const bodies: [Uint8Array, number][] = [];
  for (const p of parts) {
    if (p === null) continue;
    const [n, body] = readLine(p, 1);
    total += Number(n);
    bodies.push([p, body]);
  }
  w.array(total);
  for (const [p, body] of bodies) w.raw(p, body, p.length - body);
};

/**
 * Byte ranges of the elements of a flat array reply whose elements are bulk
 * strings, nulls, integers or simple strings.
 */
export function splitFlatArray(u8: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let [, pos] = readLine(u8, 0);
  while (pos < u8.length) {
    const start = pos;
    const t = u8[pos];
    const [hdr, next] = readLine(u8, pos + 1);
    if (t === 36 /* $ */) {
      const n = Number(hdr);
      pos = n < 0 ? next : next + n + 2;
    } else {
      pos = next;
    }
    out.push([start, pos]);
  }
  return out;
}

/**
 * MGET across shards: `order[i] = shard` of the i-th key; each shard's part
 * lists its keys' values in the order they were sent.
 */
export function mergeInterleave(order: number[]): Merger {
  return (parts, w) => {
    const err = firstError(parts);
    if (err) return w.raw(err);
    const split = parts.map((p) => (p === null ? [] : splitFlatArray(p)));
    const next = new Array<number>(parts.length).fill(0);
    w.array(order.length);
    for (const s of order) {
      const [a, b] = split[s][next[s]++];
      w.raw(parts[s]!, a, b - a);
    }
  };
}

/** RANDOMKEY: every shard answers [its key count, a random key]; pick one weighted by count. */
export const mergeRandomKey: Merger = (parts, w) => {
  const err = firstError(parts);
  if (err) return w.raw(err);
  const candidates: { count: number; key: [Uint8Array, number, number] }[] = [];
  let total = 0;
  for (const p of parts) {
    if (p === null) continue;
    const els = splitFlatArray(p);
    const count = Number(readLine(p, els[0][0] + 1)[0]);
    const [ks, ke] = els[1];
    if (count > 0 && p[ks] === 36 && p[ks + 1] !== 45) {
      candidates.push({ count, key: [p, ks, ke - ks] });
      total += count;
    }
  }
  if (total === 0) return w.nullBulk();
  let r = Math.random() * total;
  for (const c of candidates) {
    r -= c.count;
    if (r < 0 || c === candidates[candidates.length - 1]) return w.raw(...c.key);
  }
};

/** MSETNX, phase one: how many of the keys exist across the shards. */
export function sumOf(parts: (Uint8Array | null)[]): number {
  let sum = 0;
  for (const p of parts) if (p !== null && p[0] === 58) sum += Number(readLine(p, 1)[0]);
  return sum;
}

/** The body of a bulk-string reply as text (internal JSON replies). */
export function bulkText(p: Uint8Array): string {
  const [, body] = readLine(p, 1);
  return Buffer.from(p.subarray(body, p.length - 2)).toString('utf8');
}

export { encoder };
