/**
 * The transactions family, run on the connection's thread: MULTI, EXEC,
 * DISCARD, WATCH, UNWATCH. Queueing happens in dispatch.ts; EXEC and WATCH
 * are multi-exec.ts, on top of the scheduler.
 */
import type { FrontCall, FrontHandler } from './front-call.js';

function multi(f: FrontCall): void {
  if (f.conn.multi !== null) return f.error('ERR MULTI calls can not be nested');
  f.conn.multi = [];
  f.conn.multiDirty = false;
  f.w.ok();
}

function exec(f: FrontCall): void {
  if (f.conn.multi === null) return f.error('ERR EXEC without MULTI');
  f.session.exec(f.conn, f.defer());
}

function discard(f: FrontCall): void {
  if (f.conn.multi === null) return f.error('ERR DISCARD without MULTI');
  f.conn.multi = null;
  f.conn.multiDirty = false;
  f.session.unwatchAll(f.conn);
  f.w.ok();
}

function watch(f: FrontCall): void {
  if (f.conn.multi !== null) return f.error('ERR WATCH inside MULTI is not allowed');
  const keys: Uint8Array[] = [];
  for (let i = 1; i < f.argc; i++) keys.push(f.argBytes(i));
  f.session.watch(f.conn, keys, f.defer());
}

function unwatch(f: FrontCall): void {
  f.session.unwatchAll(f.conn);
  f.w.ok();
}

export const transactionHandlers: Record<string, FrontHandler> = { multi, exec, discard, watch, unwatch };
