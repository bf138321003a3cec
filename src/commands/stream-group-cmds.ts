/**
 * Consumer groups: XGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM, as Redis
 * 7.0's t_stream.c answers them. What they change is propagated as Redis
 * propagates it: XCLAIM and XAUTOCLAIM as one idempotent XCLAIM … FORCE
 * JUSTID LASTID per entry they touch (and XGROUP SETID when the group's
 * last ID moved), never as themselves.
 */
import type { ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Notify } from '../util/keyspace-events.js';
import { ID_MAX, type StreamId, formatId, lastId, streamCreate, streamGet } from '../types/stream.js';
import { type Consumer, type Group, IdMap, type PendingEntry, groupKey, groupsFor, groupsOf } from '../types/stream-groups.js';
import { INVALID_ENTRIES_READ } from '../types/stream-lag.js';
import { argId, argIntervalId, parseIdBytes } from './stream-args.js';
import { replyEntry } from './stream-replies.js';
import { cstr, noGroup } from './stream-info.js';

/** A new consumer (streamCreateConsumer): seen now; `xgroup-createconsumer` is announced. */
export function createConsumer(x: Exec, g: Group, name: Uint8Array, keyArg: number): Consumer {
  const c: Consumer = { name, seenTime: Math.floor(x.now), pel: new IdMap() };
  g.consumers.set(groupKey(name), c);
  x.notify(Notify.Stream, 'xgroup-createconsumer', x.arg(keyArg));
  return c;
}

/** The consumer named `name`, its seen time refreshed (streamLookupConsumer), or created. */
export function consumerFor(x: Exec, g: Group, name: Uint8Array, keyArg: number, propagateCreation = false): Consumer {
  const c = g.consumers.get(groupKey(name));
  if (c !== undefined) {
    c.seenTime = Math.floor(x.now);
    return c;
  }
  const made = createConsumer(x, g, new Uint8Array(name), keyArg);
  // Redis 7.0 propagates a consumer that XREADGROUP … NOACK made (an XCLAIM propagated after it names the consumer otherwise).
  if (propagateCreation && x.propagating) x.propagate('XGROUP', 'CREATECONSUMER', x.argCopy(keyArg), g.name, made.name);
  return made;
}

/** The XCLAIM that replays what happened to pending entry e (streamPropagateXCLAIM). */
export function propagateClaim(x: Exec, key: Uint8Array, g: Group, e: PendingEntry): void {
  if (!x.propagating) return;
  x.propagate('XCLAIM', new Uint8Array(key), g.name, e.consumer.name, '0', formatId(e.id), 'TIME', String(e.deliveryTime), 'RETRYCOUNT', String(e.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', formatId(g.lastId));
}

/** XGROUP SETID with the group's last ID and entries-read (streamPropagateGroupID). */
export function propagateGroupId(x: Exec, key: Uint8Array, g: Group): void {
  if (!x.propagating) return;
  x.propagate('XGROUP', 'SETID', new Uint8Array(key), g.name, formatId(g.lastId), 'ENTRIESREAD', String(g.entriesRead));
}

function subcommandError(x: Exec): void {
  x.r.error(`ERR unknown subcommand or wrong number of arguments for '${cstr(x.arg(1)).slice(0, 128)}'. Try XGROUP HELP.`);
}

/** Parses XGROUP CREATE/SETID's options from argument 5; null after replying. */
function groupOptions(x: Exec, create: boolean): { mkstream: boolean; entriesRead: bigint } | null {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < x.argc; ) {
    if (create && x.argIs(i, 'mkstream')) {
      mkstream = true;
      i++;
    } else if (x.argIs(i, 'entriesread') && i + 1 < x.argc) {
      const n = x.argInt64(i + 1);
      if (n === null) {
        x.r.error(ERR_NOT_INT);
        return null;
      }
      if (n < 0 && n !== -1) {
        x.r.error('ERR value for ENTRIESREAD must be positive or -1');
        return null;
      }
      entriesRead = BigInt(n);
      i += 2;
    } else {
      subcommandError(x);
      return null;
    }
  }
  return { mkstream, entriesRead };
}

/** The common start of the XGROUP subcommands: options, the key, the group; null after replying. */
function xgroupStart(x: Exec, sub: 'create' | 'setid' | 'destroy' | 'createconsumer' | 'delconsumer'): { h: number; v: number; g: Group | undefined; entriesRead: bigint } | null {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  if (sub === 'create' || sub === 'setid') {
    const o = groupOptions(x, sub === 'create');
    if (o === null) return null;
    mkstream = o.mkstream;
    entriesRead = o.entriesRead;
  }
  const h = x.lookupTyped(2, ObjType.Stream, false);
  if (h < 0) return null;
  if (h === 0 && !mkstream) {
    x.r.error('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
    return null;
  }
  const v = h === 0 ? 0 : x.ks.valueWord(h);
  const g = v === 0 ? undefined : groupsOf(x.ks.arena, v)?.get(groupKey(x.arg(3)));
  if (g === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
    x.r.error(noGroup(x, 3, 2));
    return null;
  }
  return { h, v, g, entriesRead };
}

/** `$` (the stream's last ID) or a strict ID (non-strict for SETID, as Redis parses it). */
function groupId(x: Exec, i: number, v: number, strict: boolean): StreamId | null {
  if (x.len[i] === 1 && x.u8[x.off[i]] === 36) return v === 0 ? 0n : lastId(x.ks.arena, v);
  return argId(x, i, 0n, strict);
}

function xgroupCreate(x: Exec): void {
  const s = xgroupStart(x, 'create');
  if (s === null) return;
  if (x.argc > 8) return subcommandError(x);
  const id = groupId(x, 4, s.v, true);
  if (id === null) return;
  let h = s.h;
  let v = s.v;
  if (h === 0) {
    h = x.ks.insertNew(x.db, x.u8, x.off[2], x.len[2], 0, ObjType.Stream, Enc.Stream, x.lru);
    v = streamCreate(x.ks.arena);
    x.ks.setValueWord(h, v);
  }
  const groups = groupsFor(x.ks.arena, v);
  const k = groupKey(x.arg(3));
  if (groups.has(k)) {
    x.r.error('BUSYGROUP Consumer Group name already exists');
    return;
  }
  groups.set(k, { name: x.argCopy(3), lastId: id, entriesRead: s.entriesRead, pel: new IdMap(), consumers: new Map() });
  x.r.ok();
  // Group changes are not key changes for WATCH (Redis signals only the stream MKSTREAM made).
  x.notifyArg(Notify.Stream, 'xgroup-create', 2);
}

function xgroupSetid(x: Exec): void {
  const s = xgroupStart(x, 'setid');
  if (s === null) return;
  if (x.argc !== 5 && x.argc !== 7) return subcommandError(x);
  const id = groupId(x, 4, s.v, false);
  if (id === null) return;
  s.g!.lastId = id;
  s.g!.entriesRead = s.entriesRead;
  x.r.ok();
  x.notifyArg(Notify.Stream, 'xgroup-setid', 2);
}

function xgroupDestroy(x: Exec): void {
  const s = xgroupStart(x, 'destroy');
  if (s === null) return;
  if (s.g === undefined) {
    x.r.int(0);
    x.propagateNothing();
    return;
  }
  groupsOf(x.ks.arena, s.v)!.delete(groupKey(s.g.name));
  x.r.int(1);
  x.notifyArg(Notify.Stream, 'xgroup-destroy', 2);
}

function xgroupCreateConsumer(x: Exec): void {
  const s = xgroupStart(x, 'createconsumer');
  if (s === null) return;
  if (s.g!.consumers.has(groupKey(x.arg(4)))) {
    x.r.int(0);
    x.propagateNothing();
    return;
  }
  createConsumer(x, s.g!, x.argCopy(4), 2);
  x.r.int(1);
}

function xgroupDelConsumer(x: Exec): void {
  const s = xgroupStart(x, 'delconsumer');
  if (s === null) return;
  const g = s.g!;
  const k = groupKey(x.arg(4));
  const c = g.consumers.get(k);
  if (c === undefined) {
    x.r.int(0);
    x.propagateNothing();
    return;
  }
  const pending = c.pel.size;
  for (let i = 0; i < c.pel.size; i++) g.pel.delete(c.pel.idAt(i));
  g.consumers.delete(k);
  x.r.int(pending);
  x.notifyArg(Notify.Stream, 'xgroup-delconsumer', 2);
}

// ---- XACK ---------------------------------------------------------------------------------------

function xack(x: Exec): void {
  const sg = streamGroup(x);
  if (sg === null) return;
  const g = sg.g;
  if (g === undefined) {
    x.r.int(0);
    x.propagateNothing();
    return;
  }
  const ids: StreamId[] = [];
  for (let i = 3; i < x.argc; i++) {
    const id = argId(x, i, 0n, true);
    if (id === null) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) {
    const e = g.pel.get(id);
    if (e === undefined) continue;
    g.pel.delete(id);
    e.consumer.pel.delete(id);
    acked++;
  }
  if (acked === 0) x.propagateNothing();
  x.r.int(acked);
}

// ---- XPENDING -------------------------------------------------------------------------------------

/**
 * The stream at argument 1 (its value word, 0 when missing) and its group
 * named by argument 2, undefined when either is missing; null after a
 * WRONGTYPE reply.
 */
function streamGroup(x: Exec): { v: number; g: Group | undefined } | null {
  const h = x.lookupTyped(1, ObjType.Stream, true);
  if (h < 0) return null;
  const v = h === 0 ? 0 : x.ks.valueWord(h);
  return { v, g: v === 0 ? undefined : groupsOf(x.ks.arena, v)?.get(groupKey(x.arg(2))) };
}

function noKeyOrGroup(x: Exec): string {
  return `NOGROUP No such key '${cstr(x.arg(1))}' or consumer group '${cstr(x.arg(2))}'`;
}

function xpending(x: Exec): void {
  const justInfo = x.argc === 3;
  if (x.argc !== 3 && (x.argc < 6 || x.argc > 9)) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  let start = 0n;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerArg = -1;
  if (x.argc >= 6) {
    let si = 3;
    if (x.argIs(3, 'idle')) {
      const n = x.argInt64(4);
      if (n === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      minIdle = Number(n);
      if (x.argc < 8) {
        x.r.error(ERR_SYNTAX);
        return;
      }
      si += 2;
    }
    const c = x.argInt64(si + 2);
    if (c === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
    count = c < 0 ? 0 : Number(c);
    const ex = { value: false };
    const s = argIntervalId(x, si, 0n, ex);
    if (s === null) return;
    start = s;
    if (ex.value) {
      if (start === ID_MAX) {
        x.r.error('ERR invalid start ID for the interval');
        return;
      }
      start++;
    }
    const e = argIntervalId(x, si + 1, (1n << 64n) - 1n, ex);
    if (e === null) return;
    end = e;
    if (ex.value) {
      if (end === 0n) {
        x.r.error('ERR invalid end ID for the interval');
        return;
      }
      end--;
    }
    if (si + 3 < x.argc) consumerArg = si + 3;
  }
  const sg = streamGroup(x);
  if (sg === null) return;
  const g = sg.g;
  if (g === undefined) {
    x.r.error(noKeyOrGroup(x));
    return;
  }
  const r = x.r;
  if (justInfo) {
    r.array(4);
    r.int(g.pel.size);
    if (g.pel.size === 0) {
      r.nullBulk();
      r.nullBulk();
      r.nullArray();
      return;
    }
    r.bulkString(formatId(g.pel.first()!));
    r.bulkString(formatId(g.pel.last()!));
    const cs = [...g.consumers.entries()].filter(([, c]) => c.pel.size > 0).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    r.array(cs.length);
    for (const [, c] of cs) {
      r.array(2);
      r.bulkBytes(c.name);
      r.bulkString(String(c.pel.size));
    }
    return;
  }
  let pel: IdMap<PendingEntry> = g.pel;
  if (consumerArg >= 0) {
    const c = g.consumers.get(groupKey(x.arg(consumerArg)));
    if (c === undefined) {
      r.array(0);
      return;
    }
    pel = c.pel;
  }
  const now = Math.floor(x.now);
  const out: PendingEntry[] = [];
  for (let i = pel.lowerBound(start); count > 0 && i < pel.size && pel.idAt(i) <= end; i++) {
    const e = pel.valueAt(i);
    if (minIdle !== 0 && now - e.deliveryTime < minIdle) continue;
    out.push(e);
    count--;
  }
  r.array(out.length);
  for (const e of out) {
    r.array(4);
    r.bulkString(formatId(e.id));
    r.bulkBytes(e.consumer.name);
    r.int(Math.max(0, now - e.deliveryTime));
    r.int(e.deliveryCount);
  }
}

// ---- XCLAIM / XAUTOCLAIM ------------------------------------------------------------------------------

/** Moves pending entry e to consumer c (streamClaim's common part). */
function giveTo(e: PendingEntry, c: Consumer): void {
  if (e.consumer !== c) {
    e.consumer.pel.delete(e.id);
    c.pel.set(e.id, e);
    e.consumer = c;
  }
}

function xclaim(x: Exec): void {
  const sg = streamGroup(x);
  if (sg === null) return;
  const a = x.ks.arena;
  const { v, g } = sg;
  if (g === undefined) {
    x.r.error(noKeyOrGroup(x));
    return;
  }
  let minIdle = x.argInt64(4);
  if (minIdle === null) {
    x.r.error('ERR Invalid min-idle-time argument for XCLAIM');
    return;
  }
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < x.argc; j++) {
    const id = parseStrict(x, j);
    if (id === null) break;
    ids.push(id);
  }
  const now = Math.floor(x.now);
  let retryCount = -1;
  let deliveryTime = -1;
  let force = false;
  let justId = false;
  let lastIdArg = 0n;
  for (; j < x.argc; j++) {
    const more = x.argc - 1 - j;
    if (x.argIs(j, 'force')) force = true;
    else if (x.argIs(j, 'justid')) justId = true;
    else if ((x.argIs(j, 'idle') || x.argIs(j, 'time') || x.argIs(j, 'retrycount')) && more > 0) {
      const what = x.argIs(j, 'idle') ? 'IDLE' : x.argIs(j, 'time') ? 'TIME' : 'RETRYCOUNT';
      j++;
      const n = x.argInt64(j);
      if (n === null) {
        x.r.error(`ERR Invalid ${what} option argument for XCLAIM`);
        return;
      }
      if (what === 'IDLE') deliveryTime = now - Number(n);
      else if (what === 'TIME') deliveryTime = Number(n);
      else retryCount = Number(n);
    } else if (x.argIs(j, 'lastid') && more > 0) {
      j++;
      const id = argId(x, j, 0n, true);
      if (id === null) return;
      lastIdArg = id;
    } else {
      x.r.error(`ERR Unrecognized XCLAIM option '${cstr(x.arg(j))}'`);
      return;
    }
  }
  let propagateLastId = false;
  if (lastIdArg > g.lastId) {
    g.lastId = lastIdArg;
    propagateLastId = true;
  }
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else deliveryTime = now;
  const key = x.arg(1);
  let consumer: Consumer | null = null;
  const claimed: Array<[StreamId, Uint8Array[] | null]> = [];
  let changed = false;
  for (const id of ids) {
    let e = g.pel.get(id);
    const fields = streamGet(a, v, id);
    if (fields === null) {
      if (e !== undefined) {
        propagateClaim(x, key, g, e);
        propagateLastId = false;
        g.pel.delete(id);
        e.consumer.pel.delete(id);
        changed = true;
      }
      continue;
    }
    let fresh = false;
    if (force && e === undefined) {
      fresh = true;
      e = { id, consumer: null as unknown as Consumer, deliveryTime: now, deliveryCount: 1 };
      g.pel.set(id, e);
    }
    if (e === undefined) continue;
    if (!fresh && minIdle !== 0 && now - e.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(x, g, x.arg(3), 1);
    if (fresh) {
      consumer.pel.set(id, e);
      e.consumer = consumer;
    } else giveTo(e, consumer);
    e.deliveryTime = deliveryTime;
    if (retryCount >= 0) e.deliveryCount = retryCount;
    else if (!justId) e.deliveryCount++;
    claimed.push([id, justId ? null : fields]);
    propagateClaim(x, key, g, e);
    propagateLastId = false;
    changed = true;
  }
  if (propagateLastId) {
    propagateGroupId(x, key, g);
    changed = true;
  }
  if (!changed) x.propagateNothing();
  x.r.array(claimed.length);
  for (const [id, f] of claimed) {
    if (f === null) x.r.bulkString(formatId(id));
    else replyEntry(x, id, f);
  }
}

/** A strict ID without replying (XCLAIM reads IDs until one does not parse). */
function parseStrict(x: Exec, i: number): StreamId | null {
  return parseIdBytes(x.u8, x.off[i], x.len[i], 0n, true, false);
}

function xautoclaim(x: Exec): void {
  let minIdle = x.argInt64(4);
  if (minIdle === null) {
    x.r.error('ERR Invalid min-idle-time argument for XAUTOCLAIM');
    return;
  }
  if (minIdle < 0) minIdle = 0;
  const ex = { value: false };
  let start = argIntervalId(x, 5, 0n, ex);
  if (start === null) return;
  if (ex.value) {
    if (start === ID_MAX) {
      x.r.error('ERR invalid start ID for the interval');
      return;
    }
    start++;
  }
  let count = 100;
  let justId = false;
  const maxCount = Math.floor(Number(2n ** 63n - 1n) / 16);
  for (let j = 6; j < x.argc; j++) {
    if (x.argIs(j, 'count') && j + 1 < x.argc) {
      const n = x.argInt64(j + 1);
      if (n === null || n < 1 || n > maxCount) {
        x.r.error('ERR COUNT must be > 0');
        return;
      }
      count = Number(n);
      j++;
    } else if (x.argIs(j, 'justid')) justId = true;
    else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  const sg = streamGroup(x);
  if (sg === null) return;
  const a = x.ks.arena;
  const { v, g } = sg;
  if (g === undefined) {
    x.r.error(noKeyOrGroup(x));
    return;
  }
  const key = x.arg(1);
  const now = Math.floor(x.now);
  let attempts = count * 10;
  let consumer: Consumer | null = null;
  const claimed: Array<[StreamId, Uint8Array[] | null]> = [];
  const deleted: StreamId[] = [];
  let pos = g.pel.lowerBound(start);
  while (attempts > 0 && count > 0 && pos < g.pel.size) {
    attempts--;
    const e = g.pel.valueAt(pos);
    const fields = streamGet(a, v, e.id);
    if (fields === null) {
      propagateClaim(x, key, g, e);
      g.pel.delete(e.id);
      e.consumer.pel.delete(e.id);
      deleted.push(e.id);
      count--;
      continue; // the next entry moved to `pos`
    }
    pos++;
    if (minIdle !== 0 && now - e.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(x, g, x.arg(3), 1);
    giveTo(e, consumer);
    e.deliveryTime = now;
    if (!justId) e.deliveryCount++;
    claimed.push([e.id, justId ? null : fields]);
    count--;
    propagateClaim(x, key, g, e);
  }
  if (claimed.length === 0 && deleted.length === 0) x.propagateNothing();
  const r = x.r;
  r.array(3);
  r.bulkString(formatId(pos < g.pel.size ? g.pel.idAt(pos) : 0n));
  r.array(claimed.length);
  for (const [id, f] of claimed) {
    if (f === null) r.bulkString(formatId(id));
    else replyEntry(x, id, f);
  }
  r.array(deleted.length);
  for (const id of deleted) r.bulkString(formatId(id));
}

export const groupHandlers: Record<string, ShardHandler> = {
  'xgroup|create': xgroupCreate,
  'xgroup|setid': xgroupSetid,
  'xgroup|destroy': xgroupDestroy,
  'xgroup|createconsumer': xgroupCreateConsumer,
  'xgroup|delconsumer': xgroupDelConsumer,
  xack,
  xpending,
  xclaim,
  xautoclaim,
};

