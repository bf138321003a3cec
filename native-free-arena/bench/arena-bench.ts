/**
 * Arena + DashTable micro-benchmark.
 *
 *   npx tsc -p native-free-arena/tsconfig.json
 *   node native-free-arena/dist/bench/arena-bench.js [entries] [--no-baseline]
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { Arena, DashTable, hashBytes, OFF_MASK, SEG_SHIFT } from '../src/index.js';

function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
}
const gc = getGc();

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

function ns(ms: number, ops: number): string {
  return ((ms * 1e6) / ops).toFixed(1);
}

function fmtMiB(bytes: number): string {
  return (bytes / 1048576).toFixed(1) + ' MiB';
}

const N = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 1_000_000);
const KEY_LEN = 16;

/** Writes "key:" + i as 12 zero-padded digits (16 bytes) at u8[off]. */
function writeKey(u8: Uint8Array, off: number, i: number): void {
  u8[off] = 107; // k
  u8[off + 1] = 101; // e
  u8[off + 2] = 121; // y
  u8[off + 3] = 58; // :
  for (let p = off + 15; p >= off + 4; p--) {
    const q = (i / 10) | 0;
    u8[p] = 48 + i - q * 10;
    i = q;
  }
}

/** Next index of the scattered lookup order k -> (k + 7919) mod n, in int32 arithmetic. */
function step(k: number, n: number): number {
  k += 7919;
  while (k >= n) k -= n;
  return k;
}

function benchAllocFree(): void {
  const arena = new Arena();
  // Warm-up.
  for (let r = 0; r < 3; r++) {
    const hs = new Int32Array(100_000);
    for (let i = 0; i < hs.length; i++) hs[i] = arena.alloc(16 + ((i * 37) & 127));
    for (let i = 0; i < hs.length; i++) arena.free(hs[i]);
  }

  // 1. alloc immediately followed by free (free-list hit every time).
  const OPS1 = 5_000_000;
  let t = performance.now();
  for (let i = 0; i < OPS1; i++) arena.free(arena.alloc(112));
  const lifo = performance.now() - t;

  // 2. batches: 100k blocks of mixed small sizes (16..143), then free them all.
  const B = 100_000;
  const ROUNDS = 20;
  const hs = new Int32Array(B);
  t = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < B; i++) hs[i] = arena.alloc(16 + ((i * 37 + r) & 127));
    for (let i = 0; i < B; i++) arena.free(hs[i]);
  }
  const batch = performance.now() - t;

  // 3. fresh arena: 1M x 112-byte blocks, bump allocation from new runs/segments.
  const fresh = new Arena();
  const M = 1_000_000;
  const many = new Int32Array(M);
  t = performance.now();
  for (let i = 0; i < M; i++) many[i] = fresh.alloc(112);
  const bump = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < M; i++) fresh.free(many[i]);
  const freeAll = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < M; i++) many[i] = fresh.alloc(112);
  const reuse = performance.now() - t;
  const st = fresh.stats();

  console.log('Arena alloc/free (small blocks)');
  console.log(`  alloc(112)+free, LIFO           ${ns(lifo, OPS1)} ns/op (alloc+free pair)`);
  console.log(`  mixed 16..143 B, batches of 100k ${ns(batch, B * ROUNDS)} ns/op (alloc+free pair)`);
  console.log(
    `  1M x alloc(112), fresh arena    ${ns(bump, M)} ns/alloc ` +
      `(incl. creating ${st.normalSegments} 4 MiB SABs + first-touch page faults)`,
  );
  console.log(`  1M x free, then 1M x alloc(112) ${ns(freeAll, M)} ns/free, ${ns(reuse, M)} ns/alloc (from the free list)`);
  // Memory actually consumed by the runs holding the blocks: everything
  // reserved minus what is still available (free lists, run and segment tails)
  // and the never-used first page of segment 0.
  const consumed = st.reservedBytes - st.freeListBytes - st.runReserveBytes - st.bumpReserveBytes - 4096;
  console.log(
    `  1M x 112 B live: reserved ${fmtMiB(st.reservedBytes)} in ${st.normalSegments} segments, ` +
      `${(consumed / M).toFixed(2)} B consumed per 112 B block ` +
      `(+${(((consumed - st.usedBytes) / st.usedBytes) * 100).toFixed(2)}%: slack table + run tail)`,
  );
}

function benchTable(): void {
  const heap0 = heapMiB();
  const arena = new Arena();
  const table = new DashTable(arena);
  const u8s = arena.u8;
  const entries = new Int32Array(N); // off-heap
  const hashes = new Int32Array(N); // off-heap

  // Build entries: arena blocks holding a 16-byte key.
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const h = arena.alloc(KEY_LEN);
    const u8 = u8s[h >>> SEG_SHIFT];
    const off = (h & OFF_MASK) << 3;
    writeKey(u8, off, i);
    entries[i] = h;
    hashes[i] = hashBytes(u8, off, KEY_LEN);
  }
  const build = performance.now() - t;

  t = performance.now();
  for (let i = 0; i < N; i++) table.insert(hashes[i], entries[i]);
  const insert = performance.now() - t;
  const heapAfterInsert = heapMiB();

  // Lookups: key bytes in a scratch buffer, hash, find with a byte-compare eq.
  const scratch = new Uint8Array(KEY_LEN);
  const eq = (e: number): boolean => {
    const u8 = u8s[e >>> SEG_SHIFT];
    const off = (e & OFF_MASK) << 3;
    for (let j = 0; j < KEY_LEN; j++) if (u8[off + j] !== scratch[j]) return false;
    return true;
  };
  let found = 0;
  t = performance.now();
  let k = 0;
  for (let i = 0; i < N; i++) {
    writeKey(scratch, 0, k);
    if (table.find(hashBytes(scratch, 0, KEY_LEN), eq) === entries[k]) found++;
    k = step(k, N);
  }
  const findHit = performance.now() - t;
  let missing = 0;
  t = performance.now();
  for (let i = 0; i < N; i++) {
    writeKey(scratch, 0, N + i);
    if (table.find(hashBytes(scratch, 0, KEY_LEN), eq) === 0) missing++;
  }
  const findMiss = performance.now() - t;
  if (found !== N || missing !== N) throw new Error(`lookup mismatch: ${found} found, ${missing} missing`);

  let seen = 0;
  t = performance.now();
  let cursor = 0;
  do cursor = table.scan(cursor, 1000, () => seen++);
  while (cursor !== 0);
  const scan = performance.now() - t;

  t = performance.now();
  for (let i = 0; i < N; i++) table.remove(hashes[i], entries[i]);
  const remove = performance.now() - t;
  for (let i = 0; i < N; i++) table.insert(hashes[i], entries[i]);

  const heap1 = heapMiB();
  const ts = table.stats();
  const as = arena.stats();
  const entryBytes = arena.usableSize(entries[0]);
  console.log(`\nDashTable, ${N.toLocaleString('en-US')} entries (arena blocks holding a 16-byte key)`);
  console.log(`  build entries (alloc 16 B + write key + hashBytes) ${ns(build, N)} ns/entry`);
  console.log(`  insert                         ${ns(insert, N)} ns/op`);
  console.log(`  find (hit: hash + find + 16 B compare)  ${ns(findHit, N)} ns/op`);
  console.log(`  find (miss: hash + find)       ${ns(findMiss, N)} ns/op`);
  console.log(`  scan (1000 per call)           ${ns(scan, N)} ns/entry (${seen} reported)`);
  console.log(`  remove                         ${ns(remove, N)} ns/op`);
  console.log(
    `  table: ${ts.segments} segments, globalDepth ${ts.globalDepth}, load factor ${ts.loadFactor.toFixed(3)}, ` +
      `${ts.displaced} displaced, ${ts.stashed} stashed`,
  );
  console.log(
    `  bytes/entry: table ${(table.memoryUsage() / N).toFixed(2)} (directory + segments), ` +
      `entry block ${entryBytes} (+1 B slack cell), ` +
      `arena reserved ${(as.reservedBytes / N).toFixed(2)} (all segments, incl. unused tail)`,
  );
  console.log(
    `  arena: reserved ${fmtMiB(as.reservedBytes)}, allocated ${fmtMiB(as.allocatedBytes)}, ` +
      `used ${fmtMiB(as.usedBytes)}, ${as.segments} segments`,
  );
  console.log(
    `  JS heap used: before ${heap0.toFixed(1)} MiB, after inserts ${heapAfterInsert.toFixed(1)} MiB, ` +
      `at end ${heap1.toFixed(1)} MiB (delta ${(heap1 - heap0).toFixed(1)} MiB)`,
  );
}

/** The same lookups on a cache-resident table: the CPU cost without DRAM misses. */
function benchTableSmall(): void {
  const n = 10_000;
  const arena = new Arena();
  const table = new DashTable(arena);
  const u8s = arena.u8;
  const entries = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const h = arena.alloc(KEY_LEN);
    const off = (h & OFF_MASK) << 3;
    writeKey(u8s[h >>> SEG_SHIFT], off, i);
    entries[i] = h;
    table.insert(hashBytes(u8s[h >>> SEG_SHIFT], off, KEY_LEN), h);
  }
  const scratch = new Uint8Array(KEY_LEN);
  const eq = (e: number): boolean => {
    const u8 = u8s[e >>> SEG_SHIFT];
    const off = (e & OFF_MASK) << 3;
    for (let j = 0; j < KEY_LEN; j++) if (u8[off + j] !== scratch[j]) return false;
    return true;
  };
  const OPS = 2_000_000;
  let found = 0;
  let t = performance.now();
  let k = 0;
  for (let i = 0; i < OPS; i++) {
    writeKey(scratch, 0, k);
    if (table.find(hashBytes(scratch, 0, KEY_LEN), eq) !== 0) found++;
    k = step(k, n);
  }
  const find = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < OPS; i++) {
    writeKey(scratch, 0, k);
    k = step(k, n);
  }
  const keyOnly = performance.now() - t;
  t = performance.now();
  let x = 0;
  for (let i = 0; i < OPS; i++) {
    writeKey(scratch, 0, k);
    x ^= hashBytes(scratch, 0, KEY_LEN);
    k = step(k, n);
  }
  const hashOnly = performance.now() - t;
  if (found !== OPS || x === 0.5) throw new Error('small table mismatch');
  console.log(`\nDashTable, ${n.toLocaleString('en-US')} entries (cache-resident)`);
  console.log(
    `  find (hit) ${ns(find, OPS)} ns/op, of which writeKey ${ns(keyOnly, OPS)} ns ` +
      `and hashBytes(16 B) ${ns(hashOnly - keyOnly, OPS)} ns`,
  );
}

/** Context for the figures above: the same lookups on a JS Map (on the JS heap). */
function benchMapBaseline(): void {
  const m = new Map<number, number>();
  const hashes = new Int32Array(N);
  const scratch = new Uint8Array(KEY_LEN);
  for (let i = 0; i < N; i++) {
    writeKey(scratch, 0, i);
    hashes[i] = hashBytes(scratch, 0, KEY_LEN);
  }
  const heap0 = heapMiB();
  let t = performance.now();
  for (let i = 0; i < N; i++) m.set(hashes[i] >>> 0, i);
  const insert = performance.now() - t;
  let found = 0;
  t = performance.now();
  let k = 0;
  for (let i = 0; i < N; i++) {
    writeKey(scratch, 0, k);
    if (m.get(hashBytes(scratch, 0, KEY_LEN)) !== undefined) found++;
    k = step(k, N);
  }
  const get = performance.now() - t;
  const heap1 = heapMiB();
  if (found !== N) throw new Error('Map baseline mismatch');
  console.log(
    `\nReference: JS Map<hash, int> with the same ${N.toLocaleString('en-US')} keys ` +
      `(hash as key, no key compare; ${m.size} distinct hashes)`,
  );
  console.log(`  set ${ns(insert, N)} ns/op, get (incl. writeKey + hashBytes) ${ns(get, N)} ns/op`);
  console.log(`  JS heap: +${(heap1 - heap0).toFixed(1)} MiB (${(((heap1 - heap0) * 1048576) / N).toFixed(1)} B/entry)`);
}

console.log(`node ${process.version}, ${process.arch}`);
benchAllocFree();
benchTable();
benchTableSmall();
if (!process.argv.includes('--no-baseline')) benchMapBaseline();
