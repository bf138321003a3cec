/**
 * INFO: the thread that runs it asks every thread for its report (its
 * connections and counters, and its shard's statistics) and merges them
 * into Redis's INFO text. Totals appear in the usual sections; the Shoal
 * sections "threads" and "shards" have one line per thread.
 */
import { AofMode } from '../persistence/aof-state.js';
import { scriptCache } from '../scripting/cache.js';
import { functionRegistry } from '../scripting/functions.js';
import os from 'node:os';
import { SubKind } from '../pubsub/hub.js';
import { memoryFigures } from './memory-figures.js';
import { type Histogram, merge, valueAtPercentile } from '../util/latency-histogram.js';
import { REDIS_COMPAT_VERSION, SHOAL_VERSION } from '../config/version.js';
import type { ShardStats } from '../shard/shard.js';
import type { ThreadContext, ThreadStats } from './context.js';

/** What one thread reports for INFO. */
export interface ThreadReport {
  index: number;
  /** OS thread id (per-thread CPU accounting: /proc/<pid>/task/<tid>). */
  tid: number;
  connections: number;
  /** Connection keys of the clients waiting in this thread's shard (a client may wait on several). */
  blockedHere: number[];
  /** Clients of this thread held by CLIENT PAUSE. */
  paused: number;
  heapUsed: number;
  stats: ThreadStats;
  shard: ShardStats;
  /** What its clients' buffers hold (query buffers, reply buffers, replies waiting, sockets' unsent bytes). */
  clientBuffers: number;
  /** Bytes queued for peers whose rings are full. */
  overflowBytes: number;
  /** Connections with CLIENT TRACKING on. */
  trackingClients: number;
  /** The shard's tracking table: keys, (key, client) items, BCAST prefixes (every shard has them all). */
  tracking: { keys: number; items: number; prefixes: number };
  /** Commands per second and network KB/s over the last 1.6 s (INFO instantaneous_*). */
  instantaneous: { ops: number; inputKbps: number; outputKbps: number };
}


const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace', 'threads', 'shards'];
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, 8), 'commandstats', 'errorstats', 'latencystats', ...DEFAULT_SECTIONS.slice(9)];

const runId = Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[u]}`;
}

/** Which sections a list of INFO arguments selects. */
export function selectSections(args: string[]): string[] {
  if (args.length === 0) return DEFAULT_SECTIONS;
  const out = new Set<string>();
  for (const a of args.map((s) => s.toLowerCase())) {
    if (a === 'default') DEFAULT_SECTIONS.forEach((s) => out.add(s));
    else if (a === 'all' || a === 'everything') ALL_SECTIONS.forEach((s) => out.add(s));
    else out.add(a);
  }
  return ALL_SECTIONS.filter((s) => out.has(s)).concat([...out].filter((s) => !ALL_SECTIONS.includes(s)));
}

/** Every command's latency histogram, merged over the threads and shards that ran it. */
export function mergedLatency(reports: ThreadReport[]): Map<string, Histogram> {
  const out = new Map<string, Histogram>();
  for (const r of reports) {
    for (const source of [r.stats.latency, r.shard.latency]) {
      for (const [name, buckets] of Object.entries(source)) {
        let h = out.get(name);
        if (h === undefined) out.set(name, (h = new Map()));
        merge(h, buckets);
      }
    }
  }
  return out;
}

export function buildInfo(thread: ThreadContext, sections: string[], reports: ThreadReport[]): string {
  const cfg = thread.config;
  const now = Date.now();
  const lines: string[] = [];
  const shards = reports.map((r) => r.shard);
  const sum = (f: (s: ShardStats) => number) => shards.reduce((a, s) => a + f(s), 0);
  const total = (f: (r: ThreadReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  const arenaUsed = sum((s) => s.arena.allocatedBytes);
  const heaps = total((r) => r.heapUsed);
  const usedMemory = arenaUsed + heaps;
  const rss = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const expiredKeys = sum((s) => s.expiredKeys);
  const errorsByPrefix = new Map<string, number>();
  for (const r of reports) for (const [k, v] of Object.entries(r.stats.errors)) errorsByPrefix.set(k, (errorsByPrefix.get(k) ?? 0) + v);
  for (const s of shards) for (const [k, v] of Object.entries(s.errorstats)) errorsByPrefix.set(k, (errorsByPrefix.get(k) ?? 0) + v);

  for (const section of sections) {
    const body: string[] = [];
    switch (section) {
      case 'server':
        body.push(
          `redis_version:${REDIS_COMPAT_VERSION}`,
          'redis_git_sha1:00000000',
          'redis_git_dirty:0',
          'redis_build_id:0',
          'redis_mode:standalone',
          `os:${os.type()} ${os.release()} ${os.arch()}`,
          'arch_bits:64',
          'multiplexing_api:libuv',
          `process_id:${process.pid}`,
          'process_supervised:no',
          `run_id:${runId}`,
          `tcp_port:${cfg.get('port')}`,
          `server_time_usec:${now * 1000}`,
          `uptime_in_seconds:${Math.floor((now - thread.startedAt) / 1000)}`,
          `uptime_in_days:${Math.floor((now - thread.startedAt) / 86400000)}`,
          `hz:${cfg.get('hz')}`,
          `configured_hz:${cfg.get('hz')}`,
          `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
          `executable:${thread.executable}`,
          `config_file:${process.env.SHOAL_CONFIG_FILE ?? ''}`,
          `shoal_version:${SHOAL_VERSION}`,
          `node_version:${process.version}`,
          `threads:${reports.length}`,
        );
        break;
      case 'clients':
        body.push(
          `connected_clients:${total((r) => r.connections)}`,
          'cluster_connections:0',
          `maxclients:${cfg.get('maxclients')}`,
          `blocked_clients:${new Set(reports.flatMap((r) => r.blockedHere)).size + total((r) => r.paused)}`,
          `tracking_clients:${total((r) => r.trackingClients)}`,
          'clients_in_timeout_table:0',
        );
        break;
      case 'memory': {
        const m = memoryFigures(thread, reports);
        const pct = (a: number, b: number): string => `${b > 0 ? ((a * 100) / b).toFixed(2) : '0.00'}%`;
        body.push(
          `used_memory:${usedMemory}`,
          `used_memory_human:${human(usedMemory)}`,
          `used_memory_rss:${rss}`,
          `used_memory_rss_human:${human(rss)}`,
          `used_memory_peak:${m.peak}`,
          `used_memory_peak_human:${human(m.peak)}`,
          `used_memory_peak_perc:${pct(usedMemory, m.peak)}`,
          `used_memory_overhead:${m.overhead}`,
          `used_memory_startup:${m.startup}`,
          `used_memory_dataset:${m.dataset}`,
          `used_memory_dataset_perc:${pct(m.dataset, usedMemory - m.startup)}`,
          `allocator_allocated:${m.used}`,
          `allocator_active:${m.allocatorActive}`,
          `allocator_resident:${rss}`,
          `total_system_memory:${m.totalSystem}`,
          `total_system_memory_human:${human(m.totalSystem)}`,
          `used_memory_arena_allocated:${arenaUsed}`,
          `used_memory_arena_reserved:${sum((s) => s.arena.reservedBytes)}`,
          `used_memory_arena_requested:${sum((s) => s.arena.usedBytes)}`,
          `used_memory_keyspace_tables:${sum((s) => s.tableBytes)}`,
          `used_memory_heap_threads:${heaps}`,
          `maxmemory:${cfg.get('maxmemory')}`,
          `maxmemory_human:${human(Number(cfg.get('maxmemory')))}`,
          `maxmemory_policy:${cfg.get('maxmemory-policy')}`,
          `allocator_frag_ratio:${(m.allocatorActive / Math.max(1, m.used)).toFixed(2)}`,
          `allocator_frag_bytes:${m.allocatorActive - m.used}`,
          `allocator_rss_ratio:${(rss / Math.max(1, m.allocatorActive)).toFixed(2)}`,
          `allocator_rss_bytes:${rss - m.allocatorActive}`,
          `mem_fragmentation_ratio:${usedMemory > 0 ? (rss / usedMemory).toFixed(2) : '0.00'}`,
          `mem_fragmentation_bytes:${rss - usedMemory}`,
          `mem_clients_normal:${m.clients}`,
          'mem_allocator:native-free-arena',
          // Every thread holds every script and library: these are one thread's (the same on all).
          `used_memory_scripts_eval:${scriptCache.bytes}`,
          `number_of_cached_scripts:${scriptCache.size}`,
          `number_of_functions:${functionRegistry.functionCount}`,
          `used_memory_functions:${functionRegistry.list().reduce((n, l) => n + l.code.length, 0)}`,
          `active_defrag_running:${shards.some((s) => s.defrag.running) ? 1 : 0}`,
        );
        break;
      }
      case 'persistence': {
        const saves = thread.saves;
        body.push(`loading:${saves.loading ? 1 : 0}`, 'async_loading:0');
        if (saves.loading) {
          const { start, total, loaded } = saves.load;
          const secs = (now - start) / 1000;
          const perc = total > 0 ? (loaded / total) * 100 : 0;
          const eta = loaded > 0 ? Math.round(((total - loaded) * secs) / loaded) : 1;
          body.push(
            `loading_start_time:${Math.floor(start / 1000)}`,
            `loading_total_bytes:${total}`,
            `loading_rdb_used_mem:0`,
            `loading_loaded_bytes:${loaded}`,
            `loading_loaded_perc:${perc.toFixed(2)}`,
            `loading_eta_seconds:${eta}`,
          );
        }
        body.push(
          `rdb_changes_since_last_save:${saves.changesSinceSave}`,
          `rdb_bgsave_in_progress:${saves.running ? 1 : 0}`,
          `rdb_last_save_time:${saves.lastSave}`,
          `rdb_last_bgsave_status:${saves.lastOk ? 'ok' : 'err'}`,
          `rdb_last_bgsave_time_sec:${saves.lastDuration}`,
          `rdb_current_bgsave_time_sec:${saves.running ? Math.round((now - saves.startedAt) / 1000) : -1}`,
          `rdb_saves:${saves.saves}`,
          // No fork copies pages: this is what BGSAVE's shards wrote ahead of their walk.
          `rdb_last_cow_size:${saves.lastCow}`,
          `rdb_last_load_keys_expired:${saves.loadExpired}`,
          `rdb_last_load_keys_loaded:${saves.loadedKeys}`,
        );
        const aof = thread.aofState;
        const on = aof.mode !== AofMode.Off;
        body.push(
          `aof_enabled:${on ? 1 : 0}`,
          `aof_rewrite_in_progress:${saves.rewriting ? 1 : 0}`,
          `aof_rewrite_scheduled:${aof.rewriteScheduled ? 1 : 0}`,
          `aof_last_rewrite_time_sec:${aof.lastRewriteSeconds}`,
          `aof_current_rewrite_time_sec:${saves.rewriting ? Math.round((now - aof.rewriteStarted) / 1000) : -1}`,
          `aof_last_bgrewrite_status:${aof.lastRewriteOk ? 'ok' : 'err'}`,
          `aof_rewrites:${aof.rewrites}`,
          `aof_rewrites_consecutive_failures:${aof.consecutiveFailures}`,
          `aof_last_write_status:${aof.lastWriteOk ? 'ok' : 'err'}`,
          'aof_last_cow_size:0',
        );
        if (on) {
          body.push(
            `aof_current_size:${aof.currentSize}`,
            `aof_base_size:${aof.baseSize}`,
            'aof_pending_rewrite:0',
            'aof_buffer_length:0',
            'aof_pending_bio_fsync:0',
            `aof_delayed_fsync:${aof.delayedFsync}`,
          );
        }
        break;
      }
      case 'stats': {
        let errors = 0;
        for (const v of errorsByPrefix.values()) errors += v;
        body.push(
          `total_connections_received:${total((r) => r.stats.totalConnections)}`,
          `total_commands_processed:${total((r) => r.stats.totalCommands)}`,
          `total_net_input_bytes:${total((r) => r.stats.netInput)}`,
          `total_net_output_bytes:${total((r) => r.stats.netOutput)}`,
          `instantaneous_ops_per_sec:${Math.round(total((r) => r.instantaneous.ops))}`,
          `instantaneous_input_kbps:${total((r) => r.instantaneous.inputKbps).toFixed(2)}`,
          `instantaneous_output_kbps:${total((r) => r.instantaneous.outputKbps).toFixed(2)}`,
          `rejected_connections:${total((r) => r.stats.rejectedConnections)}`,
          `expired_keys:${expiredKeys}`,
          `expired_subkeys:${sum((s) => s.expiredFields)}`,
          `evicted_keys:${sum((s) => s.evictedKeys)}`,
          `evicted_clients:${total((r) => r.stats.evictedClients)}`,
          `keyspace_hits:${sum((s) => s.hits)}`,
          `keyspace_misses:${sum((s) => s.misses)}`,
          // The hub's directory covers every thread's subscriptions.
          `pubsub_channels:${thread.pubsub.names(SubKind.Channel, null).length}`,
          `pubsub_patterns:${thread.pubsub.names(SubKind.Pattern, null).length}`,
          `pubsubshard_channels:${thread.pubsub.names(SubKind.Shard, null).length}`,
          `tracking_total_keys:${total((r) => r.tracking.keys)}`,
          `tracking_total_items:${total((r) => r.tracking.items)}`,
          `tracking_total_prefixes:${reports[0]?.tracking.prefixes ?? 0}`,
          `total_error_replies:${errors}`,
          `active_defrag_hits:${sum((s) => s.defrag.hits)}`,
          `active_defrag_misses:${sum((s) => s.defrag.misses)}`,
          `active_defrag_key_hits:${sum((s) => s.defrag.keyHits)}`,
          `active_defrag_key_misses:${sum((s) => s.defrag.keyMisses)}`,
          `client_output_buffer_limit_disconnections:${total((r) => r.stats.outputLimitDisconnections)}`,
        );
        break;
      }
      case 'replication':
        body.push('role:master', 'connected_slaves:0', `master_replid:${runId}`, 'master_repl_offset:0');
        break;
      case 'cpu':
        body.push(
          `used_cpu_sys:${(cpu.system / 1e6).toFixed(6)}`,
          `used_cpu_user:${(cpu.user / 1e6).toFixed(6)}`,
          'used_cpu_sys_children:0.000000',
          'used_cpu_user_children:0.000000',
        );
        break;
      case 'modules':
      case 'cluster':
        if (section === 'cluster') body.push('cluster_enabled:0');
        break;
      case 'commandstats': {
        const merged = new Map<string, [number, number, number, number]>();
        for (const s of shards) {
          for (const [name, [calls, usec, failed]] of Object.entries(s.cmdstats)) {
            const m = merged.get(name) ?? [0, 0, 0, 0];
            m[0] += calls;
            m[1] += usec;
            m[3] += failed;
            merged.set(name, m);
          }
        }
        for (const r of reports) {
          for (const [name, [calls, usec]] of Object.entries(r.stats.commandStats)) {
            const m = merged.get(name) ?? [0, 0, 0, 0];
            m[0] += calls;
            m[1] += usec;
            merged.set(name, m);
          }
          for (const [name, n] of Object.entries(r.stats.rejected)) {
            const m = merged.get(name) ?? [0, 0, 0, 0];
            m[2] += n;
            merged.set(name, m);
          }
        }
        for (const [name, [calls, usec, rejected, failed]] of [...merged].sort()) {
          const per = calls > 0 ? (usec / calls).toFixed(2) : '0.00';
          body.push(`cmdstat_${name}:calls=${calls},usec=${Math.round(usec)},usec_per_call=${per},rejected_calls=${rejected},failed_calls=${failed}`);
        }
        break;
      }
      case 'errorstats':
        for (const [k, v] of [...errorsByPrefix].sort()) body.push(`errorstat_${k}:count=${v}`);
        break;
      case 'latencystats': {
        const percentiles = cfg.get('latency-tracking-info-percentiles').split(' ').filter((p) => p !== '').map(Number);
        for (const [name, h] of [...mergedLatency(reports)].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          body.push(`latency_percentiles_usec_${name}:${percentiles.map((p) => `p${p}=${(valueAtPercentile(h, p) / 1000).toFixed(3)}`).join(',')}`);
        }
        break;
      }
      case 'keyspace':
        for (let db = 0; db < 16; db++) {
          const keys = sum((s) => s.keys[db]);
          if (keys > 0) body.push(`db${db}:keys=${keys},expires=${sum((s) => s.volatile[db])},avg_ttl=0`);
        }
        break;
      case 'threads':
        for (const r of reports) {
          body.push(`thread_${r.index}:tid=${r.tid},clients=${r.connections},commands=${r.stats.totalCommands},shard_commands=${r.shard.commands}`);
        }
        break;
      case 'shards':
        for (const s of shards) {
          const keys = s.keys.reduce((a, b) => a + b, 0);
          body.push(`shard_${s.index}:keys=${keys},arena_used=${s.arena.allocatedBytes},heap_used=${s.heapUsed},heap_committed=${s.heapCommitted},heap_malloced=${s.heapMalloced},arena_reserved=${s.arena.reservedBytes},commands=${s.commands}`);
        }
        break;
      default:
        continue;
    }
    const title = section === 'cpu' ? 'CPU' : section[0].toUpperCase() + section.slice(1);
    lines.push(`# ${title}`, ...body, '');
  }
  if (lines.length > 0) lines.pop();
  return lines.map((l) => l + '\r\n').join('');
}
