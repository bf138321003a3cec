/**
 * Merging the parts of a command that ran on several shards. Each part is
 * the RESP reply one shard wrote for its share of the keys; a merger turns
 * the parts (indexed by shard) into the one reply the client sees, the way
 * Redis's command tips describe (agg_sum, all_succeeded, ...).
 */
import type { ReplyWriter } from '../protocol/reply-writer.js';

/** Combines the parts of a reply that several shards produced (indexed by shard) into one reply. */
export type Merger = (parts: (Uint8Array | null)[], w: ReplyWriter) => void;

/** Returns the first part that is an error reply, if any. */
function firstError(parts: (Uint8Array | null)[]): Uint8Array | null {
  for (const p of parts) if (p !== null && p[0] === 45) return p;
  return null;
}

/** Position after the CRLF that ends the line starting at `from` (set by readInt). */
let lineEnd = 0;

/** Reads the signed decimal number from `from` to the end of its line, without allocating. */
function readInt(u8: Uint8Array, from: number): number {
  let i = from;
  let neg = false;
  if (u8[i] === 45) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < u8.length && u8[i] !== 13; i++) n = n * 10 + (u8[i] - 48);
  lineEnd = i + 2;
  return neg ? -n : n;
}

/** Sum of integer replies (DEL, EXISTS, TOUCH, UNLINK, DBSIZE). */
export const mergeSum: Merger = (parts, w) => {
  const err = firstError(parts);
  if (err) return w.raw(err);
  let sum = 0;
  for (const p of parts) if (p !== null) sum += readInt(p, 1);
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
    total += readInt(p, 1);
    bodies.push([p, lineEnd]);
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
  readInt(u8, 1);
  let pos = lineEnd;
  while (pos < u8.length) {
    const start = pos;
    const t = u8[pos];
    if (t === 36 /* $ */) {
      const n = readInt(u8, pos + 1);
      pos = n < 0 ? lineEnd : lineEnd + n + 2;
    } else {
      while (u8[pos] !== 13) pos++;
      pos += 2;
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
    // Walk each part's elements in step with the key order: no index arrays needed.
    const pos = new Array<number>(parts.length).fill(0);
    for (let s = 0; s < parts.length; s++) {
      const p = parts[s];
      if (p !== null) {
        readInt(p, 1);
        pos[s] = lineEnd;
      }
    }
    w.array(order.length);
    for (const s of order) {
      const p = parts[s]!;
      const start = pos[s];
      let end: number;
      if (p[start] === 36) {
        const n = readInt(p, start + 1);
        end = n < 0 ? lineEnd : lineEnd + n + 2;
      } else {
        end = start;
        while (p[end] !== 13) end++;
        end += 2;
      }
      w.raw(p, start, end - start);
      pos[s] = end;
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
    const count = readInt(p, els[0][0] + 1);
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

/** The body of a bulk-string reply as text (internal JSON replies). */
export function bulkText(p: Uint8Array): string {
  readInt(p, 1);
  return Buffer.from(p.subarray(lineEnd, p.length - 2)).toString('utf8');
}

