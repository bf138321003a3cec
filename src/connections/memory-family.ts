/**
 * MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, run on the
 * connection's thread from every thread's report (memory-figures.ts);
 * MEMORY USAGE runs on the key's shard (commands/keys.ts).
 */
import { askThreads } from './clients-view.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import type { ThreadReport } from './info.js';
import { memoryDoctor, memoryFigures } from './memory-figures.js';

function stats(f: FrontCall): void {
  f.later(askThreads<ThreadReport>(f.thread, 'info', {}), (w, reports) => {
    const m = memoryFigures(f.thread, reports);
    const dbs = m.keysByDb.flatMap((keys, db) => (keys > 0 ? [db] : []));
    const overTheStart = Math.max(1, m.used - m.startup);
    w.map(27 + dbs.length);
    const int = (k: string, v: number) => {
      w.bulkString(k);
      w.int(Math.round(v));
    };
    const dbl = (k: string, v: number) => {
      w.bulkString(k);
      w.double(v);
    };
    int('peak.allocated', m.peak);
    int('total.allocated', m.used);
    int('startup.allocated', m.startup);
    int('replication.backlog', 0);
    int('clients.slaves', 0);
    int('clients.normal', m.clients);
    int('cluster.links', 0);
    int('aof.buffer', 0);
    int('lua.caches', m.scripts);
    int('functions.caches', m.functions);
    for (const db of dbs) {
      w.bulkString(`db.${db}`);
      w.map(3);
      int('overhead.hashtable.main', m.tablesByDb[db]);
      int('overhead.hashtable.expires', 0);
      int('overhead.hashtable.slot-to-keys', 0);
    }
    int('overhead.total', m.overhead);
    int('keys.count', m.keys);
    int('keys.bytes-per-key', m.keys > 0 ? (m.used - m.startup) / m.keys : 0);
    int('dataset.bytes', m.dataset);
    dbl('dataset.percentage', (m.dataset * 100) / overTheStart);
    dbl('peak.percentage', (m.used * 100) / Math.max(1, m.peak));
    int('allocator.allocated', m.used);
    int('allocator.active', m.allocatorActive);
    int('allocator.resident', m.rss);
    dbl('allocator-fragmentation.ratio', m.allocatorActive / Math.max(1, m.used));
    int('allocator-fragmentation.bytes', m.allocatorActive - m.used);
    dbl('allocator-rss.ratio', m.rss / Math.max(1, m.allocatorActive));
    int('allocator-rss.bytes', m.rss - m.allocatorActive);
    dbl('rss-overhead.ratio', 1);
    int('rss-overhead.bytes', 0);
    dbl('fragmentation', m.rss / Math.max(1, m.used));
    int('fragmentation.bytes', m.rss - m.used);
  });
}

/** The arenas' own statistics, a block per shard (Redis prints its allocator's). */
function mallocStats(f: FrontCall): void {
  f.later(askThreads<ThreadReport>(f.thread, 'info', {}), (w, reports) => {
    const lines = ['___ Begin native-free-arena statistics ___'];
    for (const r of reports) {
      const a = r.shard.arena;
      lines.push(
        `shard ${r.index}: allocated=${a.allocatedBytes} requested=${a.usedBytes} reserved=${a.reservedBytes} free_lists=${a.freeListBytes} run_reserve=${a.runReserveBytes} bump_reserve=${a.bumpReserveBytes} segments=${a.segments} normal_segments=${a.normalSegments} huge_blocks=${a.hugeBlocks} live_blocks=${a.liveBlocks} fragmentation=${a.fragmentationRatio.toFixed(2)}`,
      );
      for (const c of a.classes) if (c.live > 0 || c.free > 0) lines.push(`  class ${c.size}: live=${c.live} free=${c.free}`);
      lines.push(`thread ${r.index}: js_heap_live=${r.heapUsed}`);
    }
    lines.push('--- End native-free-arena statistics ---');
    w.bulkString(`${lines.join('\n')}\n`);
  });
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

export const memoryFrontHandlers: Record<string, FrontHandler> = {
  'memory|stats': stats,
  'memory|doctor': (f) => f.later(askThreads<ThreadReport>(f.thread, 'info', {}), (w, reports) => w.verbatim(memoryDoctor(memoryFigures(f.thread, reports)))),
  'memory|malloc-stats': mallocStats,
  // The arenas keep their segments for reuse (docs/compatibility.md): nothing to hand back yet.
  // Every shard lets go of its empty arena segments and collects them.
  'memory|purge': (f) => f.later(askThreads<number>(f.thread, 'purge', {}), (w) => w.ok()),
  'memory|help': (f) => {
    f.w.array(MEMORY_HELP.length);
    for (const line of MEMORY_HELP) f.w.simple(line);
  },
};
