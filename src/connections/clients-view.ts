/**
 * Connection-wide views across threads: CLIENT LIST, CLIENT KILL and
 * CLIENT UNBLOCK reach every thread (frames.ts OP_THREAD), and each thread
 * answers for the connections it owns. These are that answer's pieces.
 */
import { isSubscribed } from '../pubsub/hub.js';
import { bulkText } from '../commands/mergers.js';
import { OP_THREAD } from '../transport/frames.js';
import { clientMemory, multiMemory, outputMemory } from './client-memory.js';
import type { Connection } from './connection.js';
import type { ThreadContext } from './context.js';

/** Asks every thread (this one included) `action` about its connections; their JSON answers, by thread. */
export async function askThreads<T>(ctx: ThreadContext, action: string, payload: unknown): Promise<T[]> {
  const enc = new TextEncoder();
  const replies = await ctx.allThreads(OP_THREAD, [enc.encode(action), enc.encode(JSON.stringify(payload))]);
  return replies.map((r) => JSON.parse(bulkText(r)) as T);
}

/** A CLIENT LIST / CLIENT KILL filter, as it travels between threads (JSON). */
export interface ClientFilter {
  ids?: number[];
  addr?: string;
  laddr?: string;
  user?: string;
  /** Only "normal" clients exist so far: other types match nothing. */
  type?: string;
  /** Connected for at least this long. */
  maxAgeMs?: number;
  /** The asking client (CLIENT KILL's SKIPME yes). */
  skipId?: number;
}

export function matches(c: Connection, f: ClientFilter, now: number): boolean {
  if (c.closed) return false;
  if (f.ids !== undefined && !f.ids.includes(c.id)) return false;
  if (f.addr !== undefined && c.addr !== f.addr) return false;
  if (f.laddr !== undefined && c.laddr !== f.laddr) return false;
  if (f.user !== undefined && c.user !== f.user) return false;
  if (f.type !== undefined && f.type !== (isSubscribed(c) ? 'pubsub' : 'normal')) return false;
  if (f.maxAgeMs !== undefined && now - c.createdAt < f.maxAgeMs) return false;
  if (f.skipId !== undefined && c.id === f.skipId) return false;
  return true;
}

/**
 * A CLIENT LIST line in Redis 7's format, with Redis 8's `io-thread` (the
 * thread that owns the connection). `cmd` is the command running now for the
 * asking client, the last one for others.
 */
export function clientLine(c: Connection, thread: number, cmd: string, now: number, argvMem = 0): string {
  // In Redis's order of flags.
  const t = c.tracking;
  const flags =
    (isSubscribed(c) ? 'P' : '') +
      (c.multi !== null ? 'x' : '') +
      (c.blockedSeq >= 0 || c.pauseHeld ? 'b' : '') +
      (t !== null ? 't' : '') +
      (t?.broken === true ? 'R' : '') +
      (t?.bcast === true ? 'B' : '') +
      (c.noEvict ? 'e' : '') +
      (c.noTouch ? 'T' : '') || 'N';
  const subs = c.subs;
  const fd = (c.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const multi = c.multi === null ? -1 : c.multi.length;
  const multiMem = multiMemory(c);
  const obl = c.out.len;
  const omem = outputMemory(c);
  const totMem = clientMemory(c, argvMem);
  const events = c.socket.writableLength > 0 ? 'rw' : 'r';
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${fd} ` +
    `name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${flags} db=${c.db} sub=${subs?.[0].size ?? 0} psub=${subs?.[1].size ?? 0} ssub=${subs?.[2].size ?? 0} multi=${multi} watch=${c.watchCount} qbuf=${c.parser.buffered} qbuf-free=${c.parser.free} argv-mem=${argvMem} multi-mem=${multiMem} ` +
    `rbs=${c.parser.capacity} rbp=${c.parser.buffered} obl=${obl} oll=${c.queuedCount} omem=${omem} tot-mem=${totMem} events=${events} cmd=${cmd} ` +
    `user=${c.user} redir=${t === null ? -1 : t.redirect} resp=${c.resp} lib-name=${c.libName} lib-ver=${c.libVer} io-thread=${thread}`
  );
}
