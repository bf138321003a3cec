/**
 * The Prometheus endpoint (`--metrics-port N`, off by default): thread 0
 * serves GET /metrics over HTTP. Each scrape asks every thread for its INFO
 * report and exposes what INFO says under redis_exporter's metric names,
 * plus Shoal's per-thread figures (commands, ring backlog, CPU, arena
 * bytes). The exposition format is prom-client's.
 */
import fs from 'node:fs';
import http from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { askThreads } from './clients-view.js';
import type { ThreadContext } from './context.js';
import type { ThreadReport } from './info.js';
import { SubKind } from '../pubsub/hub.js';
import { REDIS_COMPAT_VERSION, SHOAL_VERSION } from '../config/version.js';

/** A thread's CPU seconds (user + system) from /proc, or 0 where there is none. */
function threadCpuSeconds(tid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The metrics text for the reports of every thread. */
export async function metricsText(ctx: ThreadContext, reports: ThreadReport[]): Promise<string> {
  const registry = new Registry();
  const gauge = (name: string, help: string, value: number, labels: Record<string, string> = {}): void => {
    let g = registry.getSingleMetric(name) as Gauge | undefined;
    if (g === undefined) g = new Gauge({ name, help, labelNames: Object.keys(labels), registers: [registry] });
    g.set(labels, value);
  };
  const total = (f: (r: ThreadReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  const shards = reports.map((r) => r.shard);
  gauge('redis_up', 'Whether the server answers', 1);
  gauge('redis_uptime_in_seconds', 'Seconds since the server started', Math.floor((Date.now() - ctx.startedAt) / 1000));
  gauge('redis_connected_clients', 'Client connections', total((r) => r.connections));
  gauge('redis_blocked_clients', 'Clients waiting in a blocking command', new Set(reports.flatMap((r) => r.blockedHere)).size);
  gauge('redis_memory_used_bytes', 'Arena bytes in use plus the JS heaps', shards.reduce((a, s) => a + s.arena.allocatedBytes, 0) + total((r) => r.heapUsed));
  gauge('redis_memory_used_rss_bytes', 'Resident set size of the process', process.memoryUsage().rss);
  gauge('redis_memory_max_bytes', 'maxmemory', ctx.config.int('maxmemory'));
  gauge('redis_commands_processed_total', 'Commands processed', total((r) => r.stats.totalCommands));
  gauge('redis_connections_received_total', 'Connections accepted', total((r) => r.stats.totalConnections));
  gauge('redis_rejected_connections_total', 'Connections refused (maxclients)', total((r) => r.stats.rejectedConnections));
  gauge('redis_net_input_bytes_total', 'Bytes read from clients', total((r) => r.stats.netInput));
  gauge('redis_net_output_bytes_total', 'Bytes written to clients', total((r) => r.stats.netOutput));
  gauge('redis_instantaneous_ops_per_sec', 'Commands per second, lately', Math.round(total((r) => r.instantaneous.ops)));
  gauge('redis_keyspace_hits_total', 'Reads that found their key', shards.reduce((a, s) => a + s.hits, 0));
  gauge('redis_keyspace_misses_total', 'Reads that did not', shards.reduce((a, s) => a + s.misses, 0));
  gauge('redis_expired_keys_total', 'Keys expired', shards.reduce((a, s) => a + s.expiredKeys, 0));
  gauge('redis_evicted_keys_total', 'Keys evicted', shards.reduce((a, s) => a + s.evictedKeys, 0));
  gauge('redis_pubsub_channels', 'Channels with subscribers', ctx.pubsub.names(SubKind.Channel, null).length);
  gauge('redis_pubsub_patterns', 'Patterns with subscribers', ctx.pubsub.names(SubKind.Pattern, null).length);
  gauge('redis_instance_info', 'The server', 1, { redis_version: REDIS_COMPAT_VERSION, shoal_version: SHOAL_VERSION, redis_mode: 'standalone' });
  for (let db = 0; db < 16; db++) {
    const keys = shards.reduce((a, s) => a + s.keys[db], 0);
    if (keys === 0) continue;
    gauge('redis_db_keys', 'Keys in a database', keys, { db: `db${db}` });
    gauge('redis_db_keys_expiring', 'Keys with a TTL in a database', shards.reduce((a, s) => a + s.volatile[db], 0), { db: `db${db}` });
  }
  const calls = new Map<string, [number, number]>();
  for (const s of shards) for (const [name, [n, usec]] of Object.entries(s.cmdstats)) calls.set(name, [(calls.get(name)?.[0] ?? 0) + n, (calls.get(name)?.[1] ?? 0) + usec]);
  for (const r of reports) for (const [name, [n, usec]] of Object.entries(r.stats.commandStats)) calls.set(name, [(calls.get(name)?.[0] ?? 0) + n, (calls.get(name)?.[1] ?? 0) + usec]);
  for (const [cmd, [n, usec]] of calls) {
    gauge('redis_commands_total', 'Calls of a command', n, { cmd });
    gauge('redis_commands_duration_seconds_total', 'Time spent in a command', usec / 1e6, { cmd });
  }
  for (const r of reports) {
    const thread = String(r.index);
    gauge('shoal_thread_commands_total', 'Commands the thread dispatched for its clients', r.stats.totalCommands, { thread });
    gauge('shoal_thread_shard_commands_total', 'Commands the thread ran on its shard', r.shard.commands, { thread });
    gauge('shoal_thread_connections', 'Client connections of the thread', r.connections, { thread });
    gauge('shoal_thread_ring_backlog_bytes', 'Bytes waiting for a full ring to another thread', r.overflowBytes, { thread });
    gauge('shoal_thread_cpu_seconds_total', 'CPU time of the thread (user and system)', threadCpuSeconds(r.tid), { thread });
    gauge('shoal_shard_arena_bytes', 'Arena bytes the shard has allocated', r.shard.arena.allocatedBytes, { thread });
    gauge('shoal_thread_heap_bytes', 'JS heap of the thread', r.heapUsed, { thread });
  }
  return registry.metrics();
}

/** Serves /metrics on `port` (thread 0 only). */
export function serveMetrics(ctx: ThreadContext, port: number, host: string): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not found: Shoal serves /metrics\n');
      return;
    }
    askThreads<ThreadReport>(ctx, 'info', {})
      .then((reports) => metricsText(ctx, reports))
      .then(
        (text) => {
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`${err.message}\n`);
        },
      );
  });
  server.listen(port, host);
  return server;
}
