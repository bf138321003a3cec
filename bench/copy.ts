/**
 * What copying bytes costs when one side is a SharedArrayBuffer (the arena,
 * the rings), by size and by alignment, for V8's TypedArray `set` and
 * `copyWithin` against Shoal's copyBytes (Node's memmove, util/bytes.ts).
 *
 * V8 copies shared memory with relaxed atomic loads and stores, a word at a
 * time when source and destination are equally aligned and a byte at a time
 * when they are not, which is the usual case for values (they follow a RESP
 * header in the parser's buffer). This is why every copy in Shoal goes
 * through copyBytes.
 *
 *   npm run build && node dist/bench/copy.js [--iterations 20000]
 */
import { copyBytes } from '../src/util/bytes.js';

function parseIterations(argv: string[]): number {
  const i = argv.indexOf('--iterations');
  if (i < 0) return 20000;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error('--iterations must be a positive integer');
  return n;
}

/** Nanoseconds per call of `fn`, after a warm-up of a tenth of the iterations. */
function time(iterations: number, fn: (i: number) => void): number {
  for (let i = 0; i < iterations / 10; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / iterations;
}

function main(): void {
  const iterations = parseIterations(process.argv.slice(2));
  const sizes = [16, 64, 1024, 16 * 1024, 64 * 1024];
  const slots = 64;
  const shared = new Uint8Array(new SharedArrayBuffer(slots * 2 * 64 * 1024 + 64));
  const plain = new Uint8Array(64 * 1024 + 64);
  const rows: string[][] = [];
  for (const n of sizes) {
    // Destinations rotate over `slots` places so the figures are not all cache hits.
    const at = (i: number, skew: number): number => (i % slots) * 2 * n + skew;
    for (const [label, skew] of [
      ['aligned', 0],
      ['misaligned', 3],
    ] as const) {
      // Into shared memory: the source starts at `skew`, the destination on an 8-byte boundary.
      const setIn = time(iterations, (i) => shared.set(plain.subarray(skew, skew + n), at(i, 0)));
      const copyIn = time(iterations, (i) => copyBytes(shared, at(i, 0), plain, skew, n));
      const setOut = time(iterations, (i) => plain.set(shared.subarray(at(i, skew), at(i, skew) + n), 0));
      const copyOut = time(iterations, (i) => copyBytes(plain, 0, shared, at(i, skew), n));
      const within = time(iterations, (i) => shared.copyWithin(at(i, 0), at(i, skew) + n, at(i, skew) + 2 * n - 8));
      const moveWithin = time(iterations, (i) => copyBytes(shared, at(i, 0), shared, at(i, skew) + n, n - 8));
      rows.push([String(n), label, ns(setIn), ns(copyIn), ns(setOut), ns(copyOut), ns(within), ns(moveWithin)]);
    }
  }
  console.log(`## Copies touching a SharedArrayBuffer (bench/copy.ts), Node.js ${process.version}, ${iterations} iterations\n`);
  const head = ['bytes', 'offsets', 'set into shared', 'copyBytes into shared', 'set out of shared', 'copyBytes out of shared', 'copyWithin in shared', 'copyBytes in shared'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('\nfigures are ns per copy; "misaligned": source and destination offsets differ modulo 8');
}

function ns(x: number): string {
  return x.toFixed(0);
}

main();
