/** Replies a thread makes itself (errors found before a command reaches a shard), counted as Redis counts them. */
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { Connection } from './connection.js';
import type { ThreadContext } from './context.js';

const scratch = new ReplyWriter(1024);

/** Replies an error in the connection's order, counting it in INFO errorstats. */
export function replyError(ctx: ThreadContext, c: Connection, error: string, seq = c.takeSeq()): void {
  const prefix = error.split(' ', 1)[0];
  ctx.stats.errors[prefix] = (ctx.stats.errors[prefix] ?? 0) + 1;
  scratch.reset();
  scratch.error(error);
  c.replyNow(seq, scratch.buf, 0, scratch.len);
  ctx.markDirty(c);
}

/** A command refused before running: Redis counts it as a rejected call (and MULTI then fails at EXEC). */
export function reject(ctx: ThreadContext, c: Connection, name: string, error: string): void {
  if (name !== '') ctx.stats.rejected[name] = (ctx.stats.rejected[name] ?? 0) + 1;
  if (c.multi !== null) c.multiDirty = true;
  replyError(ctx, c, error);
}

/** Replies RESP bytes made on this thread, in the connection's order. */
export function replyBytes(ctx: ThreadContext, c: Connection, seq: number, bytes: Uint8Array): void {
  c.replyNow(seq, bytes, 0, bytes.length);
  ctx.markDirty(c);
}
