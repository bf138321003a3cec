/**
 * Commands a script calls (redis.call / redis.pcall), run on the script's
 * own shard, synchronously, each with an Exec of its own (the script's
 * EVAL keeps the shard's). A nested command is run as a client's would be
 * here: keys written ahead of a running snapshot, statistics, the AOF
 * record (in the script's transaction, so several writes go to the file
 * as one MULTI/EXEC), and clients blocked on the keys it wrote.
 */
import { ReplyWriter } from '../protocol/reply-writer.js';
import { Exec, type NestedCall, type NestedResult, type ScriptCalls, type ShardCommands } from './exec.js';
import type { Keyspace } from './keyspace.js';
import { keyHashSlot, slotOwner } from '../util/crc16.js';

export interface NestedHost {
  readonly cmds: ShardCommands;
  readonly ks: Keyspace;
  /** The shard's Exec: the script's EVAL, whose clock, shard and AOF record the nested commands share. */
  readonly outer: Exec;
  /** Runs a prepared nested command (the Shard's part: snapshot, stats, AOF, wake-ups); the reply is in x.r. */
  run(x: Exec, id: number, txid: number): void;
  newTxid(): number;
  log(level: number, message: Uint8Array): void;
}

/** Runs scripts' commands for one shard. */
export class NestedRunner implements ScriptCalls {
  private readonly x: Exec;
  private readonly ids = new Map<string, number>();
  private off = new Int32Array(16);
  private len = new Int32Array(16);

  constructor(private readonly host: NestedHost) {
    this.x = new Exec(host.ks, new ReplyWriter(4096), host.outer.shard);
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

  /** Runs shard command `id` with `args`; refuses one whose keys live on another shard, or that spans the keyspace of several shards. */
  call(id: number, args: readonly Uint8Array[], call: NestedCall): NestedResult {
    const spec = this.host.cmds.keys[id];
    const shard = this.host.outer.shard;
    if (spec.global && shard.count > 1) return { refused: 'ERR Shoal does not run keyspace-wide commands from scripts yet (they need every shard)' };
    if (call.readonly && spec.write) return { refused: 'ERR Write commands are not allowed from read-only scripts.' };
    // One buffer for the arguments: the handlers read them through offsets.
    let size = 0;
    for (const a of args) size += a.length;
    const u8 = new Uint8Array(size);
    if (args.length > this.off.length) {
      this.off = new Int32Array(args.length * 2);
      this.len = new Int32Array(args.length * 2);
    }
    let p = 0;
    for (let i = 0; i < args.length; i++) {
      u8.set(args[i], p);
      this.off[i] = p;
      this.len[i] = args[i].length;
      p += args[i].length;
    }
    if (spec.first > 0) {
      const last = spec.last < 0 ? args.length + spec.last : Math.min(spec.last, args.length - 1);
      for (let k = spec.first; k <= last; k += spec.step > 0 ? spec.step : 1) {
        if (slotOwner(keyHashSlot(u8, this.off[k], this.len[k]), shard.count) !== shard.index) {
          return { refused: `ERR Script attempted to access a key of another shard ('${Buffer.from(args[k]).toString('latin1')}'): Shoal runs a script on the shard of its keys, so they must share one ({hash tags})` };
        }
      }
    }
    const x = this.x;
    const outer = this.host.outer;
    x.u8 = u8;
    x.off = this.off;
    x.len = this.len;
    x.argc = args.length;
    x.db = call.db;
    x.resp3 = call.resp3;
    x.r.resp3 = call.resp3;
    x.r.reset();
    x.noTouch = false;
    x.foreignValue = false;
    x.mayBlock = false;
    x.retrying = false;
    x.claimIdx = -1;
    x.dropped = false;
    x.blockOn = null;
    x.now = outer.now;
    x.lru = outer.lru;
    x.snapshot = outer.snapshot;
    x.effects = outer.effects;
    x.feed = outer.feed;
    this.host.ks.currentDb = call.db;
    this.host.run(x, id, call.txid);
    return { reply: x.r.buf.slice(0, x.r.len) };
  }

  newTxid(): number {
    return this.host.newTxid();
  }

  log(level: number, message: Uint8Array): void {
    this.host.log(level, message);
  }
}
