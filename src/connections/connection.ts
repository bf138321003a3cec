/**
 * A client connection, owned by the thread that accepted it: its socket,
 * parser and session state (database, protocol, name, auth, CLIENT flags,
 * MULTI queue, blocked state), on top of its reply order (reply-order.ts).
 */
import type { Socket } from 'node:net';
import type { FrameArgs } from '../transport/frames.js';
import { RequestParser, type ParserLimits } from '../protocol/request-parser.js';
import type { CommandEntry } from './command-table.js';
import { ReplyOrder } from './reply-order.js';
import { giveBuffer } from '../util/buffer-pool.js';

/** CLIENT TRACKING's settings of a connection (connections/tracking-family.ts). */
export interface TrackingState {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** The client its invalidations go to (0: itself) and that client's connection key. */
  redirect: number;
  redirectKey: number;
  /** BCAST prefixes (latin1). */
  prefixes: string[];
  /** CLIENT CACHING for the next command. */
  caching: 'yes' | 'no' | null;
  /** The redirect target is gone (told once, in RESP3). */
  broken: boolean;
}

/** The arguments of one command: what the parser hands over, or a queued command replayed by EXEC. */
export type ArgView = FrameArgs;

export class Connection extends ReplyOrder {
  readonly parser: RequestParser;
  db = 0;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  user = 'default';
  noTouch = false;
  noEvict = false;
  /** What it held when last noted by maxmemory-clients (client-eviction.ts). */
  memoryNoted = 0;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  closed = false;
  /**
   * The AOF's loader (connections/aof-replay.ts), not a client: it runs
   * while others get LOADING, never blocks, and no client view lists it.
   */
  loader = false;
  /** Close once the output is written (QUIT, protocol errors, CLIENT KILL). */
  closeAfterWrite = false;
  /** Parsing stopped (backpressure, or a command the next ones must wait for); resumes later. */
  paused = false;
  /** Already in the thread's list of connections to flush this turn. */
  dirty = false;
  /** Its next command is held by CLIENT PAUSE (Redis shows such a client blocked: flags=b). */
  pauseHeld = false;
  /** Its channels, patterns and shard channels (pubsub/hub.ts), or null before its first subscription. */
  subs: [Set<string>, Set<string>, Set<string>] | null = null;
  /** What its subscriptions hold, and how many there were when counted (client-memory.ts). */
  subsMemory = 0;
  subsCounted = 0;
  /** It ran MONITOR: it gets every command's line. */
  monitor = false;
  /** CLIENT TRACKING ON: its settings; null when off. */
  tracking: TrackingState | null = null;
  /** Since when its output has been over the soft limit of its class (client-output-buffer-limit), or 0. */
  overSoftSince = 0;
  /** Commands seen (CLIENT LIST's `cmd`, stats). */
  commands = 0;
  /** Commands queued since MULTI (arguments packed, command resolved), or null outside MULTI. */
  multi: { view: ArgView; entry: CommandEntry }[] | null = null;
  /** A command was refused while queueing: EXEC will answer EXECABORT. */
  multiDirty = false;
  /** Keys it WATCHes (CLIENT LIST watch, Redis 7.4). */
  watchCount = 0;
  /** Shards holding this connection's WATCHes. */
  readonly watchShards = new Set<number>();
  /**
   * Later commands wait: EXEC is running, or a command whose keys span
   * shards has not got its locks yet (it may have to let go and try again,
   * and must not be overtaken by the client's next commands meanwhile).
   */
  busy = false;
  /** Reply number of a blocking command (BLPOP ...) not answered yet, or -1; later commands wait, as in Redis. */
  blockedSeq = -1;
  /** The shards holding that command (several when its keys span shards), for CLIENT UNBLOCK and disconnects. */
  blockedShards: number[] = [];
  /** The claim word of a command registered on several shards, or -1. */
  blockedClaim = -1;
  /** BLMOVE across shards waits through an internal request: its sequence number (negative), or 0. */
  blockedInternal = 0;
  /**
   * A CLIENT UNBLOCK that came while a blocking command across shards was
   * still checking its keys (blocked, but on no shard yet): it is carried
   * out once the command registers, or answered 0 if the command answers
   * without waiting.
   */
  pendingUnblock: { mode: 'timeout' | 'error'; resolve: (n: number) => void } | null = null;

  constructor(
    readonly id: number,
    /** Index in the owning thread's connection table. */
    readonly slot: number,
    /** Connection key carried by frames (frames.ts connKey): thread and slot. */
    readonly key: number,
    readonly socket: Socket,
    limits: ParserLimits,
    needsAuth: boolean,
    readonly addr: string,
    readonly laddr: string,
  ) {
    super();
    this.parser = new RequestParser(limits);
    this.authenticated = !needsAuth;
    this.parser.authenticated = !needsAuth;
  }

  /** Sends what accumulated this turn with one socket write. */
  flush(): number {
    return this.send(this.takeOutput());
  }

  /** Writes output taken earlier (takeOutput): held replies, with appendfsync always. */
  send(out: { bytes: Buffer; whole: Uint8Array | null } | null): number {
    if (out === null || this.closed) return 0;
    const whole = out.whole;
    if (whole === null) this.socket.write(out.bytes);
    else this.socket.write(out.bytes, () => giveBuffer(whole));
    return out.bytes.length;
  }
}
