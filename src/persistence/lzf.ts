/**
 * LZF, the byte format of liblzf's lzf_compress / lzf_decompress, which
 * Redis uses for strings in RDB files (0xC3 strings: compressed length,
 * original length, data). The stream is a sequence of:
 *
 *   000LLLLL <L+1 literal bytes>                  literal run of 1..32 bytes
 *   LLLooooo oooooooo                             back reference, L in 1..6
 *   111ooooo LLLLLLLL oooooooo                    back reference, 7 + L
 *
 * A back reference copies (length field + 2) bytes from (offset + 1) bytes
 * back in the output: 3..264 bytes from up to 8192 back. Copies may overlap
 * what they produce (a run of one byte repeated is a reference 1 back).
 */
import { RdbError } from './rdb-value.js';

const MAX_LIT = 32;
const MAX_OFF = 8192;
const MAX_REF = 264;
const HASH_BITS = 14;
const HASH_SIZE = 1 << HASH_BITS;

// Reused by every call (single-threaded): positions + 1 of the last 3-byte
// sequences seen, 0 for none. A generation stamp avoids clearing it.
const table = new Int32Array(HASH_SIZE);
const stamps = new Int32Array(HASH_SIZE);
let generation = 0;

/**
 * Compresses `len` bytes of `src` from `off`. Returns the compressed bytes,
 * or null when they would take more than `maxOut` bytes (default len - 1:
 * only output smaller than the input is worth having).
 */
export function lzfCompress(src: Uint8Array, off: number, len: number, maxOut: number = len - 1): Uint8Array | null {
  if (len === 0 || maxOut <= 0) return null;
  if (++generation === 0x7fffffff) {
    generation = 1;
    stamps.fill(0);
  }
  const gen = generation;
  // All literals take len bytes plus a control byte per 32: more than that is never worth having.
  maxOut = Math.min(maxOut, len + Math.ceil(len / MAX_LIT));
  const out = new Uint8Array(maxOut + 1);
  const end = off + len;
  let ip = off;
  let op = 1; // out[0] is the control byte of the first literal run
  let lit = 0;
  while (ip < end) {
    // A reference needs three bytes: the last two bytes can only be literals.
    let ref = -1;
    if (ip + 2 < end) {
      const h = hash3(src[ip], src[ip + 1], src[ip + 2]);
      ref = stamps[h] === gen ? table[h] : -1;
      table[h] = ip;
      stamps[h] = gen;
    }
    const dist = ip - ref;
    if (ref >= 0 && dist <= MAX_OFF && src[ref] === src[ip] && src[ref + 1] === src[ip + 1] && src[ref + 2] === src[ip + 2]) {
      const maxLen = Math.min(MAX_REF, end - ip);
      let n = 3;
      while (n < maxLen && src[ref + n] === src[ip + n]) n++;
      // Close the literal run (or take back its unused control byte), then emit the reference.
      if (lit > 0) out[op - lit - 1] = lit - 1;
      else op--;
      const o = dist - 1;
      const l = n - 2;
      if (op + (l < 7 ? 2 : 3) > maxOut) return null;
      if (l < 7) {
        out[op++] = (l << 5) | (o >>> 8);
      } else {
        out[op++] = (7 << 5) | (o >>> 8);
        out[op++] = l - 7;
      }
      out[op++] = o & 0xff;
      // Remember the sequences inside the match too: better matches later for little cost.
      const stop = Math.min(ip + n, end - 2);
      for (let p = ip + 1; p < stop; p++) {
        const hp = hash3(src[p], src[p + 1], src[p + 2]);
        table[hp] = p;
        stamps[hp] = gen;
      }
      ip += n;
      lit = 0;
      op++; // control byte of the next literal run
    } else {
      if (op >= maxOut) return null;
      out[op++] = src[ip++];
      if (++lit === MAX_LIT) {
        out[op - lit - 1] = MAX_LIT - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (lit > 0) out[op - lit - 1] = lit - 1;
  else op--;
  if (op > maxOut) return null;
  return out.subarray(0, op);
}

function hash3(a: number, b: number, c: number): number {
  return (Math.imul((a << 16) | (b << 8) | c, 0x9e3779b1) >>> (32 - HASH_BITS)) & (HASH_SIZE - 1);
}

/**
 * Decompresses `len` bytes of `src` from `off`, which must expand to exactly
 * `outLen` bytes. Anything else (a run or reference past either end, a
 * reference before the start of the output, a different size) throws
 * RdbError with `errOffset` (the caller's position of the data).
 */
export function lzfDecompress(src: Uint8Array, off: number, len: number, outLen: number, errOffset = off): Uint8Array {
  // Every input byte yields at most 88 output bytes (3 bytes for 264): a larger
  // claim is corrupt, and refusing it spares a huge allocation.
  if (outLen > len * 88) throw new RdbError(`LZF data of ${len} bytes cannot expand to ${outLen} bytes (at offset ${errOffset})`, errOffset);
  let out: Uint8Array;
  try {
    out = new Uint8Array(outLen);
  } catch {
    throw new RdbError(`Cannot allocate ${outLen} bytes for an LZF string (at offset ${errOffset})`, errOffset);
  }
  const end = off + len;
  let ip = off;
  let op = 0;
  while (ip < end) {
    const ctrl = src[ip++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (ip + n > end) throw bad('literal run past the end of the input', errOffset);
      if (op + n > outLen) throw bad('literal run past the end of the output', errOffset);
      for (let i = 0; i < n; i++) out[op + i] = src[ip + i];
      ip += n;
      op += n;
    } else {
      let n = ctrl >>> 5;
      if (n === 7) {
        if (ip >= end) throw bad('back reference cut short', errOffset);
        n += src[ip++];
      }
      if (ip >= end) throw bad('back reference cut short', errOffset);
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++];
      n += 2;
      if (ref < 0) throw bad('back reference before the start of the output', errOffset);
      if (op + n > outLen) throw bad('back reference past the end of the output', errOffset);
      // Byte by byte: the source may overlap the bytes being written.
      for (let i = 0; i < n; i++) out[op + i] = out[ref + i];
      op += n;
    }
  }
  if (op !== outLen) throw bad(`expands to ${op} bytes, not ${outLen}`, errOffset);
  return out;
}

function bad(what: string, offset: number): RdbError {
  return new RdbError(`Invalid LZF compressed string: ${what} (at offset ${offset})`, offset);
}
