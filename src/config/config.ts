/**
 * Server configuration: the parameters Shoal has, read from a redis.conf-style
 * file and from `--name value` command-line flags (as redis-server takes
 * them), and changed at run time by CONFIG SET where a parameter allows it.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseSavePoints } from './save-points.js';
import { parseMemory } from './memory-units.js';
import { OUTPUT_LIMITS_DEFAULT, mergeOutputLimits } from './output-limits.js';
import { formatKeyspaceEvents, parseKeyspaceEvents } from '../util/keyspace-events.js';
import os from 'node:os';
import { TUNABLE_PARAMS, newTunables, storeTunable } from './tunables.js';

/** `memory-percent`: bytes, or a percentage of maxmemory written `N%` (maxmemory-clients). */
type Kind = 'int' | 'memory' | 'memory-percent' | 'string' | 'bool' | 'enum';

interface ParamDef {
  name: string;
  kind: Kind;
  default: string;
  mutable: boolean;
  values?: string[];
  min?: number;
  max?: number;
  /** Accepted for compatibility; has no effect in Shoal yet (said in docs/compatibility.md). */
  inert?: boolean;
  /** Redis's older name for the parameter (CONFIG GET lists both, either can be set). */
  alias?: string;
  /** Refuses a value with the reason Redis gives, or null. */
  check?: (value: string) => string | null;
  /** How CONFIG GET shows the stored value, when not as it is. */
  show?: (stored: string) => string;
  /** A value that sets part of the parameter: the whole value it makes from the current one, or the reason it is refused. */
  merge?: (value: string, current: string) => { value: string } | { error: string };
}

function isDirectory(v: string): string | null {
  try {
    return statSync(v).isDirectory() ? null : 'Not a directory';
  } catch {
    return 'No such file or directory';
  }
}

/** appendfilename and appenddirname name an entry of `dir`, never a path (Redis's check). */
function plainName(v: string): string | null {
  return v === '' || v.includes('/') || v === '.' || v === '..' ? "can't be a path, just a filename" : null;
}

/** notify-keyspace-events: Redis's letters, shown back as Redis shows them. */
function keyspaceEvents(v: string): { value: string } | { error: string } {
  const flags = parseKeyspaceEvents(v);
  return flags < 0 ? { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." } : { value: formatKeyspaceEvents(flags, true) };
}

/** latency-tracking-info-percentiles: numbers from 0 to 100. */
function percentiles(v: string): string | null {
  const values = v.split(' ').filter((p) => p !== '');
  if (!values.every((p) => /^-?\d+(\.\d+)?$/.test(p))) return 'Invalid latency-tracking-info-percentiles parameters';
  if (!values.every((p) => Number(p) >= 0 && Number(p) <= 100)) return 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]';
  return null;
}

function savePoints(v: string): string | null {
  try {
    parseSavePoints(v);
    return null;
  } catch {
    return 'Invalid save parameters';
  }
}

const PARAMS: ParamDef[] = [
  { name: 'port', kind: 'int', default: '6379', mutable: false, min: 0, max: 65535 },
  { name: 'bind', kind: 'string', default: '127.0.0.1 -::1', mutable: false },
  // Threads that each serve clients and own a shard (docs/architecture.md); one per core by default.
  { name: 'threads', alias: 'shards', kind: 'int', default: String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length)), mutable: false, min: 1, max: 256 },
  { name: 'unixsocket', kind: 'string', default: '', mutable: false },
  { name: 'unixsocketperm', kind: 'string', default: '0', mutable: false },
  // Prometheus metrics over HTTP on this port (0: off), served by thread 0.
  { name: 'metrics-port', kind: 'int', default: '0', mutable: false, min: 0, max: 65535 },
  { name: 'requirepass', kind: 'string', default: '', mutable: true },
  { name: 'loglevel', kind: 'enum', default: 'notice', mutable: true, values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', kind: 'string', default: '', mutable: false },
  { name: 'maxclients', kind: 'int', default: '10000', mutable: true, min: 1, max: 1_000_000 },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '536870912', mutable: true, min: 1024 * 1024 },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1073741824', mutable: true, min: 1024 * 1024 },
  { name: 'databases', kind: 'int', default: '16', mutable: false, min: 16, max: 16 },
  { name: 'timeout', kind: 'int', default: '0', mutable: true, min: 0 },
  { name: 'tcp-keepalive', kind: 'int', default: '300', mutable: true, min: 0 },
  { name: 'hz', kind: 'int', default: '10', mutable: true, min: 1, max: 500 },
  // Encoding thresholds of the collection types (shared with the shards: config/tunables.ts).
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', kind: 'int', default: '512', mutable: true, min: 0 },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', kind: 'memory', default: '64', mutable: true },
  { name: 'set-max-intset-entries', kind: 'int', default: '512', mutable: true, min: 0 },
  { name: 'set-max-listpack-entries', kind: 'int', default: '128', mutable: true, min: 0 },
  { name: 'set-max-listpack-value', kind: 'memory', default: '64', mutable: true },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', kind: 'int', default: '128', mutable: true, min: 0 },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', kind: 'memory', default: '64', mutable: true },
  { name: 'hll-sparse-max-bytes', kind: 'memory', default: '3000', mutable: true },
  // Any int, as Redis takes it: fills below -5 act as -5 (types/list.ts).
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', kind: 'int', default: '-2', mutable: true, min: -2147483648, max: 2147483647 },
  { name: 'stream-node-max-bytes', kind: 'memory', default: '4096', mutable: true },
  { name: 'stream-node-max-entries', kind: 'int', default: '100', mutable: true, min: 0 },
  // Snapshots (persistence/): Redis's default save points when no configuration names any.
  { name: 'save', kind: 'string', default: '3600 1 300 100 60 10000', mutable: true, check: savePoints },
  { name: 'appendonly', kind: 'bool', default: 'no', mutable: true },
  // The AOF (persistence/aof-*.ts): Redis 7's multi-part files in dir/appenddirname.
  { name: 'appendfsync', kind: 'enum', default: 'everysec', mutable: true, values: ['always', 'everysec', 'no'] },
  { name: 'appenddirname', kind: 'string', default: 'appendonlydir', mutable: false, check: plainName },
  { name: 'appendfilename', kind: 'string', default: 'appendonly.aof', mutable: false, check: plainName },
  { name: 'aof-load-truncated', kind: 'bool', default: 'yes', mutable: true },
  { name: 'aof-use-rdb-preamble', kind: 'bool', default: 'yes', mutable: true },
  { name: 'aof-timestamp-enabled', kind: 'bool', default: 'no', mutable: true },
  { name: 'auto-aof-rewrite-percentage', kind: 'int', default: '100', mutable: true, min: 0 },
  { name: 'auto-aof-rewrite-min-size', kind: 'memory', default: '64mb', mutable: true },
  { name: 'no-appendfsync-on-rewrite', kind: 'bool', default: 'no', mutable: true, inert: true },
  { name: 'aof-rewrite-incremental-fsync', kind: 'bool', default: 'yes', mutable: true, inert: true },
  { name: 'dir', kind: 'string', default: process.cwd(), mutable: true, check: isDirectory },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb', mutable: true },
  { name: 'rdbcompression', kind: 'bool', default: 'yes', mutable: true },
  { name: 'rdbchecksum', kind: 'bool', default: 'yes', mutable: true },
  // Redis's debug parameter: microseconds to wait per key loaded (tests watch LOADING with it).
  { name: 'key-load-delay', kind: 'int', default: '0', mutable: true, min: 0 },
  // Scripts (docs/scripting.md): after this many ms a running script's shard answers BUSY.
  { name: 'busy-reply-threshold', alias: 'lua-time-limit', kind: 'int', default: '5000', mutable: true, min: 0 },
  // Hard and soft output limits per client class (docs/configuration.md); enforced for pub/sub clients.
  { name: 'client-output-buffer-limit', kind: 'string', default: OUTPUT_LIMITS_DEFAULT, mutable: true, merge: mergeOutputLimits },
  // Keyspace notifications: which events are published (docs/configuration.md).
  { name: 'notify-keyspace-events', kind: 'string', default: '', mutable: true, merge: keyspaceEvents, show: (v) => formatKeyspaceEvents(parseKeyspaceEvents(v)) },
  // Client-side caching: keys the tracking table keeps at most (0: no limit), shared out among the shards.
  { name: 'tracking-table-max-keys', kind: 'int', default: '1000000', mutable: true, min: 0 },
  // The latency monitor: commands taking at least this many ms are latency events (0: off).
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', mutable: true, min: 0 },
  // Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) and the percentiles INFO shows.
  { name: 'latency-tracking', kind: 'bool', default: 'yes', mutable: true },
  { name: 'latency-tracking-info-percentiles', kind: 'string', default: '50 99 99.9', mutable: true, check: percentiles },
  // SLOWLOG: commands taking at least this many µs are logged (negative: none), and how many entries are kept.
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', mutable: true },
  { name: 'slowlog-max-len', kind: 'int', default: '128', mutable: true, min: 0 },
  { name: 'stop-writes-on-bgsave-error', kind: 'bool', default: 'yes', mutable: true },
  // maxmemory and its eviction (docs/configuration.md: what counts).
  { name: 'maxmemory', kind: 'memory', default: '0', mutable: true },
  { name: 'maxmemory-clients', kind: 'memory-percent', default: '0', mutable: true },
  { name: 'maxmemory-samples', kind: 'int', default: '5', mutable: true, min: 1, max: 64 },
  { name: 'maxmemory-eviction-tenacity', kind: 'int', default: '10', mutable: true, min: 0, max: 100 },
  { name: 'lfu-log-factor', kind: 'int', default: '10', mutable: true, min: 0 },
  { name: 'lfu-decay-time', kind: 'int', default: '1', mutable: true, min: 0 },
  {
    name: 'maxmemory-policy',
    kind: 'enum',
    default: 'noeviction',
    mutable: true,
    values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
  },
  // Active defragmentation (src/shard/defrag.ts): moves keys out of sparse arena segments.
  { name: 'activedefrag', kind: 'bool', default: 'no', mutable: true },
  { name: 'active-defrag-ignore-bytes', kind: 'memory', default: '104857600', mutable: true },
  { name: 'active-defrag-threshold-lower', kind: 'int', default: '10', mutable: true, min: 0, max: 1000 },
  { name: 'active-defrag-threshold-upper', kind: 'int', default: '100', mutable: true, min: 0, max: 1000 },
  { name: 'active-defrag-cycle-min', kind: 'int', default: '1', mutable: true, min: 1, max: 99 },
  { name: 'active-defrag-cycle-max', kind: 'int', default: '25', mutable: true, min: 1, max: 99 },
  { name: 'active-defrag-max-scan-fields', kind: 'int', default: '1000', mutable: true, min: 1 },
  { name: 'protected-mode', kind: 'bool', default: 'yes', mutable: true, inert: true },
  { name: 'daemonize', kind: 'bool', default: 'no', mutable: false, inert: true },
  { name: 'lazyfree-lazy-expire', kind: 'bool', default: 'no', mutable: true, inert: true },
  { name: 'lazyfree-lazy-user-del', kind: 'bool', default: 'no', mutable: true, inert: true },
  { name: 'lazyfree-lazy-user-flush', kind: 'bool', default: 'no', mutable: true, inert: true },
];

const DEFS = new Map(PARAMS.map((p) => [p.name, p]));
for (const p of PARAMS) if (p.alias !== undefined) DEFS.set(p.alias, p);

export class ConfigError extends Error {}

export { parseMemory };

export class Config {
  private readonly values = new Map<string, string>();
  /** The shards' view of the encoding thresholds, kept in step by `set`. */
  readonly tunables: Int32Array = newTunables();

  constructor() {
    for (const p of PARAMS) this.values.set(p.name, p.default);
  }

  static names(): string[] {
    return PARAMS.map((p) => p.name);
  }

  static isInert(name: string): boolean {
    return DEFS.get(name)?.inert === true;
  }

  get(name: string): string {
    return this.values.get(name) ?? '';
  }

  int(name: string): number {
    return Number(this.values.get(name));
  }

  /** Sets a parameter; returns an error text (Redis's wording) or null. */
  set(name: string, value: string, atRuntime: boolean): string | null {
    const def = DEFS.get(name.toLowerCase());
    if (def === undefined) return `Unknown option or number of arguments for CONFIG SET - '${name}'`;
    if (atRuntime && !def.mutable) return `CONFIG SET failed (possibly related to argument '${def.name}') - can't set immutable config`;
    let v = value;
    switch (def.kind) {
      case 'int': {
        if (!/^-?\d+$/.test(v)) return `CONFIG SET failed (possibly related to argument '${def.name}') - argument couldn't be parsed into an integer`;
        const n = Number(v);
        if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
          return `CONFIG SET failed (possibly related to argument '${def.name}') - argument must be between ${def.min} and ${def.max ?? 9223372036854775807n} inclusive`;
        }
        v = String(n);
        break;
      }
      case 'memory': {
        const n = parseMemory(v);
        if (n === null || n < 0) return `CONFIG SET failed (possibly related to argument '${def.name}') - argument must be a memory value`;
        if (def.min !== undefined && n < def.min && n !== 0) {
          return `CONFIG SET failed (possibly related to argument '${def.name}') - argument must be between ${def.min} and 9223372036854775807 inclusive`;
        }
        v = String(n);
        break;
      }
      case 'memory-percent': {
        const pct = /^(\d+)%$/.exec(v);
        const n = pct === null ? parseMemory(v) : Number(pct[1]);
        if (n === null || n < 0) return `CONFIG SET failed (possibly related to argument '${def.name}') - argument must be a memory or percent value`;
        if (pct !== null && n > 100) return `CONFIG SET failed (possibly related to argument '${def.name}') - percentage argument must be less or equal to 100`;
        v = pct !== null && n > 0 ? `${n}%` : String(n);
        break;
      }
      case 'bool': {
        const l = v.toLowerCase();
        if (l !== 'yes' && l !== 'no') return `CONFIG SET failed (possibly related to argument '${def.name}') - argument must be 'yes' or 'no'`;
        v = l;
        break;
      }
      case 'enum': {
        const l = v.toLowerCase();
        if (!def.values!.includes(l)) return `CONFIG SET failed (possibly related to argument '${def.name}') - argument(s) must be one of the following: ${def.values!.join(', ')}`;
        v = l;
        break;
      }
      default:
        break;
    }
    if (def.merge !== undefined) {
      const merged = def.merge(v, this.values.get(def.name)!);
      if ('error' in merged) return `CONFIG SET failed (possibly related to argument '${def.name}') - ${merged.error}`;
      v = merged.value;
    }
    const refused = def.check?.(v) ?? null;
    if (refused !== null) return `CONFIG SET failed (possibly related to argument '${def.name}') - ${refused}`;
    this.values.set(def.name, v);
    const t = TUNABLE_PARAMS[def.name];
    if (t !== undefined) storeTunable(this.tunables, t, def.kind === 'bool' ? Number(v === 'yes') : Number(v));
    return null;
  }

  /** Every parameter's stored value (what a thread's configuration starts from). */
  entries(): [string, string][] {
    return PARAMS.map((p) => [p.name, this.values.get(p.name)!]);
  }

  /** Parameters matching a glob, for CONFIG GET. */
  matching(pattern: (name: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const p of PARAMS) {
      const v = this.values.get(p.name)!;
      const shown = p.show === undefined ? v : p.show(v);
      if (pattern(p.name)) out.push([p.name, shown]);
      if (p.alias !== undefined && pattern(p.alias)) out.push([p.alias, shown]);
    }
    return out;
  }
}

/** Splits a config-file line into words, honouring "quotes" as redis.conf does. */
function splitLine(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  return out;
}

/**
 * Reads `shoal [config-file] [--name value ...]`, like redis-server's command
 * line. Unknown parameters are reported with where they came from.
 */
export function loadConfig(argv: string[]): Config {
  const cfg = new Config();
  const directives: { name: string; args: string[]; where: string }[] = [];
  let i = 0;
  if (argv.length > 0 && !argv[0].startsWith('--')) {
    const file = argv[0];
    i = 1;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`Fatal error, can't open config file '${file}': ${(err as Error).message}`);
    }
    text.split(/\r?\n/).forEach((raw, n) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const words = splitLine(line);
      directives.push({ name: words[0].toLowerCase(), args: words.slice(1), where: `${file}:${n + 1}` });
    });
  }
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new ConfigError(`Invalid argument '${a}': options are given as --name value`);
    const args: string[] = [];
    while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args.push(argv[++i]);
    directives.push({ name: a.slice(2).toLowerCase(), args, where: `command line (${a})` });
  }
  for (const d of directives) {
    if (!DEFS.has(d.name)) {
      throw new ConfigError(`Bad directive or wrong number of arguments at ${d.where}: '${d.name}' is not a parameter Shoal supports (see docs/configuration.md)`);
    }
    const value = d.args.join(' ');
    const err = cfg.set(d.name, value, false);
    if (err !== null) throw new ConfigError(`Invalid value at ${d.where}: ${err}`);
  }
  return cfg;
}
