/**
 * What a client costs the server, as CLIENT LIST's `tot-mem` shows it and
 * maxmemory-clients counts it (Redis's getClientMemoryUsage): its query
 * buffer, the arguments of the command it runs, its MULTI queue, its output
 * (the reply buffer, replies held for order, the socket's unsent bytes),
 * and what its subscriptions, WATCHes and tracking prefixes hold.
 */
import type { Connection } from './connection.js';

/** Per entry of a subscription, WATCH or prefix: the set and list nodes that hold it. */
const ENTRY_OVERHEAD = 48;

/** The bytes of a client's queued MULTI commands (CLIENT LIST multi-mem). */
export function multiMemory(c: Connection): number {
  let n = 0;
  for (const q of c.multi ?? []) for (let i = 0; i < q.view.argc; i++) n += q.view.argLen[i] + 16;
  return n;
}

/** The bytes of output waiting for a client (CLIENT LIST omem): held replies and the socket's unsent bytes. */
export function outputMemory(c: Connection): number {
  return c.socket.writableLength + c.queuedBytes;
}

/** The client's whole cost (CLIENT LIST tot-mem); `argvMem` is the command it runs now, if any. */
export function clientMemory(c: Connection, argvMem = 0): number {
  let n = c.parser.capacity + argvMem + multiMemory(c) + c.out.buf.length + outputMemory(c);
  if (c.subs !== null) n += subscriptionsMemory(c);
  n += c.watchCount * ENTRY_OVERHEAD;
  if (c.tracking !== null) for (const p of c.tracking.prefixes) n += p.length + ENTRY_OVERHEAD;
  return n;
}

/** What its subscriptions hold, counted again only when their number changed (a client may have many). */
function subscriptionsMemory(c: Connection): number {
  const subs = c.subs!;
  const count = subs[0].size + subs[1].size + subs[2].size;
  if (count !== c.subsCounted) {
    let n = 0;
    for (const set of subs) for (const name of set) n += name.length + ENTRY_OVERHEAD;
    c.subsCounted = count;
    c.subsMemory = n;
  }
  return c.subsMemory;
}
