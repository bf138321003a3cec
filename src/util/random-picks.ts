/**
 * Distinct random picks, for SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a
 * positive count below the collection's size. A collection names its
 * elements by references (int32: an index, a byte offset, a block handle);
 * which references is the caller's business.
 */

/**
 * `count` distinct references out of a collection of `size` (count < size),
 * chosen as Redis's "case 3" and "case 4" choose them: when count is more
 * than a third of size, or when there is no cheap random reference (`one`
 * null), `all` the references with `count` of them kept at random; otherwise
 * random references (`one`), repeats rejected, until there are `count`.
 */
export function distinctRandomRefs(
  size: number,
  count: number,
  all: () => Int32Array,
  one: (() => number) | null,
  rand: () => number = Math.random,
): Int32Array {
  if (one === null || count * 3 > size) return shuffledPrefix(all(), count, rand);
  const seen = new Set<number>();
  while (seen.size < count) seen.add(one() | 0);
  return Int32Array.from(seen);
}

/**
 * The first `count` elements of `refs` after a partial Fisher-Yates shuffle
 * (in place): `count` of them, each subset equally likely, in random order.
 */
export function shuffledPrefix(refs: Int32Array, count: number, rand: () => number = Math.random): Int32Array {
  const n = refs.length;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = refs[i];
    refs[i] = refs[j];
    refs[j] = t;
  }
  return refs.subarray(0, count);
}
