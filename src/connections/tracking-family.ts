/**
 * Client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO),
 * run on the connection's thread. The keys a tracking client reads are
 * remembered by their shard (shard/tracking.ts; routing flags its read
 * commands with REQ_TRACK); a BCAST client's prefixes are given to every
 * shard. Invalidations reach the client's thread, which writes them as
 * Redis does (`writeInvalidation`): a RESP3 push, or a message on
 * `__redis__:invalidate` for a subscribed RESP2 client, to the client
 * itself or to its REDIRECT target.
 */
import { isSubscribed } from '../pubsub/hub.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { askThreads } from './clients-view.js';
import type { Connection, TrackingState } from './connection.js';
import type { ThreadContext } from './context.js';
import type { FrontCall, FrontHandler } from './front-call.js';

const ERR_SWITCH = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";

/** Whether a read command of this client is tracked now (its mode and CLIENT CACHING). */
export function tracksReads(t: TrackingState): boolean {
  if (t.bcast) return false;
  if (t.optin) return t.caching === 'yes';
  if (t.optout) return t.caching !== 'no';
  return true;
}

/** Writes an invalidation (keys, or null: everything) to `to`, as Redis's sendTrackingMessage; false if `to` cannot take it. */
export function writeInvalidation(to: Connection, keys: Uint8Array[] | null): boolean {
  const w = new ReplyWriter(64);
  w.resp3 = to.resp === 3;
  if (to.resp === 3) {
    w.push(2);
    w.bulkString('invalidate');
  } else if (isSubscribed(to)) {
    w.push(3);
    w.bulkString('message');
    w.bulkString('__redis__:invalidate');
  } else return false;
  if (keys === null) {
    if (to.resp === 3) w.nullBulk();
    else w.nullArray();
  } else {
    w.array(keys.length);
    for (const k of keys) w.bulkBytes(k);
  }
  // After the replies it is owed: its own write's invalidation follows that write's reply, as in Redis.
  to.push(w.buf, 0, w.len);
  return true;
}

/** The redirect target is gone: a RESP3 client hears of it once. */
export function writeRedirectBroken(c: Connection): void {
  const t = c.tracking;
  if (t === null || t.broken) return;
  t.broken = true;
  if (c.resp !== 3) return;
  const w = new ReplyWriter(64);
  w.resp3 = true;
  w.push(2);
  w.bulkString('tracking-redir-broken');
  w.int(t.redirect);
  c.push(w.buf, 0, w.len);
}

/** Every shard learns (or forgets) a BCAST client's prefixes. */
function announcePrefixes(ctx: ThreadContext, c: Connection, t: TrackingState, on: boolean): Promise<unknown> {
  return askThreads(ctx, 'tracking-bcast', { conn: c.key, prefixes: t.prefixes.length === 0 ? [''] : t.prefixes, noloop: t.noloop, on });
}

/** Tracking off (CLIENT TRACKING OFF, RESET, a closed connection): a BCAST client's prefixes leave every shard. */
export function trackingOff(ctx: ThreadContext, c: Connection): Promise<unknown> {
  const t = c.tracking;
  c.tracking = null;
  if (t === null || !t.bcast) return Promise.resolve();
  return announcePrefixes(ctx, c, t, false);
}

async function trackingOn(f: FrontCall, c: Connection, t: TrackingState): Promise<string | null> {
  if (t.redirect !== 0 && t.redirect !== c.id) {
    const keys = await askThreads<number | null>(f.thread, 'client-key', { id: t.redirect });
    const key = keys.find((k) => k !== null);
    if (key === undefined || key === null) return 'ERR The client ID you want redirect to does not exist';
    t.redirectKey = key;
  } else if (t.redirect === c.id) t.redirectKey = c.key;
  const was = c.tracking;
  if (was !== null && was.bcast) await announcePrefixes(f.thread, c, was, false);
  c.tracking = t;
  if (t.bcast) await announcePrefixes(f.thread, c, t, true);
  return null;
}

function tracking(f: FrontCall): void {
  const c = f.conn;
  const mode = f.arg(2).toLowerCase();
  if (mode !== 'on' && mode !== 'off') return f.error('ERR syntax error');
  const t: TrackingState = { bcast: false, optin: false, optout: false, noloop: false, redirect: 0, redirectKey: 0, prefixes: [], caching: null, broken: false };
  for (let i = 3; i < f.argc; i++) {
    const opt = f.arg(i).toLowerCase();
    const more = i + 1 < f.argc;
    if (opt === 'redirect' && more) {
      const id = f.arg(++i);
      if (!/^-?\d+$/.test(id)) return f.error('ERR value is not an integer or out of range');
      t.redirect = Number(id);
    } else if (opt === 'bcast') t.bcast = true;
    else if (opt === 'optin') t.optin = true;
    else if (opt === 'optout') t.optout = true;
    else if (opt === 'noloop') t.noloop = true;
    else if (opt === 'prefix' && more) t.prefixes.push(Buffer.from(f.argBytes(++i)).toString('latin1'));
    else return f.error('ERR syntax error');
  }
  if (mode === 'off') {
    f.later(trackingOff(f.thread, c), (w) => w.ok());
    return;
  }
  if (t.prefixes.length > 0 && !t.bcast) return f.error('ERR PREFIX option requires BCAST mode to be enabled');
  const was = c.tracking;
  if (was !== null && was.bcast !== t.bcast) return f.error(ERR_SWITCH);
  if (t.optin && t.optout) return f.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if ((t.optin && was?.optout === true) || (t.optout && was?.optin === true)) return f.error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
  if (t.bcast && (t.optin || t.optout)) return f.error('ERR OPTIN and OPTOUT are not compatible with BCAST');
  // Prefixes must not overlap, among themselves or with those the client has.
  const existing = was?.prefixes ?? [];
  for (let i = 0; i < t.prefixes.length; i++) {
    const p = t.prefixes[i];
    for (const q of existing) {
      if (p.startsWith(q) || q.startsWith(p)) return f.error(`ERR Prefix '${p}' overlaps with an existing prefix '${q}'. Prefixes for a single client must not overlap.`);
    }
    for (let j = i + 1; j < t.prefixes.length; j++) {
      const q = t.prefixes[j];
      if (p.startsWith(q) || q.startsWith(p)) return f.error(`ERR Prefix '${p}' overlaps with another provided prefix '${q}'. Prefixes for a single client must not overlap.`);
    }
  }
  if (was !== null) t.prefixes = [...existing, ...t.prefixes];
  f.later(trackingOn(f, c, t), (w, err) => (err === null ? w.ok() : w.error(err)));
}

function caching(f: FrontCall): void {
  const t = f.conn.tracking;
  if (t === null || (!t.optin && !t.optout)) return f.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  const v = f.arg(2).toLowerCase();
  if (v === 'yes') {
    if (!t.optin) return f.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
    t.caching = 'yes';
  } else if (v === 'no') {
    if (!t.optout) return f.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
    t.caching = 'no';
  } else return f.error('ERR syntax error');
  f.w.ok();
}

function trackingInfo(f: FrontCall): void {
  const t = f.conn.tracking;
  const w = f.w;
  w.map(3);
  w.bulkString('flags');
  const flags: string[] = [];
  if (t === null) flags.push('off');
  else {
    flags.push('on');
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optout) flags.push('optout');
    if (t.caching === 'yes') flags.push('caching-yes');
    if (t.caching === 'no') flags.push('caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.broken) flags.push('broken_redirect');
  }
  w.set(flags.length);
  for (const fl of flags) w.bulkString(fl);
  w.bulkString('redirect');
  w.int(t === null ? -1 : t.redirect);
  w.bulkString('prefixes');
  // In byte order, as Redis keeps them (a radix tree).
  const prefixes = [...(t?.prefixes ?? [])].sort();
  w.array(prefixes.length);
  for (const p of prefixes) w.bulkBytes(Buffer.from(p, 'latin1'));
}

export const trackingFrontHandlers: Record<string, FrontHandler> = {
  'client|tracking': tracking,
  'client|caching': caching,
  'client|getredir': (f) => f.w.int(f.conn.tracking === null ? -1 : f.conn.tracking.redirect),
  'client|trackinginfo': trackingInfo,
};
