/**
 * Duplicate detection for the members, fields and sorted-set members the
 * reader loads (Redis refuses a value with duplicates: Shoal's types assume
 * there are none). Byte strings are bucketed by a 32-bit FNV-1a hash and
 * compared only on a hash match, which costs far less than turning every
 * element into a JS string for a Set; tiny collections compare pairwise.
 */
import { bytesEqual } from '../util/bytes.js';

const PAIRWISE_MAX = 8;

function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h;
}

/** Whether the byte strings (or the first of each tuple, with `key`) are all distinct. */
export function allDistinct<T>(items: readonly T[], key: (t: T) => Uint8Array): boolean {
  const n = items.length;
  if (n <= PAIRWISE_MAX) {
    for (let i = 1; i < n; i++) {
      const a = key(items[i]);
      for (let j = 0; j < i; j++) {
        const b = key(items[j]);
        if (bytesEqual(a, 0, a.length, b, 0, b.length)) return false;
      }
    }
    return true;
  }
  const seen = new Map<number, Uint8Array | Uint8Array[]>();
  for (let i = 0; i < n; i++) {
    const a = key(items[i]);
    const h = fnv1a(a);
    const prev = seen.get(h);
    if (prev === undefined) {
      seen.set(h, a);
    } else if (prev instanceof Uint8Array) {
      if (bytesEqual(a, 0, a.length, prev, 0, prev.length)) return false;
      seen.set(h, [prev, a]);
    } else {
      for (const b of prev) if (bytesEqual(a, 0, a.length, b, 0, b.length)) return false;
      prev.push(a);
    }
  }
  return true;
}
