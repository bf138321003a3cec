/**
 * The front thread: accepts connections, parses requests, checks them against
 * the command table, routes each key to its shard and writes the replies back
 * in order. It never reads or writes keyspace data.
 *
 * The hot loop per event-loop turn: socket data → parse → route → encode the
 * frame into the shard's ring. At the end of the turn (setImmediate) every
 * ring that got frames is published with at most one wake-up per shard, and
 * every connection with output is written with one socket write. When frames
 * are in flight and nothing else is to be done, the front sleeps on its
 * doorbell (Atomics.waitAsync), which shards ring after publishing replies.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { CommandMeta } from '../commands/meta.js';
import { CATALOG, findSubcommand } from '../commands/catalog.js';
import { shardHandlerId } from '../commands/registry.js';
import { FRONT_HANDLERS, type FrontHandler } from '../commands/front-registry.js';
import { parseCursor } from '../commands/keys.js';
import { routingKeys } from '../commands/introspection.js';
import type { Config } from '../config/config.js';
import { ParseStatus, type RequestParser } from '../protocol/request-parser.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { Doorbell } from '../transport/doorbell.js';
import { REPLY_PARTIAL, REPLY_SPAN_SHIFT, REQ_CLAIM, REQ_SQUASH, REQ_NOBLOCK, REQ_NO_TOUCH, REQ_RESP3, REQ_WIDE } from '../transport/frames.js';
import { ldParse, ldToNumber } from '../util/longdouble.js';
import { keyHashSlot } from '../util/crc16.js';
import { cString } from '../util/bytes.js';
import { OP_CONFIG, OP_LOCK, OP_SHUTDOWN, OP_UNBLOCK, OP_UNLOCK, OP_UNWATCH, OP_WATCH } from '../shard/shard.js';
import { LockPlan, copyAcross, foreignKeysAcross, pushAcross, smoveAcross, keyPositions, lcsAcross, lmoveAcross, msetnxAcross, renameAcross, withLocks } from './transactions.js';
import { FOREIGN_SOURCE_COMMANDS } from '../commands/cross-shard.js';
import { isSortCommand, needsFrontSort, sortAcross, sortLockPlan } from './sort.js';
import { Connection } from './connection.js';
import { parseDb } from '../commands/connection.js';
import { FrontCall } from './front-call.js';
import { mergeAllOk, mergeConcat, mergeInterleave, mergeRandomKey, mergeSum, sumOf, type Merger } from './merge.js';
import { ShardLink } from './shard-link.js';

/** Pause a client's reading while a shard's overflow queue exceeds this. */
const OVERFLOW_PAUSE_BYTES = 32 * 1024 * 1024;
/** Free ring space worth waking up for when frames wait in an overflow queue. */
const OVERFLOW_MIN_ROOM = 64 * 1024;
/** Pause a client's reading while its unsent output exceeds this. */
const OUTPUT_PAUSE_BYTES = 64 * 1024 * 1024;

/** The arguments of one command: what the parser hands over, or a queued command replayed by EXEC. */
export interface ArgView {
  argBuf: Uint8Array;
  argOff: Int32Array;
  argLen: Int32Array;
  argc: number;
}

/** Commands that run at once inside MULTI instead of being queued. */
const TX_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Everything the front knows about a command, resolved once at start. */
export interface CommandEntry {
  meta: CommandMeta;
  fullName: string;
  /** Shard handler id, or -1 for front commands. */
  id: number;
  front: FrontHandler | null;
  /** Merge of per-shard parts for 'multi' and 'all' commands. */
  merge: Merger | null;
  /** Runs before AUTH (the `no_auth` flag): AUTH, HELLO. */
  noAuth: boolean;
  /** May block the client (BLPOP ...): the connection's later commands wait for its reply. */
  blocking: boolean;
  /** Keys found through key specs (numkeys arguments), not firstKey..lastKey. */
  movable: boolean;
}

export interface FrontStats {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  /** Commands refused on the front (unknown, arity, auth), by name. */
  rejected: Map<string, number>;
  /** Error replies produced on the front, by prefix. */
  errors: Map<string, number>;
  netInput: number;
  netOutput: number;
}

const MERGES: Record<string, Merger> = {
  del: mergeSum,
  unlink: mergeSum,
  exists: mergeSum,
  touch: mergeSum,
  dbsize: mergeSum,
  mset: mergeAllOk,
  flushdb: mergeAllOk,
  flushall: mergeAllOk,
  swapdb: mergeAllOk,
  keys: mergeConcat,
  randomkey: mergeRandomKey,
};

export class Front {
  readonly links: ShardLink[] = [];
  /** Connections by slot (the id frames carry). Slot 0 is never a connection: it marks the front's own frames. */
  readonly conns: (Connection | undefined)[] = [undefined];
  private readonly freeSlots: number[] = [];
  private nextClientId = 1;
  private readonly dirty: Connection[] = [];
  private tickScheduled = false;
  private readonly doorbell = new Doorbell();
  private sleeping = false;
  private server: net.Server | null = null;
  /** Connections whose parsing waits for their EXEC to finish. */
  private readonly held: Connection[] = [];
  /** Claim words shared with the shards (cross-shard blocking commands). */
  private readonly claims: Int32Array;
  /** EXEC is replaying queued commands: blocking commands must not block. */
  private replaying = false;
  /** The multi-hop command started by the last dispatch (EXEC waits for it before the next). */
  private lastJob: Promise<void> | null = null;
  private readonly overflowWaiters = new Set<Connection>();
  private readonly commands = new Map<string, CommandEntry>();
  /** The connection whose bytes are being parsed. */
  private current: Connection | null = null;
  readonly startedAt = Date.now();
  lastSave = Math.floor(Date.now() / 1000);
  readonly stats: FrontStats = {
    totalConnections: 0,
    rejectedConnections: 0,
    totalCommands: 0,
    rejected: new Map(),
    errors: new Map(),
    netInput: 0,
    netOutput: 0,
  };
  readonly call: FrontCall;
  /** Calls and time (usec) of the commands run on the front, for INFO commandstats. */
  readonly commandStats = new Map<string, [number, number]>();
  readonly scratch = new ReplyWriter(16 * 1024);
  private readonly slotToShard: Uint16Array;
  private shuttingDown = false;
  /**
   * The transaction whose frames are being dispatched right now (EXEC under
   * locks): they carry its txid so they pass its locks. Set only around
   * synchronous dispatch, never across an await.
   */
  txid = 0;
  private nextTxid = 1;
  /** Replies to the front's own requests (multi-hop steps), by negative sequence number. */
  private readonly internal = new Map<number, { resolve: (reply: Uint8Array) => void; chunks: Uint8Array[] }>();
  // Internal requests use -2, -3 ...: -1 is SEQ_NONE, the record of a waiter that answers nothing.
  private nextInternal = 2;
  onShutdown: (() => void) | null = null;

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    const n = config.int('shards');
    const workerUrl = new URL('../shard/worker.js', import.meta.url);
    const frontShard = config.get('front-shard') === 'yes';
    const claimsSab = new SharedArrayBuffer(4 * CLAIM_WORDS);
    this.claims = new Int32Array(claimsSab);
    for (let i = 0; i < n; i++) {
      const link = new ShardLink(
        i,
        workerUrl,
        { count: n, protoMaxBulkLen: config.int('proto-max-bulk-len'), tunables: Int32Array.from(config.tunables), doorbell: this.doorbell.sab, claims: claimsSab },
        frontShard && i === 0,
      );
      if (link.inline !== null) {
        const shard = link.inline;
        shard.onReplyRingFull = () => {
          this.drainLink(i);
          this.flushDirty();
        };
        // The hosted shard's cron (active expiry), as a worker runs its own.
        setInterval(() => shard.activeExpire(2), 100).unref();
      }
      this.links.push(link);
    }
    // Slots are dealt to shards in contiguous ranges, as a cluster would.
    this.slotToShard = new Uint16Array(16384);
    for (let s = 0; s < 16384; s++) this.slotToShard[s] = Math.floor((s * n) / 16384);
    this.call = new FrontCall(this);
    this.registerCommands(CATALOG);
  }

  /** Binds every catalog command to its handler; a command without one is a startup error. */
  private registerCommands(list: CommandMeta[]): void {
    for (const meta of list) {
      const id = shardHandlerId(meta.name);
      const front = FRONT_HANDLERS[meta.name] ?? null;
      if (meta.subcommands !== undefined) {
        this.commands.set(meta.name, { meta, fullName: meta.name, id: -1, front, merge: null, noAuth: meta.flags.includes('no_auth'), blocking: meta.flags.includes('blocking'), movable: meta.flags.includes('movablekeys') });
        for (const sub of meta.subcommands) {
          const full = `${meta.name}|${sub.name}`;
          const sid = shardHandlerId(full);
          const sfront = FRONT_HANDLERS[full] ?? null;
          if (sid < 0 && sfront === null) throw new Error(`command '${full}' has no handler`);
          this.commands.set(full, { meta: sub, fullName: full, id: sid, front: sfront, merge: null, noAuth: sub.flags.includes('no_auth'), blocking: sub.flags.includes('blocking'), movable: sub.flags.includes('movablekeys') });
        }
      } else {
        if (id < 0 && front === null) throw new Error(`command '${meta.name}' has no handler`);
        this.commands.set(meta.name, { meta, fullName: meta.name, id, front, merge: MERGES[meta.name] ?? null, noAuth: meta.flags.includes('no_auth'), blocking: meta.flags.includes('blocking'), movable: meta.flags.includes('movablekeys') });
      }
    }
  }

  shardOf(u8: Uint8Array, off: number, len: number): number {
    return this.slotToShard[keyHashSlot(u8, off, len)];
  }

  // ---- connections -----------------------------------------------------------

  listen(): Promise<void> {
    const port = this.config.int('port');
    const binds = this.config
      .get('bind')
      .split(/\s+/)
      .filter((b) => b !== '');
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // Listen on the first bind address that works (Redis's "-" prefix marks optional ones).
      const host = binds.length > 0 ? binds[0].replace(/^-/, '') : '127.0.0.1';
      server.listen({ port, host: host === '*' ? undefined : host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    const live = this.conns.length - 1 - this.freeSlots.length;
    if (live >= this.config.int('maxclients')) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.conns.length;
    const c = new Connection(
      this.nextClientId++,
      slot,
      socket,
      { protoMaxBulkLen: this.config.int('proto-max-bulk-len'), queryBufferLimit: this.config.int('client-query-buffer-limit') },
      this.config.get('requirepass') !== '',
      `${socket.remoteAddress}:${socket.remotePort}`,
      `${socket.localAddress}:${socket.localPort}`,
    );
    this.conns[slot] = c;
    this.stats.totalConnections++;
    socket.setNoDelay(true);
    const keepalive = this.config.int('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    socket.on('data', (chunk) => this.onData(c, chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.onClose(c));
    socket.on('drain', () => {
      if (c.paused && !c.busy) this.resume(c);
    });
  }

  private onData(c: Connection, chunk: Buffer): void {
    c.lastInteraction = Date.now();
    this.stats.netInput += chunk.length;
    this.current = c;
    const status = c.parser.feed(chunk, this.onCommand);
    this.afterParse(c, status);
  }

  private afterParse(c: Connection, status: ParseStatus): void {
    this.current = null;
    if (status === ParseStatus.Error) {
      this.log.info({ client: c.id, addr: c.addr, error: c.parser.error }, 'protocol error from client; closing it');
      this.replyErrorNow(c, c.parser.error === 'query buffer limit' ? null : c.parser.error);
      if (c.parser.error === 'query buffer limit') {
        this.log.warn({ client: c.id }, 'closing client that reached max query buffer length');
      }
      c.closeAfterWrite = true;
      c.socket.pause();
    } else if (status === ParseStatus.Paused) {
      c.paused = true;
      c.socket.pause();
    }
    this.markDirty(c);
  }

  private resume(c: Connection): void {
    if (c.closed || !c.paused) return;
    c.paused = false;
    this.current = c;
    const status = c.parser.resume(this.onCommand);
    this.afterParse(c, status);
    if (!c.paused && !c.closeAfterWrite) c.socket.resume();
  }

  private onClose(c: Connection): void {
    c.closed = true;
    this.unwatchAll(c);
    const internal = c.blockedInternal;
    for (const s of c.blockedShards) {
      void this.request(s, OP_UNBLOCK, 0, [UNBLOCK_NAME, DROP], 0, c.slot).then((r) => {
        // Dropped before being served: end the internal wait (BLMOVE across shards) without an answer.
        if (internal !== 0 && r[1] === 49) this.internalReply(internal, EMPTY, false);
      });
    }
    this.overflowWaiters.delete(c);
    this.releaseSlotWhenIdle(c);
  }

  /** A slot is reused only when no shard reply for it can still arrive. */
  private releaseSlotWhenIdle(c: Connection): void {
    if (c.inFlight > 0) return;
    if (this.conns[c.slot] === c) {
      this.conns[c.slot] = undefined;
      this.freeSlots.push(c.slot);
    }
  }

  markDirty(c: Connection): void {
    this.dirty.push(c);
    this.scheduleTick();
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(this.tick);
  }

  // ---- dispatch --------------------------------------------------------------

  private readonly onCommand = (p: RequestParser): boolean => this.dispatch(this.current!, p);

  private lookup(p: ArgView): string {
    const o = p.argOff[0];
    const n = p.argLen[0];
    const u8 = p.argBuf;
    let s = '';
    for (let i = 0; i < n; i++) {
      let ch = u8[o + i];
      if (ch >= 65 && ch <= 90) ch += 32;
      s += String.fromCharCode(ch);
    }
    return s;
  }

  private dispatch(c: Connection, p: ArgView): boolean {
    if (c.busy || c.blockedSeq >= 0) {
      this.held.push(c);
      return false;
    }
    if (c.closeAfterWrite || c.closed) return true;
    let backlog = false;
    for (const l of this.links) if (l.overflowBytes > OVERFLOW_PAUSE_BYTES) backlog = true;
    if (backlog || c.socket.writableLength > OUTPUT_PAUSE_BYTES) {
      this.overflowWaiters.add(c);
      return false;
    }
    this.stats.totalCommands++;
    c.commands++;
    const name = p.argLen[0] <= 64 ? this.lookup(p) : '';
    let e = this.commands.get(name);
    if (e === undefined) {
      this.rejectUnknown(c, p);
      return true;
    }
    if (e.meta.subcommands !== undefined && p.argc >= 2) {
      const sub = findSubcommand(e.meta, Buffer.from(p.argBuf.subarray(p.argOff[1], p.argOff[1] + p.argLen[1])).toString('latin1'));
      const se = sub === undefined ? undefined : this.commands.get(`${e.fullName}|${sub.name}`);
      if (se === undefined) {
        const subName = Buffer.from(p.argBuf.subarray(p.argOff[1], p.argOff[1] + p.argLen[1])).toString('utf8');
        this.reject(c, e.fullName, `ERR unknown subcommand '${cString(subName).slice(0, 128)}'. Try ${e.fullName.toUpperCase()} HELP.`);
        return true;
      }
      e = se;
    }
    const arity = e.meta.arity;
    if ((arity > 0 && p.argc !== arity) || p.argc < -arity) {
      if (e.fullName === 'exec') {
        // Redis answers EXEC's own refusal with the abort of the transaction.
        c.multi = null;
        c.multiDirty = false;
        this.unwatchAll(c);
        this.reject(c, e.fullName, `EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command`);
        return true;
      }
      this.reject(c, e.fullName, `ERR wrong number of arguments for '${e.fullName}' command`);
      return true;
    }
    if (!c.authenticated && !e.noAuth) {
      this.reject(c, e.fullName, 'NOAUTH Authentication required.');
      return true;
    }
    c.lastCommand = e.fullName;
    if (c.multi !== null && !TX_CONTROL.has(e.fullName)) {
      // Packed once here; EXEC dispatches the stored view with the entry already resolved.
      c.multi.push({ view: packView(p), entry: e });
      c.replyFront(c.takeSeq(), QUEUED_REPLY, 0, QUEUED_REPLY.length, true);
      this.markDirty(c);
      return true;
    }
    if ((e.fullName === 'mset' || e.fullName === 'msetnx') && p.argc % 2 === 0) {
      // Checked when the command runs (so MULTI queues it), with the arity error's text.
      this.replyErrorNow(c, `ERR wrong number of arguments for '${e.fullName}' command`);
      return true;
    }
    return this.route(c, p, e);
  }

  /** Sends a command on its way: run on the front, or framed to its shard(s). */
  private route(c: Connection, p: ArgView, e: CommandEntry): boolean {
    if (e.front !== null) {
      this.call.run(c, p, e.front, e.meta, e.fullName);
      return true;
    }
    const word2 = e.id | ((c.resp === 3 ? REQ_RESP3 : 0) | (c.noTouch ? REQ_NO_TOUCH : 0)) << 16;
    switch (e.meta.route) {
      case 'single':
        this.routeSingle(c, p, e, word2);
        break;
      case 'multi':
      case 'barrier':
        this.routeMulti(c, p, e, word2);
        break;
      case 'all':
        if (e.fullName === 'scan') this.routeScan(c, p, word2);
        else this.routeAll(c, p, e, word2);
        break;
      case 'multihop':
        this.routeMultihop(c, p, e, word2);
        break;
      default:
        this.replyErrorNow(c, `ERR command '${e.fullName}' cannot be routed`);
    }
    return true;
  }

  private rejectUnknown(c: Connection, p: ArgView): void {
    // Redis formats these with %s, which stops at a NUL byte.
    const text = (i: number) => cString(Buffer.from(p.argBuf.subarray(p.argOff[i], p.argOff[i] + p.argLen[i])).toString('utf8'));
    let args = '';
    for (let i = 1; i < p.argc && args.length < 128; i++) args += `'${text(i).slice(0, 128 - args.length)}' `;
    this.reject(c, '', `ERR unknown command '${text(0).slice(0, 128)}', with args beginning with: ${args}`);
  }

  /** A command refused before running (Redis counts these as rejected calls). */
  reject(c: Connection, name: string, error: string): void {
    if (name !== '') this.stats.rejected.set(name, (this.stats.rejected.get(name) ?? 0) + 1);
    if (c.multi !== null) c.multiDirty = true;
    this.replyErrorNow(c, error);
  }

  /** Replies bytes produced on the front, in order. */
  replyRaw(c: Connection, bytes: Uint8Array): void {
    c.replyFront(c.takeSeq(), bytes, 0, bytes.length);
    this.markDirty(c);
  }

  /** Replies an error produced on the front, in order. `null` replies nothing. */
  replyErrorNow(c: Connection, error: string | null): void {
    if (error === null) return;
    const prefix = error.split(' ', 1)[0];
    this.stats.errors.set(prefix, (this.stats.errors.get(prefix) ?? 0) + 1);
    const w = this.scratch;
    w.reset();
    w.error(error);
    c.replyFront(c.takeSeq(), w.buf, 0, w.len);
    this.markDirty(c);
  }

  private routeSingle(c: Connection, p: ArgView, e: CommandEntry, word2: number): void {
    const first = e.meta.firstKey;
    let shard = 0;
    if (first > 0 && !e.movable) {
      shard = this.shardOf(p.argBuf, p.argOff[first], p.argLen[first]);
      const last = e.meta.lastKey < 0 ? p.argc + e.meta.lastKey : e.meta.lastKey;
      for (let k = first + e.meta.step; k <= last && e.meta.step > 0; k += e.meta.step) {
        if (this.shardOf(p.argBuf, p.argOff[k], p.argLen[k]) !== shard) {
          this.routeAcross(c, p, e, word2, null);
          return;
        }
      }
    } else if (e.movable) {
      // Keys found through the key specs (numkeys arguments: LMPOP, ZUNIONSTORE ...).
      const args = copyArgs(p);
      if (isSortCommand(e.fullName) && needsFrontSort(this, args)) return this.startJob(c, sortAcross(this, c, args, this.txid));
      const keys = isSortCommand(e.fullName) ? [1] : routingKeys(e.meta, args);
      if (keys.length > 0) shard = this.shardOf(p.argBuf, p.argOff[keys[0]], p.argLen[keys[0]]);
      for (const k of keys) {
        if (this.shardOf(p.argBuf, p.argOff[k], p.argLen[k]) !== shard) {
          this.routeAcross(c, p, e, word2, keys);
          return;
        }
      }
    }
    const seq = c.takeSeq();
    c.inFlight++;
    if (e.blocking) {
      if (this.replaying) word2 |= REQ_NOBLOCK << 16;
      else {
        c.blockedSeq = seq;
        c.blockedShards = [shard];
        c.blockedClaim = -1;
      }
    } else if (c.sendsAll) word2 |= REQ_SQUASH << 16;
    this.links[shard].send(c.slot, seq, word2, c.db, p.argBuf, p.argOff, p.argLen, p.argc, null, this.txid);
    this.scheduleTick();
  }

  /** A 'single' command whose keys span shards: its multi-hop form, or an error naming hash tags. */
  private routeAcross(c: Connection, p: ArgView, e: CommandEntry, word2: number, keys: number[] | null): void {
    const name = e.fullName;
    if (FOREIGN_SOURCE_COMMANDS.has(name)) {
      const args = copyArgs(p);
      this.startJob(c, foreignKeysAcross(this, c, args, keys ?? keyPositions(e.meta, args.length), this.txid));
    } else if (name === 'lcs') this.startJob(c, lcsAcross(this, c, copyArgs(p), this.txid));
    else if (POP_ACROSS.has(name)) this.popAcross(c, p, e, word2);
    else if (name === 'lmove' || name === 'rpoplpush') this.routeListMove(c, p, name);
    else if (name === 'blmove' || name === 'brpoplpush') this.blockingMoveAcross(c, p, name);
    else if (name === 'smove') {
      const args = copyArgs(p);
      this.startJob(c, smoveAcross(this, c, args[1], args[2], args[3], this.txid));
    }
    else this.replyErrorNow(c, `ERR keys of '${name}' live on different shards; use {hash tags} to keep them together`);
  }

  /** Splits the keys of MGET/MSET/DEL... by shard; one part per shard, merged on the front. */
  private routeMulti(c: Connection, p: ArgView, e: CommandEntry, word2: number): void {
    const step = e.meta.step;
    const n = this.links.length;
    const picks: (number[] | null)[] = new Array(n).fill(null);
    const order: number[] = [];
    let involved = 0;
    let only = -1;
    for (let k = e.meta.firstKey; k < p.argc; k += step) {
      const s = this.shardOf(p.argBuf, p.argOff[k], p.argLen[k]);
      let pick = picks[s];
      if (pick === null) {
        pick = picks[s] = [0];
        involved++;
        only = s;
      }
      for (let j = 0; j < step; j++) pick.push(k + j);
      order.push(s);
    }
    if (e.meta.route === 'barrier' && involved > 1) {
      this.startJob(c, msetnxAcross(this, c, copyArgs(p), this.txid));
      return;
    }
    const seq = c.takeSeq();
    if (involved === 1) {
      c.inFlight++;
      this.links[only].send(c.slot, seq, word2, c.db, p.argBuf, p.argOff, p.argLen, p.argc, null, this.txid);
      this.scheduleTick();
      return;
    }
    const merge = e.fullName === 'mget' ? mergeInterleave(order) : e.merge!;
    c.expectParts(seq, n, involved, merge);
    c.inFlight += involved;
    for (let s = 0; s < n; s++) {
      const pick = picks[s];
      if (pick !== null) this.links[s].send(c.slot, seq, word2, c.db, p.argBuf, p.argOff, p.argLen, p.argc, pick, this.txid);
    }
    this.scheduleTick();
  }

  /**
   * Sends a frame on the front's own behalf and resolves with the shard's
   * reply. `conn` names the connection the frame acts for (WATCH, LOCK's
   * watch check, parking order); replies come back by a negative sequence
   * number, so they never reach that connection's reply stream.
   */
  request(shard: number, word2: number, db: number, args: Uint8Array[], txid: number, conn = 0, onSeq?: (seq: number) => void): Promise<Uint8Array> {
    const seq = -this.nextInternal++;
    if (onSeq !== undefined) onSeq(seq);
    if (this.nextInternal > 0x7ffffff0) this.nextInternal = 2;
    const done = new Promise<Uint8Array>((resolve) => this.internal.set(seq, { resolve, chunks: [] }));
    const { buf, off, len } = packArgs(args);
    this.links[shard].send(conn, seq, word2, db, buf, off, len, args.length, null, txid);
    this.scheduleTick();
    return done;
  }

  private internalReply(seq: number, bytes: Uint8Array, partial: boolean): void {
    const r = this.internal.get(seq);
    if (r === undefined) return;
    r.chunks.push(bytes);
    if (partial) return;
    this.internal.delete(seq);
    r.resolve(r.chunks.length === 1 ? r.chunks[0] : Buffer.concat(r.chunks));
  }

  /** Sends the configuration's tunables to every shard (an OP_CONFIG frame, in ring order). */
  sendTunables(): void {
    const t = this.config.tunables;
    const bytes = new Uint8Array(t.length * 4);
    for (let i = 0; i < t.length; i++) new DataView(bytes.buffer).setInt32(4 * i, t[i], true);
    for (let s = 0; s < this.links.length; s++) void this.request(s, OP_CONFIG, 0, [CONFIG_NAME, bytes], 0);
  }

  newTxid(): number {
    const t = this.nextTxid++;
    if (this.nextTxid > 0x7ffffff0) this.nextTxid = 1;
    return t;
  }

  /** Resumes a connection whose parsing waited for its EXEC. */
  private releaseHeld(c: Connection): void {
    const i = this.held.indexOf(c);
    if (i >= 0) this.held.splice(i, 1);
    c.paused = true;
    this.resume(c);
  }

  /**
   * Runs a multi-hop command: its reply takes the next place in the
   * connection's order now and is filled when the steps are done.
   */
  private startJob(c: Connection, job: Promise<Uint8Array>): void {
    const seq = c.takeSeq();
    c.inFlight++;
    const done = job.then(
      (reply) => {
        c.inFlight--;
        c.replyFront(seq, reply, 0, reply.length);
        if (c.closed) this.releaseSlotWhenIdle(c);
        else this.markDirty(c);
      },
      (err: Error) => {
        c.inFlight--;
        const r = new TextEncoder().encode(`-ERR internal error: ${err.message.replace(/[\r\n]/g, ' ')}\r\n`);
        c.replyFront(seq, r, 0, r.length);
        this.markDirty(c);
      },
    );
    this.lastJob = done;
  }

  /** LMOVE / RPOPLPUSH with the two lists on different shards (LMOVE's directions checked first, as Redis does). */
  private routeListMove(c: Connection, p: ArgView, name: string): void {
    const args = copyArgs(p);
    let from = 'right';
    let to = 'left';
    if (name === 'lmove') {
      from = Buffer.from(args[3]).toString('latin1').toLowerCase();
      to = Buffer.from(args[4]).toString('latin1').toLowerCase();
      if ((from !== 'left' && from !== 'right') || (to !== 'left' && to !== 'right')) {
        this.replyErrorNow(c, 'ERR syntax error');
        return;
      }
    }
    this.startJob(c, lmoveAcross(this, c, args[1], args[2], from === 'left', to === 'left', this.txid));
  }

  /**
   * BLMOVE / BRPOPLPUSH with the lists on two shards. First as LMOVE, under
   * locks on both keys. If the source is empty, the client waits on the
   * source's shard as a BLPOP/BRPOP would (same FIFO, same timeout, CLIENT
   * UNBLOCK and disconnects reach it through the client's slot); the element
   * it is served is then pushed onto the destination under a lock on it. If
   * the destination has meanwhile become another type, the element goes back
   * where it came from and the client gets WRONGTYPE. Between the pop and
   * the push (one round trip) the element is in neither list: docs/transactions.md.
   */
  private blockingMoveAcross(c: Connection, p: ArgView, name: string): void {
    const args = copyArgs(p);
    let fromLeft = false;
    let toLeft = true;
    if (name === 'blmove') {
      const from = Buffer.from(args[3]).toString('latin1').toLowerCase();
      const to = Buffer.from(args[4]).toString('latin1').toLowerCase();
      if ((from !== 'left' && from !== 'right') || (to !== 'left' && to !== 'right')) return this.replyErrorNow(c, 'ERR syntax error');
      fromLeft = from === 'left';
      toLeft = to === 'left';
    }
    const timeout = args[name === 'blmove' ? 5 : 3];
    const bad = timeoutError(timeout);
    if (bad !== null) return this.replyErrorNow(c, bad);
    const [src, dst] = [args[1], args[2]];
    const srcShard = this.shardOf(src, 0, src.length);
    const seq = c.takeSeq();
    c.inFlight++;
    const blocks = !this.replaying;
    const resp3 = c.resp === 3;
    // Redis 7.0 answers a BLMOVE that times out with a nil array.
    const nil = resp3 ? NIL3 : NIL_ARRAY;
    const inside = this.txid;
    const db = c.db;
    if (blocks) {
      c.blockedSeq = seq;
      c.blockedShards = [srcShard];
      c.blockedClaim = -1;
    }
    const job = (async (): Promise<Uint8Array | null> => {
      const now = await lmoveAcross(this, c, src, dst, fromLeft, toLeft, inside, true);
      if (now !== null) return now;
      if (!blocks) return nil;
      const pop = fromLeft ? 'blpop' : 'brpop';
      const w2 = shardHandlerId(pop) | ((resp3 ? REQ_RESP3 : 0) << 16);
      const served = await this.request(srcShard, w2, db, [new TextEncoder().encode(pop), src, timeout], 0, c.slot, (s) => (c.blockedInternal = s));
      c.blockedInternal = 0;
      if (served.length === 0) return null; // the client went away while waiting
      if (served[0] !== 42 /* '*' */ || served[1] === 45 /* '*-1' */) return served[0] === 45 ? served : nil; // CLIENT UNBLOCK ERROR, or timeout
      const value = secondBulk(served);
      return pushAcross(this, c, src, dst, value, fromLeft, toLeft);
    })();
    this.lastJob = job.then(
      (reply) => {
        c.inFlight--;
        if (reply !== null) c.replyFront(seq, reply, 0, reply.length);
        if (blocks) {
          c.blockedSeq = -1;
          c.blockedShards = [];
          if (!c.closed) this.releaseHeld(c);
        }
        if (c.closed) this.releaseSlotWhenIdle(c);
        else this.markDirty(c);
      },
      (err: Error) => {
        c.inFlight--;
        const r = new TextEncoder().encode(`-ERR internal error: ${err.message}\r\n`);
        c.replyFront(seq, r, 0, r.length);
        if (blocks) {
          c.blockedSeq = -1;
          c.blockedShards = [];
          if (!c.closed) this.releaseHeld(c);
        }
        if (c.closed) this.releaseSlotWhenIdle(c);
        else this.markDirty(c);
      },
    );
  }

  /** RENAME, RENAMENX, COPY: one hop when both keys share a shard, a locked multi-hop job otherwise. */
  private routeMultihop(c: Connection, p: ArgView, e: CommandEntry, word2: number): void {
    const a = this.shardOf(p.argBuf, p.argOff[1], p.argLen[1]);
    const b = this.shardOf(p.argBuf, p.argOff[2], p.argLen[2]);
    if (a === b) {
      this.routeSingle(c, p, e, word2);
      return;
    }
    const args = copyArgs(p);
    if (e.fullName === 'copy') {
      const opts = parseCopyOptions(args, c.db);
      if (typeof opts === 'string') {
        this.replyErrorNow(c, opts);
        return;
      }
      this.startJob(c, copyAcross(this, c, args[1], args[2], opts.db, opts.replace, this.txid));
    } else {
      this.startJob(c, renameAcross(this, c, args[1], args[2], e.fullName === 'renamenx', this.txid));
    }
  }

  /** A blocking command was answered: the client's later commands may run; other shards forget it. */
  private unblocked(c: Connection): void {
    if (c.blockedClaim >= 0) {
      const claim = new TextEncoder().encode(String(c.blockedClaim));
      for (const s of c.blockedShards) void this.request(s, OP_UNBLOCK, 0, [UNBLOCK_NAME, STALE, claim], 0, c.slot);
    }
    c.blockedSeq = -1;
    c.blockedShards = [];
    c.blockedClaim = -1;
    this.releaseHeld(c);
  }

  /**
   * BLPOP / BRPOP / LMPOP / BLMPOP whose keys live on several shards. Under
   * locks on all the keys, the first non-empty list (in argument order) is
   * popped at once; otherwise a blocking command is registered on every shard
   * involved, still under the locks, with one claim word: the first shard
   * able to serve (or to time out) wins it, the others drop their waiter.
   */
  private popAcross(c: Connection, p: ArgView, e: CommandEntry, word2: number): void {
    const args = copyArgs(p);
    const spec = popSpec(e.fullName, args);
    if (typeof spec === 'string') {
      this.replyErrorNow(c, spec);
      return;
    }
    const seq = c.takeSeq();
    c.inFlight++;
    const blocks = spec.timeout !== null && !this.replaying;
    const byShard = new Map<number, Uint8Array[]>();
    const plan = new LockPlan();
    for (const k of spec.keys) {
      plan.add(this, c.db, k);
      const s = this.shardOf(k, 0, k.length);
      let list = byShard.get(s);
      if (list === undefined) byShard.set(s, (list = []));
      list.push(k);
    }
    if (blocks) {
      c.blockedSeq = seq;
      c.blockedShards = [...byShard.keys()];
    }
    const db = c.db;
    const job = withLocks(this, c, plan, this.txid, async (tx): Promise<Uint8Array | null> => {
      for (const k of spec.keys) {
        const s = this.shardOf(k, 0, k.length);
        const len = await tx.call(s, spec.zset ? 'zcard' : 'llen', [k]);
        if (len[0] === 45) return len; // WRONGTYPE
        if (len[1] === 48 && len[2] === 13) continue; // ":0"
        const count = new TextEncoder().encode(String(spec.count));
        if (spec.zset) {
          // ZMPOP on one key answers in ZMPOP's own shape; BZPOP* is [key, member, score].
          if (spec.count !== null) return tx.call(s, 'zmpop', [ONE_ARG, k, spec.left ? MIN_ARG : MAX_ARG, COUNT_ARG, count]);
          const popped = await tx.call(s, spec.left ? 'zpopmin' : 'zpopmax', [k]);
          return concatBytes(arrayHeader(3), bulkOf(k), popped.subarray(popped.indexOf(10) + 1));
        }
        const popped = await tx.call(s, spec.left ? 'lpop' : 'rpop', spec.count === null ? [k] : [k, count]);
        return concatBytes(arrayHeader(2), bulkOf(k), popped);
      }
      if (!blocks) return c.resp === 3 ? NIL3 : NIL_ARRAY;
      // Register everywhere before the locks go: no push can come in between.
      const claim = this.allocClaim();
      c.blockedClaim = claim;
      for (const [s, ks] of byShard) {
        const frame = spec.frameFor(ks);
        const { buf, off, len } = packArgs(frame);
        const w2 = (word2 & 0xffff) | (((word2 >>> 16) | REQ_CLAIM) << 16);
        this.links[s].send(c.slot, seq, w2, db | (claim << 8), buf, off, len, frame.length, null, tx.txid);
      }
      this.scheduleTick();
      return null;
    });
    this.lastJob = job.then(
      (reply) => {
        if (reply === null) return; // a shard will answer
        c.inFlight--;
        c.replyFront(seq, reply, 0, reply.length);
        if (blocks) this.unblocked(c);
        this.markDirty(c);
      },
      (err: Error) => {
        c.inFlight--;
        const r = new TextEncoder().encode(`-ERR internal error: ${err.message}\r\n`);
        c.replyFront(seq, r, 0, r.length);
        if (blocks) this.unblocked(c);
        this.markDirty(c);
      },
    );
  }

  private nextClaim = 0;

  /** A claim word for a new cross-shard blocking command; its value changes so stale waiters cannot win it. */
  private allocClaim(): number {
    const idx = this.nextClaim;
    this.nextClaim = (this.nextClaim + 1) % CLAIM_WORDS;
    Atomics.add(this.claims, idx, 2);
    return idx;
  }

  /** CLIENT UNBLOCK: resolves 1 if the client was blocked (and is now answered), else 0. */
  async unblock(target: Connection, mode: 'timeout' | 'error'): Promise<number> {
    if (target.blockedShards.length === 0) return 0;
    const answers = await Promise.all(
      target.blockedShards.map((s) => this.request(s, OP_UNBLOCK, 0, [UNBLOCK_NAME, mode === 'error' ? ERROR_MODE : TIMEOUT_MODE], 0, target.slot)),
    );
    return answers.some((r) => r[1] === 49) ? 1 : 0;
  }

  /** Blocked clients (INFO blocked_clients). */
  blockedClients(): number {
    let n = 0;
    for (const c of this.conns) if (c !== undefined && !c.closed && c.blockedShards.length > 0) n++;
    return n;
  }

  // ---- MULTI / EXEC / WATCH ------------------------------------------------------

  /** WATCH: each key is registered on its shard for this connection. */
  watch(c: Connection, keys: Uint8Array[]): void {
    for (const key of keys) {
      const s = this.shardOf(key, 0, key.length);
      c.watchShards.add(s);
      void this.request(s, OP_WATCH, c.db, [WATCH_NAME, key], 0, c.slot);
    }
  }

  /** Forgets every WATCH of a connection. */
  unwatchAll(c: Connection): void {
    for (const s of c.watchShards) void this.request(s, OP_UNWATCH, 0, [], 0, c.slot);
    c.watchShards.clear();
  }

  /**
   * EXEC. Without WATCH and without multi-hop commands, the queued commands
   * are dispatched at once: their frames are contiguous in the global order,
   * which makes the transaction atomic and isolated without locks. Otherwise
   * the transaction locks every key it names (the whole keyspace if it has
   * keyspace-wide commands), checks its watches, runs under its txid, and
   * unlocks; the connection's later commands wait meanwhile.
   */
  exec(c: Connection, seq: number): void {
    const queue = c.multi ?? [];
    const dirty = c.multiDirty;
    c.multi = null;
    c.multiDirty = false;
    const header = arrayHeader(queue.length);
    if (dirty) {
      this.unwatchAll(c);
      const r = new TextEncoder().encode('-EXECABORT Transaction discarded because of previous errors.\r\n');
      c.replyFront(seq, r, 0, r.length);
      this.markDirty(c);
      return;
    }
    let multihop = false;
    for (const { entry: e } of queue) {
      if (e.meta.route === 'multihop' || e.meta.route === 'barrier' || CROSS_CAPABLE.has(e.fullName) || FOREIGN_SOURCE_COMMANDS.has(e.fullName)) multihop = true;
    }
    if (!multihop && c.watchShards.size === 0) {
      c.replyFront(seq, header, 0, header.length, true);
      this.replaying = true;
      for (const q of queue) this.replay(c, q.view, q.entry);
      this.replaying = false;
      this.markDirty(c);
      return;
    }
    // Locked path: every key the block names, in the database each command runs in.
    const plan = new LockPlan();
    let db = c.db;
    for (const { view, entry: e } of queue) {
      if (e.fullName === 'select') {
        const d = parseDb(Buffer.from(argAt(view, 1)).toString('latin1'));
        if (typeof d === 'number' && d >= 0 && d < 16) db = d;
        continue;
      }
      if (e.meta.route === 'all') plan.wide = true;
      if (isSortCommand(e.fullName)) sortLockPlan(this, plan, db, copyArgs(view));
      const keys = e.movable ? routingKeys(e.meta, copyArgs(view)) : keyPositions(e.meta, view.argc);
      for (const k of keys) plan.add(this, db, argAt(view, k));
    }
    // Locked path.
    c.busy = true;
    const txid = this.newTxid();
    const shards = new Set(plan.shards(this));
    for (const s of c.watchShards) shards.add(s);
    const locks = [...shards].map((s) => this.request(s, OP_LOCK | ((plan.wide ? REQ_WIDE : 0) << 16), 0, plan.keys.get(s) ?? [], txid, c.slot));
    void (async () => {
      try {
        const answers = await Promise.all(locks);
        if (answers.some((r) => r[1] === 49 /* ":1": a watched key changed */)) {
          const nil = c.resp === 3 ? NIL3 : NIL_ARRAY;
          c.replyFront(seq, nil, 0, nil.length);
        } else {
          c.replyFront(seq, header, 0, header.length);
          for (const q of queue) {
            this.lastJob = null;
            // Synchronous: nothing else can run between these lines.
            this.txid = txid;
            this.replaying = true;
            this.replay(c, q.view, q.entry);
            this.replaying = false;
            this.txid = 0;
            if (this.lastJob !== null) await this.lastJob;
          }
        }
      } finally {
        this.txid = 0;
        this.replaying = false;
        for (const s of shards) void this.request(s, OP_UNLOCK, 0, [], txid, c.slot);
        this.unwatchAll(c);
        c.busy = false;
        this.markDirty(c);
        this.releaseHeld(c);
      }
    })();
  }

  /** Runs a command queued by MULTI (already checked when it was queued). */
  private replay(c: Connection, view: ArgView, e: CommandEntry): void {
    c.lastCommand = e.fullName;
    this.stats.totalCommands++;
    if ((e.fullName === 'mset' || e.fullName === 'msetnx') && view.argc % 2 === 0) {
      this.replyErrorNow(c, `ERR wrong number of arguments for '${e.fullName}' command`);
      return;
    }
    this.route(c, view, e);
  }

  private routeAll(c: Connection, p: ArgView, e: CommandEntry, word2: number): void {
    if (e.fullName === 'flushdb' || e.fullName === 'flushall') {
      if (p.argc > 2 || (p.argc === 2 && !argIs(p, 1, 'async') && !argIs(p, 1, 'sync'))) {
        this.replyErrorNow(c, 'ERR syntax error');
        return;
      }
    } else if (e.fullName === 'swapdb') {
      const a = parseDbIndex(p, 1);
      const b = parseDbIndex(p, 2);
      if (a === null) return this.replyErrorNow(c, 'ERR invalid first DB index');
      if (b === null) return this.replyErrorNow(c, 'ERR invalid second DB index');
      if (a < 0 || a >= 16 || b < 0 || b >= 16) return this.replyErrorNow(c, 'ERR DB index is out of range');
    }
    this.fanout(c, e.id, word2 >>> 16, e.merge!, p);
  }

  /** Sends a command to every shard and merges their replies. */
  fanout(c: Connection, id: number, flags: number, merge: Merger, p: ArgView | null, seq = c.takeSeq()): void {
    const n = this.links.length;
    c.expectParts(seq, n, n, merge);
    c.inFlight += n;
    const word2 = id | (flags << 16);
    for (let s = 0; s < n; s++) {
      if (p === null) this.links[s].send(c.slot, seq, word2, c.db, EMPTY, EMPTY_I32, EMPTY_I32, 0, null, this.txid);
      else this.links[s].send(c.slot, seq, word2, c.db, p.argBuf, p.argOff, p.argLen, p.argc, null, this.txid);
    }
    this.scheduleTick();
  }

  private routeScan(c: Connection, p: ArgView, word2: number): void {
    const cursor = parseCursor(Buffer.from(p.argBuf.subarray(p.argOff[1], p.argOff[1] + p.argLen[1])).toString('latin1'));
    if (cursor === null) {
      this.replyErrorNow(c, 'ERR invalid cursor');
      return;
    }
    const shard = Number(cursor % BigInt(this.links.length));
    const seq = c.takeSeq();
    c.inFlight++;
    this.links[shard].send(c.slot, seq, word2, c.db, p.argBuf, p.argOff, p.argLen, p.argc, null, this.txid);
    this.scheduleTick();
  }

  // ---- the turn ----------------------------------------------------------------

  private readonly tick = (): void => {
    this.tickScheduled = false;
    for (const l of this.links) l.publish();
    this.armHostedDeadline();
    this.drainReplies();
    this.flushDirty();
    this.maybeSleep();
  };

  private hostedTimer: NodeJS.Timeout | null = null;
  private hostedDeadline = 0;

  /** The shard hosted on the front answers blocked clients' timeouts from a timer. */
  private armHostedDeadline(): void {
    const shard = this.links[0]?.inline;
    if (shard === null || shard === undefined) return;
    const next = shard.blocked.nextDeadline();
    if (next === 0 || (this.hostedTimer !== null && this.hostedDeadline <= next)) return;
    if (this.hostedTimer !== null) clearTimeout(this.hostedTimer);
    this.hostedDeadline = next;
    this.hostedTimer = setTimeout(() => {
      this.hostedTimer = null;
      shard.expireBlocked(Date.now());
      this.scheduleTick();
    }, Math.max(0, next - Date.now()));
  }

  private drainReplies(): void {
    for (let s = 0; s < this.links.length; s++) this.drainLink(s);
    if (this.overflowWaiters.size > 0) this.wakeOverflowWaiters();
  }

  /** Hands every published reply record of shard `s` to its connection. */
  private drainLink(s: number): void {
    const link = this.links[s];
    const ring = link.replies;
    if (!ring.poll()) return;
    const i32 = ring.i32;
    const u8 = ring.u8;
    for (;;) {
      const p = ring.next();
      if (p < 0) break;
      const b = p >> 2;
      const slot = i32[b];
      const seq = i32[b + 1];
      const len = i32[b + 2];
      const flags = i32[b + 3];
      const partial = (flags & REPLY_PARTIAL) !== 0;
      const span = flags >>> REPLY_SPAN_SHIFT || 1;
      if (!partial) link.inFlight -= span;
      if (seq < 0) {
        this.internalReply(seq, u8.slice(p + 16, p + 16 + len), partial);
        continue;
      }
      const c = this.conns[slot];
      if (c === undefined) continue;
      c.deliver(seq, s, u8, p + 16, len, partial, span);
      if (c.closed) this.releaseSlotWhenIdle(c);
      else {
        this.dirty.push(c);
        if (seq === c.blockedSeq && !partial) this.unblocked(c);
      }
    }
    ring.release();
    if (link.hasOverflow()) link.publish();
  }

  private wakeOverflowWaiters(): void {
    for (const l of this.links) if (l.overflowBytes > OVERFLOW_PAUSE_BYTES / 4) return;
    const waiters = [...this.overflowWaiters];
    this.overflowWaiters.clear();
    for (const c of waiters) {
      if (c.socket.writableLength > OUTPUT_PAUSE_BYTES) {
        this.overflowWaiters.add(c);
        continue;
      }
      c.paused = true;
      this.resume(c);
    }
  }

  private flushDirty(): void {
    const list = this.dirty;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c.out.len > 0) {
        this.stats.netOutput += c.out.len;
        c.flush();
      }
      if (c.closeAfterWrite && c.idle && !c.closed) {
        c.closed = true;
        c.socket.end();
        this.releaseSlotWhenIdle(c);
      }
    }
    list.length = 0;
  }

  private inFlight(): boolean {
    for (const l of this.links) if (l.inFlight > 0 || l.hasOverflow()) return true;
    return false;
  }

  /** Sleeps on the doorbell while shards owe replies. */
  private maybeSleep(): void {
    if (this.sleeping || this.tickScheduled || !this.inFlight()) return;
    this.doorbell.arm();
    // Re-check after arming: a reply published before the flag was set would otherwise be missed.
    for (const l of this.links) {
      // Replies to read, or room for queued frames (a shard that took part of a big
      // frame frees space without replying yet): either way, not a time to sleep.
      if (l.replies.hasData() || (l.hasOverflow() && l.requests.freeBytes() >= OVERFLOW_MIN_ROOM)) {
        this.doorbell.disarm();
        this.scheduleTick();
        return;
      }
    }
    const wait = this.doorbell.waitAsync();
    if (wait === null) {
      this.scheduleTick();
      return;
    }
    this.sleeping = true;
    void wait.then(this.onDoorbell);
  }

  private readonly onDoorbell = (): void => {
    this.sleeping = false;
    this.tick();
  };

  // ---- lifecycle -----------------------------------------------------------------

  liveConnections(): Connection[] {
    return this.conns.filter((c): c is Connection => c !== undefined && !c.closed);
  }

  killConnection(c: Connection): void {
    if (c.closed) return;
    c.closeAfterWrite = true;
    this.markDirty(c);
  }

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('shutting down');
    this.server?.close();
    for (const c of this.liveConnections()) {
      c.flush();
      c.socket.destroy();
    }
    for (const l of this.links) {
      l.send(0, 0, OP_SHUTDOWN, 0, EMPTY, EMPTY_I32, EMPTY_I32, 0, null);
      l.publish();
    }
    await Promise.all(this.links.map((l) => (l.exited || l.worker === null ? Promise.resolve() : l.worker.terminate())));
    this.onShutdown?.();
  }
}

/** Copies a command's arguments out of the parser's buffer (for work that outlives the call). */
function copyArgs(p: ArgView): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < p.argc; i++) out.push(p.argBuf.slice(p.argOff[i], p.argOff[i] + p.argLen[i]));
  return out;
}

const HEADERS: Uint8Array[] = [];
/** `*n\r\n`, shared for small n (never modified). */
function arrayHeader(n: number): Uint8Array {
  if (n < 64) return (HEADERS[n] ??= new TextEncoder().encode(`*${n}\r\n`));
  return new TextEncoder().encode(`*${n}\r\n`);
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function bulkOf(v: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(`$${v.length}\r\n`), v, CRLF);
}

const CRLF = new TextEncoder().encode('\r\n');

interface PopSpec {
  keys: Uint8Array[];
  /** LEFT, or MIN for the sorted-set commands. */
  left: boolean;
  /** BZPOPMIN/BZPOPMAX/ZMPOP/BZMPOP: sorted sets instead of lists. */
  zset: boolean;
  /** LMPOP/BLMPOP's COUNT (null: BLPOP/BRPOP pop one, replied as a bulk). */
  count: number | null;
  /** null for LMPOP (never blocks). */
  timeout: Uint8Array | null;
  /** The command as registered on one shard, with that shard's keys. */
  frameFor(keys: Uint8Array[]): Uint8Array[];
}

/** Reads BLPOP/BRPOP/LMPOP/BLMPOP as Redis checks them (timeout first, then numkeys, direction, COUNT); an error text on failure. */
function popSpec(name: string, args: Uint8Array[]): PopSpec | string {
  const text = (i: number) => Buffer.from(args[i]).toString('latin1');
  const zset = name[0] === 'z' || name[1] === 'z';
  if (name === 'blpop' || name === 'brpop' || name === 'bzpopmin' || name === 'bzpopmax') {
    const timeout = args[args.length - 1];
    const err = timeoutError(timeout);
    if (err !== null) return err;
    return { keys: args.slice(1, -1), left: name === 'blpop' || name === 'bzpopmin', zset, count: null, timeout, frameFor: (ks) => [args[0], ...ks, timeout] };
  }
  const blocking = name === 'blmpop' || name === 'bzmpop';
  const [first, second] = zset ? ['min', 'max'] : ['left', 'right'];
  const at = blocking ? 2 : 1;
  const timeout = blocking ? args[1] : null;
  if (timeout !== null) {
    const err = timeoutError(timeout);
    if (err !== null) return err;
  }
  const n = /^\d+$/.test(text(at)) ? Number(text(at)) : -1;
  if (n < 1 || !Number.isSafeInteger(n)) return 'ERR numkeys should be greater than 0';
  const whereIdx = at + 1 + n;
  if (whereIdx >= args.length) return 'ERR syntax error';
  const where = text(whereIdx).toLowerCase();
  if (where !== first && where !== second) return 'ERR syntax error';
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    if (count === -1 && text(j).toLowerCase() === 'count' && j < args.length - 1) {
      const v = /^\d+$/.test(text(++j)) ? Number(text(j)) : -1;
      if (v < 1) return 'ERR count should be greater than 0';
      count = v;
    } else return 'ERR syntax error';
  }
  if (count === -1) count = 1;
  const tail = args.slice(whereIdx);
  return {
    keys: args.slice(at + 1, whereIdx),
    left: where === first,
    zset,
    count,
    timeout,
    frameFor: (ks) => [...args.slice(0, at), new TextEncoder().encode(String(ks.length)), ...ks, ...tail],
  };
}

/** Checks a blocking command's timeout on the front (for commands it runs itself); null when valid. */
function timeoutError(arg: Uint8Array): string | null {
  const v = ldParse(arg, 0, arg.length);
  if (v === null) return 'ERR timeout is not a float or out of range';
  const ms = Math.trunc(ldToNumber(v) * 1000);
  if (!Number.isFinite(ms) || ms < 0 || ms >= 2 ** 63) return 'ERR timeout is negative';
  return null;
}

/** A copy of a command's arguments in one buffer of its own. */
function packView(p: ArgView): ArgView {
  let total = 0;
  for (let i = 0; i < p.argc; i++) total += p.argLen[i];
  const buf = new Uint8Array(total);
  const off = new Int32Array(p.argc);
  const len = new Int32Array(p.argc);
  let o = 0;
  for (let i = 0; i < p.argc; i++) {
    const n = p.argLen[i];
    buf.set(p.argBuf.subarray(p.argOff[i], p.argOff[i] + n), o);
    off[i] = o;
    len[i] = n;
    o += n;
  }
  return { argBuf: buf, argOff: off, argLen: len, argc: p.argc };
}

/** Argument i of a view (a view into its buffer). */
function argAt(v: ArgView, i: number): Uint8Array {
  return v.argBuf.subarray(v.argOff[i], v.argOff[i] + v.argLen[i]);
}

/** COPY's options ([DB n] [REPLACE]) checked as Redis does; an error text on failure. */
function parseCopyOptions(args: Uint8Array[], db: number): { db: number; replace: boolean } | string {
  let replace = false;
  for (let j = 3; j < args.length; j++) {
    const opt = Buffer.from(args[j]).toString('latin1').toLowerCase();
    if (opt === 'replace') replace = true;
    else if (opt === 'db' && j + 1 < args.length) {
      const d = parseDb(Buffer.from(args[++j]).toString('latin1'));
      if (d === 'syntax') return 'ERR value is not an integer or out of range';
      if (d === 'range') return 'ERR value is out of range, value must between -2147483648 and 2147483647';
      if (d < 0 || d >= 16) return 'ERR DB index is out of range';
      db = d;
    } else return 'ERR syntax error';
  }
  return { db, replace };
}

/** Lays out separate argument buffers the way the parser hands them over. */
function packArgs(args: Uint8Array[]): { buf: Uint8Array; off: Int32Array; len: Int32Array } {
  let total = 0;
  for (const a of args) total += a.length;
  const buf = new Uint8Array(total);
  const off = new Int32Array(args.length);
  const len = new Int32Array(args.length);
  let o = 0;
  for (let i = 0; i < args.length; i++) {
    buf.set(args[i], o);
    off[i] = o;
    len[i] = args[i].length;
    o += args[i].length;
  }
  return { buf, off, len };
}

const EMPTY = new Uint8Array(0);
const QUEUED_REPLY = new TextEncoder().encode('+QUEUED\r\n');
/** 'single' commands that become multi-hop jobs when their keys span shards (EXEC then runs under locks). */
/** Pops that check their keys in order across shards and may block on all of them (Front.popAcross). */
const POP_ACROSS = new Set(['blpop', 'brpop', 'lmpop', 'blmpop', 'bzpopmin', 'bzpopmax', 'zmpop', 'bzmpop']);
const CROSS_CAPABLE = new Set(['lcs', 'lmove', 'rpoplpush', 'smove', 'blmove', 'brpoplpush', ...POP_ACROSS, 'sort', 'sort_ro']);
const ONE_ARG = new TextEncoder().encode('1');
const MIN_ARG = new TextEncoder().encode('MIN');
const MAX_ARG = new TextEncoder().encode('MAX');
const COUNT_ARG = new TextEncoder().encode('COUNT');
const NIL_ARRAY = new TextEncoder().encode('*-1\r\n');
const NIL3 = new TextEncoder().encode('_\r\n');

/** The second bulk string of a two-element array reply (BLPOP's [key, element]). */
function secondBulk(r: Uint8Array): Uint8Array {
  let i = r.indexOf(10) + 1; // after "*2\r\n"
  const keyLen = Number(Buffer.from(r.subarray(i + 1, r.indexOf(13, i))).toString('latin1'));
  i = r.indexOf(10, i) + 1 + keyLen + 2;
  const len = Number(Buffer.from(r.subarray(i + 1, r.indexOf(13, i))).toString('latin1'));
  const start = r.indexOf(10, i) + 1;
  return r.subarray(start, start + len);
}
const WATCH_NAME = new TextEncoder().encode('watch');
const UNBLOCK_NAME = new TextEncoder().encode('unblock');
const STALE = new TextEncoder().encode('stale');
const CLAIM_WORDS = 1 << 16;
const DROP = new TextEncoder().encode('drop');
const CONFIG_NAME = new TextEncoder().encode('config');
const ERROR_MODE = new TextEncoder().encode('error');
const TIMEOUT_MODE = new TextEncoder().encode('timeout');

const EMPTY_I32 = new Int32Array(0);

function argIs(p: ArgView, i: number, lower: string): boolean {
  if (p.argLen[i] !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let ch = p.argBuf[p.argOff[i] + k];
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** SWAPDB's indexes: any failure is "invalid ... DB index", as Redis words it. */
function parseDbIndex(p: ArgView, i: number): number | null {
  const db = parseDb(Buffer.from(p.argBuf.subarray(p.argOff[i], p.argOff[i] + p.argLen[i])).toString('latin1'));
  return typeof db === 'number' ? db : null;
}
