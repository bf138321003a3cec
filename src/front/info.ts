/**
 * INFO: the front asks every shard for its statistics (one fan-out) and
 * merges them with its own into Redis's INFO text. Totals appear in the
 * usual sections; the Shoal-specific "shards" section has one line per shard.
 */
import os from 'node:os';
import v8 from 'node:v8';
import type { ShardStats } from '../shard/shard.js';
import type { Front } from './front.js';

export const SHOAL_VERSION = '0.1.0';
/** The Redis version whose behaviour Shoal follows (clients read it from INFO and HELLO). */
export const REDIS_COMPAT_VERSION = '7.2.0';

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace', 'shards'];
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, 9), 'commandstats', ...DEFAULT_SECTIONS.slice(9)];

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

export function buildInfo(front: Front, sections: string[], shards: ShardStats[]): string {
  const cfg = front.config;
  const now = Date.now();
  const lines: string[] = [];
  const sum = (f: (s: ShardStats) => number) => shards.reduce((a, s) => a + f(s), 0);
  const heapFront = v8.getHeapStatistics().used_heap_size;
  const arenaUsed = sum((s) => s.arena.allocatedBytes);
  const heapShards = sum((s) => s.heapUsed);
  const usedMemory = arenaUsed + heapShards + heapFront;
  const rss = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const conns = front.liveConnections();
  const expiredKeys = sum((s) => s.expiredKeys);

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
          `uptime_in_seconds:${Math.floor((now - front.startedAt) / 1000)}`,
          `uptime_in_days:${Math.floor((now - front.startedAt) / 86400000)}`,
          `hz:${cfg.get('hz')}`,
          `configured_hz:${cfg.get('hz')}`,
          `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
          `executable:${process.argv[1] ?? ''}`,
          `config_file:${process.env.SHOAL_CONFIG_FILE ?? ''}`,
          `shoal_version:${SHOAL_VERSION}`,
          `node_version:${process.version}`,
          `shards:${front.links.length}`,
        );
        break;
      case 'clients':
        body.push(
          `connected_clients:${conns.length}`,
          'cluster_connections:0',
          `maxclients:${cfg.get('maxclients')}`,
          `blocked_clients:${front.blockedClients()}`,
          'tracking_clients:0',
          'clients_in_timeout_table:0',
        );
        break;
      case 'memory':
        body.push(
          `used_memory:${usedMemory}`,
          `used_memory_human:${human(usedMemory)}`,
          `used_memory_rss:${rss}`,
          `used_memory_rss_human:${human(rss)}`,
          `used_memory_dataset:${arenaUsed}`,
          `used_memory_arena_reserved:${sum((s) => s.arena.reservedBytes)}`,
          `used_memory_arena_requested:${sum((s) => s.arena.usedBytes)}`,
          `used_memory_keyspace_tables:${sum((s) => s.tableBytes)}`,
          `used_memory_heap_front:${heapFront}`,
          `used_memory_heap_shards:${heapShards}`,
          `maxmemory:${cfg.get('maxmemory')}`,
          `maxmemory_human:${human(Number(cfg.get('maxmemory')))}`,
          `maxmemory_policy:${cfg.get('maxmemory-policy')}`,
          `mem_fragmentation_ratio:${usedMemory > 0 ? (rss / usedMemory).toFixed(2) : '0.00'}`,
          'mem_allocator:native-free-arena',
        );
        break;
      case 'persistence':
        body.push(
          'loading:0',
          'async_loading:0',
          'rdb_changes_since_last_save:0',
          'rdb_bgsave_in_progress:0',
          `rdb_last_save_time:${front.lastSave}`,
          'rdb_last_bgsave_status:ok',
          'aof_enabled:0',
          'aof_rewrite_in_progress:0',
        );
        break;
      case 'stats': {
        let errors = 0;
        for (const v of front.stats.errors.values()) errors += v;
        for (const s of shards) for (const v of Object.values(s.errorstats)) errors += v;
        body.push(
          `total_connections_received:${front.stats.totalConnections}`,
          `total_commands_processed:${front.stats.totalCommands}`,
          `total_net_input_bytes:${front.stats.netInput}`,
          `total_net_output_bytes:${front.stats.netOutput}`,
          `rejected_connections:${front.stats.rejectedConnections}`,
          `expired_keys:${expiredKeys}`,
          'evicted_keys:0',
          `total_error_replies:${errors}`,
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
        for (const [name, [calls, usec]] of front.commandStats) {
          const m = merged.get(name) ?? [0, 0, 0, 0];
          m[0] += calls;
          m[1] += usec;
          merged.set(name, m);
        }
        for (const [name, n] of front.stats.rejected) {
          const m = merged.get(name) ?? [0, 0, 0, 0];
          m[2] += n;
          merged.set(name, m);
        }
        for (const [name, [calls, usec, rejected, failed]] of [...merged].sort()) {
          const per = calls > 0 ? (usec / calls).toFixed(2) : '0.00';
          body.push(`cmdstat_${name}:calls=${calls},usec=${Math.round(usec)},usec_per_call=${per},rejected_calls=${rejected},failed_calls=${failed}`);
        }
        break;
      }
      case 'errorstats': {
        const merged = new Map<string, number>(front.stats.errors);
        for (const s of shards) for (const [k, v] of Object.entries(s.errorstats)) merged.set(k, (merged.get(k) ?? 0) + v);
        for (const [k, v] of [...merged].sort()) body.push(`errorstat_${k}:count=${v}`);
        break;
      }
      case 'keyspace':
        for (let db = 0; db < 16; db++) {
          const keys = sum((s) => s.keys[db]);
          if (keys > 0) body.push(`db${db}:keys=${keys},expires=${sum((s) => s.volatile[db])},avg_ttl=0`);
        }
        break;
      case 'shards':
        for (const s of shards) {
          const keys = s.keys.reduce((a, b) => a + b, 0);
          body.push(`shard_${s.index}:keys=${keys},arena_used=${s.arena.allocatedBytes},heap_used=${s.heapUsed},commands=${s.commands}`);
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
