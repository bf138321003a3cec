/**
 * The transactions family, run on the front: MULTI, EXEC, DISCARD, WATCH,
 * UNWATCH. Queueing happens in the front's dispatch; EXEC's execution (with
 * or without locks) is Front.exec, on top of front/transactions.ts.
 */
import type { FrontCall, FrontHandler } from '../front/front-call.js';

function multi(f: FrontCall): void {
  if (f.conn.multi !== null) return f.error('ERR MULTI calls can not be nested');
  f.conn.multi = [];
  f.conn.multiDirty = false;
  f.w.ok();
}

function exec(f: FrontCall): void {
  if (f.conn.multi === null) return f.error('ERR EXEC without MULTI');
  f.front.exec(f.conn, f.defer());
}

function discard(f: FrontCall): void {
  if (f.conn.multi === null) return f.error('ERR DISCARD without MULTI');
  f.conn.multi = null;
  f.conn.multiDirty = false;
  f.front.unwatchAll(f.conn);
  f.w.ok();
}

function watch(f: FrontCall): void {
  if (f.conn.multi !== null) return f.error('ERR WATCH inside MULTI is not allowed');
  const keys: Uint8Array[] = [];
  for (let i = 1; i < f.argc; i++) keys.push(f.argBytes(i));
  f.front.watch(f.conn, keys);
  f.w.ok();
}

function unwatch(f: FrontCall): void {
  f.front.unwatchAll(f.conn);
  f.w.ok();
}

export const transactionHandlers: Record<string, FrontHandler> = { multi, exec, discard, watch, unwatch };
