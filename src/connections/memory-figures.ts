/**
 * The process's memory as INFO memory, MEMORY STATS and MEMORY DOCTOR tell
 * it, computed once from every thread's report: Redis's figures, filled
 * from Shoal's own parts. `used` (used_memory, what maxmemory counts) is
 * the arenas' allocated bytes plus every thread's JS heap after
 * collections; the "allocator" is the arenas (their reserved segments are
 * what is active) and the V8 heaps; overhead is what is not the dataset:
 * memory at startup, the keyspace tables, client buffers, the AOF's
 * buffers, scripts and functions.
 */
import os from 'node:os';
import type { ThreadContext } from './context.js';

/** What the figures need of a thread's report (INFO's ThreadReport has it). */
export interface MemoryReport {
  heapUsed: number;
  clientBuffers: number;
  shard: { arena: { allocatedBytes: number; reservedBytes: number; usedBytes: number }; keys: number[]; tableBytesByDb: number[] };
}
import { scriptCache } from '../scripting/cache.js';
import { functionRegistry } from '../scripting/functions.js';

export interface MemoryFigures {
  used: number;
  peak: number;
  startup: number;
  rss: number;
  arenaAllocated: number;
  arenaReserved: number;
  arenaRequested: number;
  heaps: number;
  tables: number;
  tablesByDb: number[];
  keysByDb: number[];
  clients: number;
  scripts: number;
  functions: number;
  overhead: number;
  dataset: number;
  keys: number;
  allocatorActive: number;
  totalSystem: number;
}

export function memoryFigures(ctx: ThreadContext, reports: MemoryReport[]): MemoryFigures {
  const shards = reports.map((r) => r.shard);
  const sum = (f: (r: MemoryReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  const arenaAllocated = sum((r) => r.shard.arena.allocatedBytes);
  const heaps = sum((r) => r.heapUsed);
  const used = arenaAllocated + heaps;
  const tablesByDb = Array.from({ length: 16 }, (_, db) => shards.reduce((a, s) => a + (s.tableBytesByDb[db] ?? 0), 0));
  const keysByDb = Array.from({ length: 16 }, (_, db) => shards.reduce((a, s) => a + s.keys[db], 0));
  const tables = tablesByDb.reduce((a, b) => a + b, 0);
  const clients = sum((r) => r.clientBuffers);
  const scripts = scriptCache.bytes;
  const functions = functionRegistry.list().reduce((n, l) => n + l.code.length, 0);
  const startup = Math.min(ctx.memory.startup || used, used);
  const overhead = Math.min(used, startup + tables + clients + scripts + functions);
  return {
    used,
    peak: Math.max(ctx.memory.peak, used),
    startup,
    rss: process.memoryUsage().rss,
    arenaAllocated,
    arenaReserved: sum((r) => r.shard.arena.reservedBytes),
    arenaRequested: sum((r) => r.shard.arena.usedBytes),
    heaps,
    tables,
    tablesByDb,
    keysByDb,
    clients,
    scripts,
    functions,
    overhead,
    dataset: used - overhead,
    keys: keysByDb.reduce((a, b) => a + b, 0),
    allocatorActive: sum((r) => r.shard.arena.reservedBytes) + heaps,
    totalSystem: os.totalmem(),
  };
}

/** MEMORY DOCTOR's report, in the spirit of Redis's: what looks wrong, or that nothing does. */
export function memoryDoctor(m: MemoryFigures): string {
  const issues: string[] = [];
  if (m.used > 0 && m.rss / m.used > 1.4 && m.rss - m.used > 64 * 1024 * 1024) {
    issues.push(
      ` * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). In Shoal this is mostly reserved arena segments and V8's heap capacity beyond the live objects.`,
    );
  }
  if (m.peak > m.used * 1.5) {
    issues.push(` * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data.`);
  }
  if (m.clients > 200 * 1024 * 1024) {
    issues.push(` * Big client buffers: The clients output buffers are in total greater than 200000 KB. This may be a problem if the clients are not reading their replies: set client-output-buffer-limit.`);
  }
  if (issues.length === 0) return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";
  return `Sam, I detected a few issues in this Redis instance memory implants:\n\n${issues.join('\n\n')}\n\nI'm here to keep you safe, Sam. I want to help you.`;
}
