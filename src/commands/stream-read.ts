/**
 * XREAD and XREADGROUP, as Redis 7.0's xreadCommand: every stream is
 * checked (type, group) before any is served; each stream with something
 * to give answers [key, entries]; with nothing anywhere, BLOCK parks the
 * client on its streams (shard/blocking.ts) until a write makes one ready.
 *
 * A parked command is run again when one of its keys is written, so the
 * frame it parks with carries the IDs as they were resolved when it
 * blocked (`$` becomes the stream's last ID then), as Redis keeps them; `>`
 * stays `>`, which means the group's last ID at serving time.
 */
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { ObjType } from '../shard/keyspace.js';
import { TimeoutReply } from '../shard/blocking.js';
import type { Arena } from 'native-free-arena';
import { ID_MAX, type StreamId, countersOf, formatId, lastId, streamGet, streamLength, streamRange } from '../types/stream.js';
import { type Consumer, type Group, type PendingEntry, groupKey, groupsOf } from '../types/stream-groups.js';
import { INVALID_ENTRIES_READ, estimateEntriesRead, rangeHasTombstones } from '../types/stream-lag.js';
import { parseIdBytes, ERR_INVALID_ID } from './stream-args.js';
import { replyEntry } from './stream-replies.js';
import { consumerFor, propagateClaim, propagateGroupId } from './stream-group-cmds.js';
import { cstr } from './stream-info.js';

const GROUP_ID = ID_MAX; // `>`

export const ERR_DOLLAR =
  'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.';

interface ReadArgs {
  timeout: number; // -1: no BLOCK
  count: number;
  noack: boolean;
  groupArg: number;
  streamsArg: number;
  n: number;
}

/** Parses the options; null after replying. */
function parseRead(x: Exec, group: boolean): ReadArgs | null {
  const a: ReadArgs = { timeout: -1, count: 0, noack: false, groupArg: -1, streamsArg: 0, n: 0 };
  for (let i = 1; i < x.argc; i++) {
    const more = x.argc - i - 1;
    if (x.argIs(i, 'block') && more > 0) {
      if (x.inScript) {
        x.r.error(`ERR ${cstr(x.arg(0))} command is not allowed with BLOCK option from scripts`);
        return null;
      }
      i++;
      const t = x.argInt64(i);
      if (t === null) {
        x.r.error('ERR timeout is not an integer or out of range');
        return null;
      }
      if (t < 0) {
        x.r.error('ERR timeout is negative');
        return null;
      }
      if (t > 0 && BigInt(t) > 2n ** 63n - 1n - BigInt(Math.floor(x.now))) {
        x.r.error('ERR timeout is out of range');
        return null;
      }
      a.timeout = Number(t);
    } else if (x.argIs(i, 'count') && more > 0) {
      i++;
      const c = x.argInt64(i);
      if (c === null) {
        x.r.error(ERR_NOT_INT);
        return null;
      }
      a.count = c < 0 ? 0 : Number(c);
    } else if (x.argIs(i, 'streams') && more > 0) {
      a.streamsArg = i + 1;
      const n = x.argc - a.streamsArg;
      if (n % 2 !== 0) {
        x.r.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
        return null;
      }
      a.n = n / 2;
      break;
    } else if (x.argIs(i, 'group') && more >= 2) {
      if (!group) {
        x.r.error('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
        return null;
      }
      a.groupArg = i + 1;
      i += 2;
    } else if (x.argIs(i, 'noack')) {
      if (!group) {
        x.r.error('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
        return null;
      }
      a.noack = true;
    } else {
      x.r.error(ERR_SYNTAX);
      return null;
    }
  }
  if (a.streamsArg === 0) {
    x.r.error(ERR_SYNTAX);
    return null;
  }
  if (group && a.groupArg < 0) {
    x.r.error('ERR Missing GROUP option for XREADGROUP');
    return null;
  }
  return a;
}

const isOne = (x: Exec, i: number, c: number): boolean => x.len[i] === 1 && x.u8[x.off[i]] === c;

function xreadGeneric(x: Exec, group: boolean): void {
  const a = parseRead(x, group);
  if (a === null) return;
  // A blocked reader served without COUNT gets at most this many (XREAD_BLOCKED_DEFAULT_COUNT).
  if (x.retrying && a.count === 0) a.count = 1000;
  const ar = x.ks.arena;
  const ids: StreamId[] = [];
  const groups: Group[] = [];
  const resolved: (string | null)[] = [];
  const retrying = x.retrying;
  for (let k = 0; k < a.n; k++) {
    const ki = a.streamsArg + k;
    const ii = ki + a.n;
    const h = x.lookup(ki, !group);
    if (h !== 0 && x.ks.type(h) !== ObjType.Stream) {
      // A waiter whose key now holds another type keeps waiting, as Redis leaves it.
      if (retrying) return keepWaiting(x, a);
      x.r.error('WRONGTYPE Operation against a key holding the wrong kind of value');
      return;
    }
    if (group) {
      const g = h === 0 ? undefined : groupsOf(ar, x.ks.valueWord(h))?.get(groupKey(x.arg(a.groupArg)));
      if (g === undefined) {
        if (retrying) {
          if (h === 0) return keepWaiting(x, a);
          if (!x.claim()) {
            x.dropped = true;
            return;
          }
          x.r.error('NOGROUP the consumer group this client was blocked on no longer exists');
          return;
        }
        x.r.error(`NOGROUP No such key '${cstr(x.arg(ki))}' or consumer group '${cstr(x.arg(a.groupArg))}' in XREADGROUP with GROUP option`);
        return;
      }
      groups.push(g);
    }
    if (isOne(x, ii, 36)) {
      if (group) {
        x.r.error(ERR_DOLLAR);
        return;
      }
      const id = h === 0 ? 0n : lastId(ar, x.ks.valueWord(h));
      ids.push(id);
      resolved.push(formatId(id));
      continue;
    }
    if (isOne(x, ii, 62)) {
      if (!group) {
        x.r.error('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
        return;
      }
      ids.push(GROUP_ID);
      resolved.push(null);
      continue;
    }
    const id = parseIdBytes(x.u8, x.off[ii], x.len[ii], 0n, true, false);
    if (id === null) {
      x.r.error(ERR_INVALID_ID);
      return;
    }
    ids.push(id);
    resolved.push(null);
  }

  // Each stream in turn, as Redis does (a stream named twice sees what the first read changed). A
  // registration on several shards must win its claim before it changes anything.
  const served: Array<() => void> = [];
  for (let k = 0; k < a.n; k++) {
    const ki = a.streamsArg + k;
    const h = x.ks.lookup(x.db, x.u8, x.off[ki], x.len[ki], x.now);
    if (h === 0) continue;
    const v = x.ks.valueWord(h);
    const gt = ids[k];
    let start: StreamId | null = null;
    let history = false;
    const g = group ? groups[k] : null;
    if (g !== null) {
      if (gt !== GROUP_ID) {
        start = gt + 1n;
        history = true;
      } else if (hasAfter(ar, v, g.lastId)) start = g.lastId + 1n;
    } else if (hasAfter(ar, v, gt)) start = gt + 1n;
    if (start === null) continue;
    if (served.length === 0 && !x.claim()) {
      x.dropped = true;
      return;
    }
    if (g === null) served.push(serveRead(x, ki, v, start, a.count));
    // The consumer is looked up (and made) only when there is something to serve, as 7.0 does.
    // The consumer it makes is propagated only with NOACK: otherwise the XCLAIMs that follow make it (Redis 7.0).
    else served.push(serveGroup(x, ki, v, start, a, g, consumerFor(x, g, x.arg(a.groupArg + 1), ki, a.noack), history));
  }
  if (group) x.propagateNothing();
  if (served.length > 0) {
    if (x.resp3) x.r.map(served.length);
    else x.r.array(served.length);
    for (const s of served) s();
    return;
  }
  if (a.timeout === -1 || !x.mayBlock) {
    x.r.nullArray();
    return;
  }
  park(x, a, resolved);
}

/** Whether the stream has a live entry after `id` (Redis compares its last valid ID). */
function hasAfter(ar: Arena, v: number, id: StreamId): boolean {
  return id !== ID_MAX && streamLength(ar, v) > 0 && lastId(ar, v) > id && streamRange(ar, v, id + 1n, ID_MAX, false, 1, NOOP, false) > 0;
}

const NOOP = (): void => {};

/** A parked command run again finds nothing to serve (or a key it cannot use yet): it goes on waiting. */
function keepWaiting(x: Exec, a: ReadArgs): void {
  x.block(keyArgs(a), a.timeout, TimeoutReply.NullArray);
}

function keyArgs(a: ReadArgs): number[] {
  const out: number[] = [];
  for (let k = 0; k < a.n; k++) out.push(a.streamsArg + k);
  return out;
}

/** Blocks on the streams with `$` replaced by the IDs it stood for (the frame that parks is rebuilt from these arguments). */
function park(x: Exec, a: ReadArgs, resolved: (string | null)[]): void {
  if (resolved.some((r) => r !== null)) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < x.argc; i++) {
      const k = i - a.streamsArg - a.n;
      const r = k >= 0 ? resolved[k] : null;
      parts.push(r !== null && r !== undefined ? Buffer.from(r, 'latin1') : x.arg(i));
    }
    let total = 0;
    for (const p of parts) total += p.length;
    const u8 = new Uint8Array(total);
    const off = new Int32Array(parts.length);
    const len = new Int32Array(parts.length);
    let o = 0;
    parts.forEach((p, i) => {
      u8.set(p, o);
      off[i] = o;
      len[i] = p.length;
      o += p.length;
    });
    x.u8 = u8;
    x.off = off;
    x.len = len;
  }
  x.block(keyArgs(a), a.timeout, TimeoutReply.NullArray);
}

/** XREAD's part for one stream: [key, entries after gt]. */
function serveRead(x: Exec, ki: number, v: number, start: StreamId, count: number): () => void {
  const key = x.argCopy(ki);
  const ids: StreamId[] = [];
  const fields: Uint8Array[][] = [];
  streamRange(x.ks.arena, v, start, ID_MAX, false, count, (id, f) => {
    ids.push(id);
    fields.push(f);
  });
  return () => {
    if (!x.resp3) x.r.array(2);
    x.r.bulkBytes(key);
    x.r.array(ids.length);
    for (let i = 0; i < ids.length; i++) replyEntry(x, ids[i], fields[i]);
  };
}

// Entries are replied as views of the arena: nothing changes the stream's blocks between reading and
// replying (a group's state lives beside the arena).

/**
 * XREADGROUP's part for one stream (streamReplyWithRange with a group):
 * new entries move the group's last ID and entries-read and join the
 * PELs (unless NOACK); history comes from the consumer's own PEL.
 */
function serveGroup(x: Exec, ki: number, v: number, start: StreamId, a: ReadArgs, g: Group, c: Consumer, history: boolean): () => void {
  const ar = x.ks.arena;
  const key = x.argCopy(ki);
  const ids: StreamId[] = [];
  const fields: Array<Uint8Array[] | null> = [];
  const now = Math.floor(x.now);
  if (history) {
    for (let i = c.pel.lowerBound(start); i < c.pel.size && (a.count === 0 || ids.length < a.count); i++) {
      const e: PendingEntry = c.pel.valueAt(i);
      const f = streamGet(ar, v, e.id);
      ids.push(e.id);
      fields.push(f);
      if (f !== null) {
        e.deliveryTime = now;
        e.deliveryCount++;
      }
    }
  } else {
    let moved = false;
    streamRange(ar, v, start, ID_MAX, false, a.count, (id, f) => {
      ids.push(id);
      fields.push(f);
      return true;
    });
    const counters = countersOf(ar, v);
    for (const id of ids) {
      if (id > g.lastId) {
        if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(counters, id, ID_MAX)) g.entriesRead++;
        else if (counters.entriesAdded !== 0n) g.entriesRead = estimateEntriesRead(counters, id);
        g.lastId = id;
        moved = true;
      }
      if (!a.noack) {
        let e = g.pel.get(id);
        if (e === undefined) {
          e = { id, consumer: c, deliveryTime: now, deliveryCount: 1 };
          g.pel.set(id, e);
          c.pel.set(id, e);
        } else {
          e.consumer.pel.delete(id);
          e.consumer = c;
          e.deliveryTime = now;
          e.deliveryCount = 1;
          c.pel.set(id, e);
        }
        propagateClaim(x, key, g, e);
        moved = false; // the XCLAIM's LASTID carries the group's last ID
      }
    }
    if (moved) propagateGroupId(x, key, g);
  }
  return () => {
    if (!x.resp3) x.r.array(2);
    x.r.bulkBytes(key);
    x.r.array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const f = fields[i];
      if (f !== null) replyEntry(x, ids[i], f);
      else {
        x.r.array(2);
        x.r.bulkString(formatId(ids[i]));
        x.r.nullArray();
      }
    }
  };
}

export const readHandlers = {
  xread: (x: Exec) => xreadGeneric(x, false),
  xreadgroup: (x: Exec) => xreadGeneric(x, true),
};
