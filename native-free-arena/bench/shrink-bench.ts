/**
 * A DashTable that grows to N entries and loses all but one in `--keep`:
 * its table bytes, segments and directory depth full and after, and the
 * time the removals took (merges included).
 *
 *   npm run build && node native-free-arena/dist/bench/shrink-bench.js [--n 1000000] [--keep 100]
 */
import { Arena } from '../src/arena.js';
import { DashTable, fmix32 } from '../src/dashtable.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const n = flag('n', 1_000_000);
const keep = flag('keep', 100);
const arena = new Arena();
const table = new DashTable(arena);
const handles = new Int32Array(n);
for (let k = 0; k < n; k++) {
  handles[k] = arena.alloc(16);
  table.insert(fmix32(k), handles[k]);
}
const full = { bytes: table.memoryUsage(), segments: table.segments, depth: table.globalDepth };
const t0 = performance.now();
for (let k = 0; k < n; k++) {
  if (k % keep === 0) continue;
  table.remove(fmix32(k), handles[k]);
  arena.free(handles[k]);
}
const ms = performance.now() - t0;
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
console.log(`${n.toLocaleString('en-US')} entries: table ${mb(full.bytes)}, ${full.segments} segments, depth ${full.depth}`);
console.log(
  `after removing all but 1 in ${keep}: ${table.size.toLocaleString('en-US')} entries, table ${mb(table.memoryUsage())}, ` +
    `${table.segments} segments, depth ${table.globalDepth}; removals took ${ms.toFixed(0)} ms`,
);
