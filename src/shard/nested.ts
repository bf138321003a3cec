/**
 * Commands a script calls (redis.call / redis.pcall), run on the script's
 * own shard, synchronously, each with an Exec of its own (the script's
 * EVAL keeps the shard's). A nested command is run as a client's would be
 * here: keys written ahead of a running snapshot, statistics, the AOF
 * record (in the script's transaction, so several writes go to the file
 * as one MULTI/EXEC), and clients blocked on the keys it wrote.
 */
import { ReplyWriter } from '../protocol/reply-writer.js';
import { Exec, type NestedCall, type NestedResult, type ScriptCalls, type ShardCommands, keySpan } from './exec.js';
import type { Keyspace } from './keyspace.js';
import { keyHashSlot, slotOwner } from '../util/crc16.js';
import { packArgs } from '../transport/frames.js';
import type { ScriptKeyUse } from '../transport/script-key-use.js';
import { monitorLine } from '../util/monitor-line.js';

export interface NestedHost {
  readonly cmds: ShardCommands;
  readonly ks: Keyspace;
  /** The shard's Exec: the script's EVAL, whose clock, shard and AOF record the nested commands share. */
  readonly outer: Exec;
  /** Runs a prepared nested command (the Shard's part: snapshot, stats, AOF, wake-ups); the reply is in x.r. */
  run(x: Exec, id: number, txid: number): void;
  newTxid(): number;
  log(level: number, message: Uint8Array): void;
  /** This thread's slot in the script watch (transport/script-watch.ts). */
  watch: { start(wide: boolean): void; end(): void; wrote(): void; killed(): boolean };
  readonly keyUse: ScriptKeyUse;
}

/** Runs scripts' commands for one shard. */
export class NestedRunner implements ScriptCalls {
  private readonly x: Exec;
  private readonly ids = new Map<string, number>();

  constructor(private readonly host: NestedHost) {
    this.x = new Exec(host.ks, new ReplyWriter(4096), host.outer.shard);
    this.x.inScript = true;
    host.cmds.names.forEach((n, i) => this.ids.set(n, i));
  }

  /** The id of a shard command by its name (and subcommand), or -1. */
  idOf(args: readonly Uint8Array[]): number {
    const name = Buffer.from(args[0]).toString('latin1').toLowerCase();
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    if (args.length > 1) return this.ids.get(`${name}|${Buffer.from(args[1]).toString('latin1').toLowerCase()}`) ?? -1;
    return -1;
  }

  get keyUse(): ScriptKeyUse {
    return this.host.keyUse;
  }

  /** The keys a call names (every argument from the first key on, for commands whose keys move). */
  keysOf(id: number, args: readonly Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    const [first, last, step] = keySpan(this.host.cmds.keys[id], args.length, args);
    for (let k = first; k > 0 && k <= last; k += step) out.push(args[k]);
    return out;
  }

  writes(id: number): boolean {
    return this.host.cmds.keys[id].write;
  }

  /** The shard every key of a call lives on (-2: no keys; -1: several). */
  shardOf(id: number, args: readonly Uint8Array[]): number {
    return callShard(this.host.cmds, id, args, this.host.outer.shard.count);
  }

  /** MONITOR shows a script's calls as `[<db> lua]`. */
  monitor(args: readonly Uint8Array[], call: NestedCall): void {
    const bus = this.host.outer.bus;
    if (bus === null || !bus.monitoring) return;
    const line = monitorLine(call.db, 'lua', args);
    if (call.replyConn !== undefined && call.replyConn >= 0) bus.monitorAfterReply(call.replyConn, call.replySeq!, line);
    else bus.monitorLine(line);
  }

  /** Runs shard command `id` with `args`; refuses one whose keys live on another shard, or that spans the keyspace of several shards. */
  call(id: number, args: readonly Uint8Array[], call: NestedCall): NestedResult {
    const spec = this.host.cmds.keys[id];
    const shard = this.host.outer.shard;
    if (spec.global && shard.count > 1) return { refused: 'ERR Shoal does not run keyspace-wide commands from scripts yet (they need every shard)' };
    if (call.readonly && (spec.write || spec.mayReplicate === true)) return { refused: 'ERR Write commands are not allowed from read-only scripts.' };
    const owner = callShard(this.host.cmds, id, args, shard.count);
    if (owner !== -2 && owner !== shard.index) {
      let [k, , step] = keySpan(this.host.cmds.keys[id], args.length, args);
      while (slotOwner(keyHashSlot(args[k], 0, args[k].length), shard.count) === shard.index) k += step;
      return { refused: `ERR Script attempted to access a key of another shard ('${Buffer.from(args[k]).toString('latin1')}'): this script kept to its declared keys before, so it ran on their shard alone; from now on it holds every shard` };
    }
    const packed = packArgs(args as Uint8Array[]);
    const x = this.x;
    const outer = this.host.outer;
    x.u8 = packed.argBuf;
    x.off = packed.argOff;
    x.len = packed.argLen;
    x.argc = packed.argc;
    x.prepare(call.db, call.resp3, false, false, false, false);
    x.claimIdx = -1;
    x.dropped = false;
    x.now = outer.now;
    x.lru = outer.lru;
    x.snapshot = outer.snapshot;
    x.effects = outer.effects;
    x.feed = outer.feed;
    x.bus = outer.bus;
    x.track = outer.track;
    x.lfu = outer.lfu;
    x.eventsConn = outer.eventsConn;
    x.eventsSeq = outer.eventsSeq;
    this.host.run(x, id, call.txid);
    return { reply: x.r.buf.slice(0, x.r.len) };
  }

  newTxid(): number {
    return this.host.newTxid();
  }

  log(level: number, message: Uint8Array): void {
    this.host.log(level, message);
  }

  scriptStarted(wide: boolean): void {
    this.host.watch.start(wide);
  }

  scriptEnded(): void {
    this.host.watch.end();
  }

  scriptWrote(): void {
    this.host.watch.wrote();
  }

  killRequested(): boolean {
    return this.host.watch.killed();
  }
}

/** A script's call as it crosses to another thread (transport/mailbox.ts): db, txid, flags, argc, then each argument as length + bytes. */
export function encodeCall(args: readonly Uint8Array[], call: NestedCall): Uint8Array {
  let size = 16;
  for (const a of args) size += 4 + a.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setInt32(0, call.db, true);
  v.setInt32(4, call.txid, true);
  v.setInt32(8, (call.readonly ? 1 : 0) | (call.resp3 ? 2 : 0), true);
  v.setInt32(12, args.length, true);
  let p = 16;
  for (const a of args) {
    v.setInt32(p, a.length, true);
    out.set(a, p + 4);
    p += 4 + a.length;
  }
  return out;
}

export function decodeCall(b: Uint8Array): { args: Uint8Array[]; call: NestedCall } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = v.getInt32(8, true);
  const call: NestedCall = { db: v.getInt32(0, true), txid: v.getInt32(4, true), readonly: (flags & 1) !== 0, resp3: (flags & 2) !== 0 };
  const args: Uint8Array[] = [];
  let p = 16;
  for (let i = v.getInt32(12, true); i > 0; i--) {
    const n = v.getInt32(p, true);
    args.push(b.slice(p + 4, p + 4 + n));
    p += 4 + n;
  }
  return { args, call };
}

/** A call's result on its way back: a kind byte (0 reply, 1 refused), then the RESP reply or the error text. */
export function encodeResult(r: NestedResult): Uint8Array {
  const body = 'reply' in r ? r.reply : new TextEncoder().encode(r.refused);
  const out = new Uint8Array(body.length + 1);
  out[0] = 'reply' in r ? 0 : 1;
  out.set(body, 1);
  return out;
}

export function decodeResult(b: Uint8Array): NestedResult {
  return b[0] === 0 ? { reply: b.subarray(1) } : { refused: new TextDecoder().decode(b.subarray(1)) };
}

/** The shard every key of a call lives on: -2 for a call without keys, -1 when its keys span shards. */
export function callShard(cmds: ShardCommands, id: number, args: readonly Uint8Array[], shards: number): number {
  const [first, last, step] = keySpan(cmds.keys[id], args.length, args);
  if (first <= 0) return -2;
  let owner = -2;
  for (let k = first; k <= last; k += step) {
    const s = slotOwner(keyHashSlot(args[k], 0, args[k].length), shards);
    if (owner === -2) owner = s;
    else if (owner !== s) return -1;
  }
  return owner;
}
