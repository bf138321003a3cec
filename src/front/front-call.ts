/**
 * The context of a command that runs on the front thread (PING, CLIENT,
 * CONFIG, INFO ...): its arguments, its connection, a reply writer set to the
 * connection's protocol, and the ways to answer — now, or later after asking
 * the shards (`fanout`).
 */
import type { CommandMeta } from '../commands/meta.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { RespValue } from '../protocol/resp-value.js';
import type { Connection } from './connection.js';
import type { ArgView, Front } from './front.js';
import type { Merger } from './merge.js';

export type FrontHandler = (f: FrontCall) => void;

export class FrontCall {
  conn!: Connection;
  p!: ArgView;
  meta!: CommandMeta;
  fullName = '';
  /** The reply sequence number of the running command. */
  seq = 0;
  readonly w = new ReplyWriter(16 * 1024);
  /** Set when the handler answered through `fanout` (no immediate reply). */
  private deferred = false;

  constructor(readonly front: Front) {}

  run(c: Connection, p: ArgView, handler: FrontHandler, meta: CommandMeta, fullName: string): void {
    this.conn = c;
    this.p = p;
    this.meta = meta;
    this.fullName = fullName;
    this.deferred = false;
    const w = this.w;
    w.reset();
    w.resp3 = c.resp === 3;
    const seq = (this.seq = c.takeSeq());
    const t0 = performance.now();
    try {
      handler(this);
    } catch (err) {
      w.reset();
      w.error(`ERR internal error in '${fullName}': ${(err as Error).message}`);
    }
    const st = this.front.commandStats.get(fullName) ?? [0, 0];
    st[0]++;
    st[1] += (performance.now() - t0) * 1000;
    this.front.commandStats.set(fullName, st);
    if (this.deferred) return;
    if (w.len > 0 && w.buf[0] === 45) {
      let e = 1;
      while (e < w.len && w.buf[e] !== 32 && w.buf[e] !== 13) e++;
      const prefix = Buffer.from(w.buf.subarray(1, e)).toString('latin1');
      this.front.stats.errors.set(prefix, (this.front.stats.errors.get(prefix) ?? 0) + 1);
    }
    c.replyFront(seq, w.buf, 0, w.len);
    this.front.markDirty(c);
  }

  get argc(): number {
    return this.p.argc;
  }

  arg(i: number): string {
    const p = this.p;
    return Buffer.from(p.argBuf.subarray(p.argOff[i], p.argOff[i] + p.argLen[i])).toString('utf8');
  }

  argBytes(i: number): Uint8Array {
    const p = this.p;
    return p.argBuf.slice(p.argOff[i], p.argOff[i] + p.argLen[i]);
  }

  argIs(i: number, lower: string): boolean {
    return this.arg(i).toLowerCase() === lower;
  }

  allArgs(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.p.argc; i++) out.push(this.argBytes(i));
    return out;
  }

  error(text: string): void {
    this.w.error(text);
  }

  value(v: RespValue): void {
    this.w.value(v);
  }

  /** The handler answers later itself: returns the reply number to answer with. */
  defer(): number {
    this.deferred = true;
    return this.seq;
  }

  /** Answers later, once every shard answered `op` and `merge` combined the parts. */
  fanout(op: number, merge: Merger): void {
    this.deferred = true;
    this.front.fanout(this.conn, op, 0, merge, null, this.seq);
  }
}
