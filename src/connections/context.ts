/**
 * What the connection side of a thread (dispatch, MULTI/EXEC, the
 * connection and server commands) needs from the thread it runs on
 * (threads/thread.ts implements it): the local shard, frames to any shard,
 * the connections, the shared counters, and the views of every thread.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Hops } from '../scheduler/transaction.js';
import type { FrameArgs } from '../transport/frames.js';
import type { Shard } from '../shard/shard.js';
import type { NestedCall, NestedResult } from '../shard/exec.js';
import type { CrossShard } from '../commands/across.js';
import type { ScriptWatch } from '../transport/script-watch.js';
import type { SharedState } from '../transport/shared.js';
import type { AofState } from '../persistence/aof-state.js';
import type { SaveState } from '../persistence/save-state.js';
import type { Connection } from './connection.js';
import type { PubSubHub } from '../pubsub/hub.js';
import type { ScriptKeyUse } from '../transport/script-key-use.js';
import type { SlowLog } from './slowlog.js';
import type { MemoryGauge } from '../transport/memory-gauge.js';
import type { LatencyMonitor } from './latency-monitor.js';

/** Counters of one thread's connections, merged across threads for INFO. */
export interface ThreadStats {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  /** Commands refused before running (unknown, arity, auth), by name. */
  rejected: Record<string, number>;
  /** Error replies produced on the connection side, by prefix. */
  errors: Record<string, number>;
  /** Calls and time (usec) of the commands run on the connection side. */
  commandStats: Record<string, [calls: number, usec: number]>;
  netInput: number;
  netOutput: number;
  /** Clients disconnected for passing their output limits (INFO client_output_buffer_limit_disconnections). */
  outputLimitDisconnections: number;
  /** Clients disconnected by maxmemory-clients (INFO evicted_clients). */
  evictedClients: number;
  /** Latency histograms of the connection commands run here, by name: [lowest value (ns), count] pairs (util/latency-histogram.ts). */
  latency: Record<string, [number, number][]>;
}

export function newThreadStats(): ThreadStats {
  return { totalConnections: 0, rejectedConnections: 0, totalCommands: 0, rejected: {}, errors: {}, commandStats: {}, netInput: 0, netOutput: 0, outputLimitDisconnections: 0, evictedClients: 0, latency: {} };
}

export interface ThreadContext extends Hops {
  /** This thread's index, which is also its shard's index. */
  readonly index: number;
  readonly shard: Shard;
  readonly config: Config;
  readonly log: Logger;
  readonly shared: SharedState;
  /** The server's main script (INFO's executable). */
  readonly executable: string;
  /** Snapshots: the one running, the last one, the changes since (shared by all threads). */
  readonly saves: SaveState;
  /** AOF state shared with every thread and the writer (persistence/aof-state.ts). */
  readonly aofState: AofState;
  /** This thread's subscribers and the directory of every other thread's (pubsub/hub.ts). */
  readonly pubsub: PubSubHub;
  /** What is known of each script's keys: whether it may run on its keys' shard alone (transport/script-key-use.ts). */
  readonly scriptKeyUse: ScriptKeyUse;
  /** latency-tracking is on: commands' latencies go in histograms. */
  readonly latencyTracking: boolean;
  /** Counts a connection command's latency (µs) in this thread's histograms. */
  recordLatency(fullName: string, usec: number): void;
  /** latency-monitor-threshold (ms; 0: off). */
  readonly latencyThreshold: number;
  readonly latencyMonitor: LatencyMonitor;
  /** Every thread's memory as maxmemory counts it, with its peak. */
  readonly memory: MemoryGauge;
  /** The commands this thread (and its shard) ran slowly (SLOWLOG). */
  readonly slowlog: SlowLog;
  /** The scripts running on every thread (SCRIPT KILL, BUSY). */
  readonly scriptWatch: ScriptWatch;
  /** How a command crosses shards (the command table's strategy), by full name; null for none. */
  crossOf(fullName: string): CrossShard | null;
  /** The function libraries' code (snapshots save them). */
  functionCodes(): Uint8Array[];
  /** The AOF records this command as it was run on this thread (FUNCTION LOAD, DELETE, FLUSH), when the AOF is on. */
  propagate(args: (Uint8Array | string)[]): void;
  /** A script's call on `shard`, synchronously: this thread's shard directly, another's through its mailbox. */
  scriptCallOn(shard: number, id: number, args: Uint8Array[], call: NestedCall): NestedResult;
  /** Asks the AOF writer (the supervisor) to turn the AOF on or off, or to take part in a rewrite. */
  aofControl(op: 'on' | 'off' | 'rewrite-start' | 'rewrite-done' | 'rewrite-failed', temp?: string): Promise<void>;
  readonly stats: ThreadStats;
  readonly startedAt: number;
  /** The OS thread id (for INFO threads and per-thread CPU accounting). */
  readonly tid: number;
  /** Bytes queued for peers whose rings are full (backpressure pauses reading above a limit). */
  readonly overflowBytes: number;
  /** Frames for the local shard wait in the thread's queue: a command must not overtake them by running inline. */
  readonly localBacklog: boolean;

  /** The shard owning the key at bytes [off, off + len) of u8. */
  shardOfArg(u8: Uint8Array, off: number, len: number): number;
  /** Sends a frame to a shard for a client's command; its reply reaches the connection by (key, seq). */
  send(shard: number, conn: number, seq: number, word2: number, db: number, txid: number, args: FrameArgs, pick: number[] | null): void;
  /** Like Hops.request, telling the caller the internal sequence number first (to cancel the wait). */
  requestWithSeq(shard: number, word2: number, db: number, args: Uint8Array[], txid: number, conn: number, onSeq: (seq: number) => void): Promise<Uint8Array>;
  /** Asks every thread (this one included) a connection-wide question (frames.ts OP_THREAD). */
  allThreads(op: number, args: Uint8Array[]): Promise<Uint8Array[]>;

  liveConnections(): Connection[];
  markDirty(c: Connection): void;
  killConnection(c: Connection): void;
  /** Asks the supervisor to shut the server down. */
  requestShutdown(): void;
}
