/**
 * Command latency histograms as Redis keeps them (an HdrHistogram with two
 * significant figures, in nanoseconds): a value is counted in its
 * equivalence range, and percentiles and LATENCY HISTOGRAM's buckets are
 * read back the way hdr_value_at_percentile and the log iterator read
 * them, so the figures print as Redis prints them.
 */
const SUB_BUCKET_BITS = 8; // 2 significant figures: 2 · 10² rounded up to a power of two
const HALF_BITS = SUB_BUCKET_BITS - 1;

/** The width of the range of values counted as equal to v. */
function rangeSize(v: number): number {
  const magnitude = v < 1 << SUB_BUCKET_BITS ? 0 : Math.floor(Math.log2(v)) - HALF_BITS;
  return 2 ** magnitude;
}

function lowestEquivalent(v: number): number {
  const size = rangeSize(v);
  return Math.floor(v / size) * size;
}

function highestEquivalent(v: number): number {
  return lowestEquivalent(v) + rangeSize(v) - 1;
}

/** Counts by lowest equivalent value (ns). */
export type Histogram = Map<number, number>;

export function record(h: Histogram, ns: number): void {
  const v = lowestEquivalent(Math.max(1, Math.round(ns)));
  h.set(v, (h.get(v) ?? 0) + 1);
}

export function total(h: Histogram): number {
  let n = 0;
  for (const c of h.values()) n += c;
  return n;
}

/** Adds b's counts to a. */
export function merge(a: Histogram, b: Iterable<[number, number]>): void {
  for (const [v, c] of b) a.set(v, (a.get(v) ?? 0) + c);
}

/** The value (ns) at a percentile, as hdr_value_at_percentile. */
export function valueAtPercentile(h: Histogram, percentile: number): number {
  const n = total(h);
  if (n === 0) return 0;
  const wanted = Math.max(1, Math.floor((Math.min(percentile, 100) / 100) * n + 0.5));
  let seen = 0;
  for (const v of [...h.keys()].sort((a, b) => a - b)) {
    seen += h.get(v)!;
    if (seen >= wanted) return highestEquivalent(v);
  }
  return 0;
}

/** LATENCY HISTOGRAM's cumulative buckets: [µs, calls at or under it], for buckets where the count grew (1 µs, 2, 4 …). */
export function cumulativeBuckets(h: Histogram): [number, number][] {
  const out: [number, number][] = [];
  const values = [...h.keys()].sort((a, b) => a - b);
  const n = total(h);
  let seen = 0;
  let i = 0;
  let previous = 0;
  for (let level = 1024; seen < n; level *= 2) {
    const top = highestEquivalent(level);
    while (i < values.length && values[i] <= top) seen += h.get(values[i++])!;
    if (seen > previous) out.push([Math.floor(top / 1000), seen]);
    previous = seen;
  }
  return out;
}
