/**
 * Random command sequences over the HyperLogLog commands, for the
 * differential test against redis-server (hyperloglog.diff.test.ts).
 *
 * - HLL keys are spread over Shoal's 4 shards (no hash tags), so PFCOUNT of
 *   several keys and PFMERGE cross shards most of the time.
 * - Values are read back with GET (the HLL's bytes: header, cache and
 *   registers compared byte for byte), PFDEBUG and OBJECT ENCODING (of a list:
 *   listpack where the 7.0 oracle says quicklist, see listEncoding72).
 * - Bulk PFADDs push sparse HLLs past hll-sparse-max-bytes (changed during
 *   the run on both servers) or past a register of 32, into dense.
 * - Corrupt values are made with SET (headers, truncated or overlong sparse
 *   opcodes, doctored caches) and SETRANGE / APPEND on real HLLs.
 * - Nothing nondeterministic: every reply is compared exactly.
 */
import type { Arg } from '../helpers/resp.js';
import { type DiffCommand, listEncoding72 } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';
import { keysOnEveryShard } from '../helpers/shards.js';

export const HLL_KEYS: readonly string[] = keysOnEveryShard('hll', 8);
/** Keys that hold other things now and then: a list (WRONGTYPE) and strings that are not HLLs. */
const LIST_KEY = 'hll-list';
const STRING_KEY = 'hll-str';
const ALL_KEYS: readonly string[] = [...HLL_KEYS, LIST_KEY, STRING_KEY, 'hll-missing'];

const HDR_SPARSE = Buffer.from('HYLL\x01\x00\x00\x00', 'latin1');
const HDR_DENSE = Buffer.from('HYLL\x00\x00\x00\x00', 'latin1');
const CACHE_INVALID = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]);

function le64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

/**
 * Random sparse opcodes whose last one is whole: an XZERO cut short at the
 * value's end makes Redis read the byte after the string, which a split
 * there leaves behind for the next command; Shoal starts each command with
 * a 0 there (docs/types/hyperloglog.md). The fixed sequence covers such an
 * XZERO within one command.
 */
function wholeOpcodes(body: Buffer): Buffer {
  let p = 0;
  while (p < body.length) p += (body[p]! & 0xc0) === 0x40 ? 2 : 1;
  return p > body.length ? Buffer.concat([body, Buffer.from([0x2a])]) : body;
}

/** XZERO opcodes covering n registers. */
function xzeros(n: number): Buffer {
  const out: number[] = [];
  while (n > 0) {
    const l = Math.min(n, 16384);
    out.push(0x40 | ((l - 1) >> 8), (l - 1) & 0xff);
    n -= l;
  }
  return Buffer.from(out);
}

export class HyperLogLogGen {
  constructor(private readonly rng: Rng) {}

  private name(cmd: string): string {
    const r = this.rng.next();
    if (r < 0.75) return cmd;
    if (r < 0.9) return cmd.toLowerCase();
    let s = '';
    for (const ch of cmd) s += this.rng.chance(0.5) ? ch.toLowerCase() : ch;
    return s;
  }

  private key(): string {
    return this.rng.chance(0.9) ? this.rng.pick(HLL_KEYS) : this.rng.pick(ALL_KEYS);
  }

  private keys(min: number, max: number): string[] {
    const n = this.rng.range(min, max);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.key());
    return out;
  }

  private element(): Arg {
    const rng = this.rng;
    return rng.weighted<() => Arg>([
      [5, () => String(rng.range(0, 5000))],
      [3, () => rng.string(rng.range(1, 12))],
      [1, () => rng.bytes(rng.range(1, 40))],
      [0.5, () => rng.pick(['', '\0', '\r\n', 'ключ', 'a'.repeat(rng.range(100, 300))])],
    ])();
  }

  // ---- generators ------------------------------------------------------------

  private pfadd(): DiffCommand {
    const rng = this.rng;
    const n = rng.weighted([[2, 0], [8, 1], [5, rng.range(2, 10)], [2, rng.range(11, 120)]] as const);
    const args: Arg[] = [this.name('PFADD'), this.key()];
    for (let i = 0; i < n; i++) args.push(this.element());
    return { args };
  }

  /** Enough distinct elements to fill a sparse HLL (and often make it dense). */
  private bulkAdd(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('PFADD'), rng.pick(HLL_KEYS)];
    const n = rng.range(200, 3000);
    const base = rng.range(0, 1_000_000);
    for (let i = 0; i < n; i++) args.push(`e${base + i}`);
    return { args };
  }

  private pfcount(): DiffCommand {
    return { args: [this.name('PFCOUNT'), ...this.keys(1, this.rng.chance(0.5) ? 1 : 5)] };
  }

  private pfmerge(): DiffCommand {
    return { args: [this.name('PFMERGE'), this.key(), ...this.keys(0, 4)] };
  }

  private pfdebug(): DiffCommand {
    const rng = this.rng;
    const sub = rng.weighted([[4, 'ENCODING'], [3, 'DECODE'], [1, 'GETREG'], [2, 'TODENSE'], [0.3, 'NOSUCH']] as const);
    return { args: [this.name('PFDEBUG'), this.name(sub), this.key()] };
  }

  private read(): DiffCommand {
    const rng = this.rng;
    return rng.weighted([
      [6, () => ({ args: ['GET', this.key()] })],
      [2, () => ({ args: ['OBJECT', 'ENCODING', this.key()], compare: listEncoding72 })],
      [1, () => ({ args: ['STRLEN', this.key()] })],
      [1, () => ({ args: ['TYPE', this.key()] })],
    ] as const)();
  }

  /** A value that looks like an HLL but is not a valid one, or a valid one Redis did not make. */
  private doctored(): Buffer {
    const rng = this.rng;
    return rng.weighted([
      // Not HLLs at all: short, wrong magic, unknown encoding, dense of the wrong size.
      [1, () => Buffer.from(rng.pick(['', 'HYLL', 'hello world', 'HYLL\x01\x00\x00\x00\x00\x00\x00']), 'latin1')],
      [1, () => Buffer.concat([Buffer.from('HYLX\x01\x00\x00\x00', 'latin1'), CACHE_INVALID, xzeros(16384)])],
      [1, () => Buffer.concat([Buffer.from([72, 89, 76, 76, rng.range(2, 255), 0, 0, 0]), CACHE_INVALID, xzeros(16384)])],
      [1, () => Buffer.concat([HDR_DENSE, CACHE_INVALID, Buffer.alloc(rng.pick([0, 100, 12287, 12289]))])],
      // Sparse HLLs whose registers do not add up to 16384.
      [2, () => Buffer.concat([HDR_SPARSE, CACHE_INVALID, xzeros(rng.range(1, 16383))])],
      [2, () => Buffer.concat([HDR_SPARSE, CACHE_INVALID, xzeros(rng.range(8000, 16000)), Buffer.from([0x80 | (rng.range(0, 31) << 2) | 3]), xzeros(rng.range(400, 9000))])],
      // Stray opcodes.
      [1, () => Buffer.concat([HDR_SPARSE, CACHE_INVALID, wholeOpcodes(rng.bytes(rng.range(1, 60)))])],
      // Valid HLLs with a doctored cache, or written by hand in odd but legal ways.
      [2, () => Buffer.concat([HDR_SPARSE, le64(BigInt(rng.pick([0, 1, 12345, 2 ** 40, 2 ** 53 + 1, 2 ** 62]))), xzeros(16384)])],
      [1, () => Buffer.concat([Buffer.from('HYLL\x01\x07\x08\x09', 'latin1'), CACHE_INVALID, Buffer.from(Array(256).fill(0x3f)), Buffer.from([0x80, 0xfc, 0x81])])],
      [1, () => Buffer.concat([HDR_SPARSE, CACHE_INVALID, Buffer.from([0x3f, 0xfc, 0x80, 0x80]), xzeros(16384 - 64 - 4 - 1 - 1), Buffer.from([0x80])])],
      [1, () => Buffer.concat([HDR_DENSE, CACHE_INVALID, rng.bytes(12288)])],
    ] as const)();
  }

  private corrupt(): DiffCommand {
    const rng = this.rng;
    const k = rng.pick(HLL_KEYS);
    return rng.weighted([
      [4, () => ({ args: ['SET', k, this.doctored()] })],
      // The header (magic, encoding, unused bytes, cache), or whole opcodes at the end.
      [1, () => ({ args: ['SETRANGE', k, String(rng.range(0, 13)), rng.bytes(rng.range(1, 3))] })],
      [0.5, () => ({ args: ['SETRANGE', k, '4', rng.pick(['\x00', '\x01', '\x02'])] })],
      [0.5, () => ({ args: ['APPEND', k, wholeOpcodes(rng.bytes(rng.range(1, 3)))] })],
    ] as const)();
  }

  private other(): DiffCommand {
    const rng = this.rng;
    return rng.weighted([
      [2, () => ({ args: ['DEL', this.key()] })],
      [1, () => ({ args: ['LPUSH', LIST_KEY, 'x'] })],
      [1, () => ({ args: ['SET', STRING_KEY, rng.pick(['12345', 'not an hll', ''])] })],
      [1, () => ({ args: ['COPY', rng.pick(HLL_KEYS), rng.pick(HLL_KEYS), 'REPLACE'] })],
      [0.5, () => ({ args: [this.name('PFADD')] })],
      [0.5, () => ({ args: [this.name('PFCOUNT')] })],
      [0.5, () => ({ args: [this.name('PFMERGE')] })],
      [0.5, () => ({ args: [this.name('PFDEBUG'), 'ENCODING'] })],
      [0.3, () => ({ args: [this.name('PFDEBUG'), 'ENCODING', 'a', 'b'] })],
      [0.3, () => ({ args: [this.name('PFSELFTEST'), 'x'] })],
    ] as const)();
  }

  /** `n` commands (CONFIG SET of hll-sparse-max-bytes among them: the caller runs each in a batch of its own). */
  sequence(n: number): DiffCommand[] {
    const rng = this.rng;
    const out: DiffCommand[] = [];
    for (let i = 0; i < n; i++) {
      const kind = rng.weighted([
        [20, 'pfadd'],
        [2, 'bulk'],
        [10, 'pfcount'],
        [5, 'pfmerge'],
        [4, 'pfdebug'],
        [12, 'read'],
        [1.5, 'corrupt'],
        [4, 'other'],
        // Corrupt values go away again, so that most commands meet healthy HLLs.
        [2, 'reset'],
        [0.3, 'config'],
      ] as const);
      if (kind === 'pfadd') out.push(this.pfadd());
      else if (kind === 'bulk') out.push(this.bulkAdd());
      else if (kind === 'pfcount') out.push(this.pfcount());
      else if (kind === 'pfmerge') out.push(this.pfmerge());
      else if (kind === 'pfdebug') out.push(this.pfdebug());
      else if (kind === 'read') out.push(this.read());
      else if (kind === 'corrupt') out.push(this.corrupt());
      else if (kind === 'other') out.push(this.other());
      else if (kind === 'reset') out.push({ args: ['DEL', rng.pick(HLL_KEYS)] });
      else out.push({ args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', String(rng.pick([0, 30, 100, 500, 3000, 20000]))] });
    }
    return out;
  }
}
