/**
 * Arena + DashTable micro-benchmark.
 *
 *   npx tsc -p native-free-arena/tsconfig.json
 *   node native-free-arena/dist/bench/arena-bench.js [entries]
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

const N = Number(process.argv[2] ?? 1_000_000);
const KEY_LEN = 16;

/** Writes "key:" + i as 12 zero-padded digits (16 bytes) at u8[off]. */
function writeKey(u8: Uint8Array, off: number, i: number): void {
  u8[off] = 107; // k
  u8[off + 1] = 101; // e
  u8[off + 2] = 121; // y
  u8[off + 3] = 58; // :
  for (let p = off + 15; p >= off + 4; p--) {
    u8[p] = 48 + (i % 10);
    i = Math.floor(i / 10);
  }
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
  for (let i = 0; i < M; i++) many[i] = fresh.alloc(112);
  const st = fresh.stats();

  console.log('Arena alloc/free (small blocks)');
  console.log(`  alloc(112)+free, LIFO           ${ns(lifo, OPS1)} ns/op (alloc+free pair)`);
  console.log(`  mixed 16..143 B, batches of 100k ${ns(batch, B * ROUNDS)} ns/op (alloc+free pair)`);
  console.log(`  1M x alloc(112), fresh arena    ${ns(bump, M)} ns/alloc; free ${ns(freeAll, M)} ns/free`);
  console.log(
    `  1M x 112 B live: reserved ${fmtMiB(st.reservedBytes)}, used ${fmtMiB(st.usedBytes)}, ` +
      `${(st.reservedBytes / M).toFixed(1)} reserved B/block, ` +
      `overhead vs requested ${(((st.reservedBytes - st.usedBytes) / st.usedBytes) * 100).toFixed(2)}% ` +
      `(incl. unused tail of the last segment)`,
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
  for (let i = 0; i < N; i++) {
    const k = (i * 7919) % N;
    writeKey(scratch, 0, k);
    if (table.find(hashBytes(scratch, 0, KEY_LEN), eq) === entries[k]) found++;
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

console.log(`node ${process.version}, ${process.arch}`);
benchAllocFree();
benchTable();
