/**
 * Longest common subsequence exactly as Redis 7.0's LCS command computes it
 * (the classic dynamic-programming table, then a walk back from the end), so
 * that the chosen subsequence and the reported match ranges are identical to
 * Redis's, including the order of the ranges (from the end of the strings
 * towards the start) and the tie-breaking when several LCSs exist.
 *
 * Memory: like Redis, the full table of (alen+1)*(blen+1) uint32 cells is
 * allocated even when only the length is wanted, and the caller refuses
 * beforehand, as Redis does, when that many bytes ({@link lcsTableBytes})
 * exceed proto-max-bulk-len ("ERR Insufficient memory, transient memory for
 * LCS exceeds proto-max-bulk-len"). Redis's other refusals are not
 * reproduced: strings of UINT32_MAX-1 bytes or more ("ERR String too long
 * for LCS") never pass that check with proto-max-bulk-len below 16 GiB, and
 * a failed allocation, which Redis reports as "ERR Insufficient memory,
 * failed allocating transient memory for LCS", makes {@link lcs} throw a
 * RangeError (the shard answers it as an internal error).
 */

/**
 * One match range: a[a[0]..a[1]] == b[b[0]..b[1]] (inclusive ends, as LCS IDX
 * prints them); len = a[1] - a[0] + 1 (what WITHMATCHLEN prints).
 */
export interface LcsMatch {
  a: [number, number];
  b: [number, number];
  len: number;
}

export interface LcsResult {
  /** The LCS itself (the plain LCS reply). */
  string: Uint8Array;
  /** Its length (LCS ... LEN, and "len" of the IDX reply). */
  length: number;
  /**
   * The "matches" of LCS ... IDX in Redis's order (last range of the strings
   * first), filtered by minMatchLen when one was given.
   */
  matches: LcsMatch[];
}

/** Bytes of the table Redis allocates for strings of these lengths: (alen+1)*(blen+1)*4. */
export function lcsTableBytes(alen: number, blen: number): number {
  return (alen + 1) * (blen + 1) * 4;
}

/**
 * Computes the LCS of a and b with Redis's algorithm. `minMatchLen` filters
 * the reported ranges as MINMATCHLEN does (0 or negative: no filter; Redis
 * clamps negative values to 0). The walk back finds the ranges anyway (it
 * builds the LCS string too); `wantMatches: false` only skips collecting
 * them (LCS without IDX).
 */
export function lcs(a: Uint8Array, b: Uint8Array, minMatchLen = 0, wantMatches = true): LcsResult {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  // Row-major like Redis: LCS(i,j) at j + i*(blen+1). Row 0 and column 0 are 0.
  const t = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) {
        t[row + j] = t[prev + j - 1]! + 1;
      } else {
        const up = t[prev + j]!;
        const left = t[row + j - 1]!;
        t[row + j] = up > left ? up : left;
      }
    }
  }

  const total = t[alen * w + blen]!;
  const out = new Uint8Array(total);
  const matches: LcsMatch[] = [];
  let idx = total;
  // arangeStart === alen means "no range in progress", as in Redis.
  let arangeStart = alen;
  let arangeEnd = 0;
  let brangeStart = 0;
  let brangeEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      out[idx - 1] = a[i - 1]!;
      if (arangeStart === alen) {
        arangeStart = i - 1;
        arangeEnd = i - 1;
        brangeStart = j - 1;
        brangeEnd = j - 1;
      } else if (arangeStart === i && brangeStart === j) {
        arangeStart--;
        brangeStart--;
      } else {
        emit = true;
      }
      if (arangeStart === 0 || brangeStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const lcs1 = t[(i - 1) * w + j]!;
      const lcs2 = t[i * w + j - 1]!;
      if (lcs1 > lcs2) i--;
      else j--;
      if (arangeStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = arangeEnd - arangeStart + 1;
      if (wantMatches && (minMatchLen <= 0 || matchLen >= minMatchLen)) {
        matches.push({ a: [arangeStart, arangeEnd], b: [brangeStart, brangeEnd], len: matchLen });
      }
      arangeStart = alen;
    }
  }
  return { string: out, length: total, matches };
}
