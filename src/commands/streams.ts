/**
 * The stream family. Handlers run on the shard that owns the key; replies,
 * errors and their order follow Redis 7.0's t_stream.c. Entries live in
 * the arena (types/stream.ts); consumer groups beside them
 * (types/stream-groups.ts, commands in stream-groups-cmds.ts).
 */
import type { ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { Enc, ObjType } from '../shard/keyspace.js';
import { Notify } from '../util/keyspace-events.js';
import { Tunable } from '../config/tunables.js';
import {
  ID_MAX, type StreamId, Trim, U64_MAX, edgeId, firstIdField, formatId, lastId, maxDeletedId,
  nodeCount, refreshFirstId, setEntriesAdded, setLastId, setMaxDeletedId, streamAppend, streamCreate, streamDelete, streamLength,
  streamTrim,
} from '../types/stream.js';
import { type AddTrimArgs, argId, argIntervalId, parseAddTrim } from './stream-args.js';
import { nodeLimits, replyRange } from './stream-replies.js';
import { infoHandlers } from './stream-info.js';
import { groupHandlers } from './stream-group-cmds.js';
import { readHandlers } from './stream-read.js';

// ---- XADD ------------------------------------------------------------------------------------

function xadd(x: Exec): void {
  const t = x.shard.tunables;
  const args = parseAddTrim(x, true, t[Tunable.StreamNodeMaxEntries], false);
  if (args === null) return;
  const fieldPos = args.idIdx + 1;
  const nargs = x.argc - fieldPos;
  if (nargs < 2 || nargs % 2 === 1) {
    x.r.error(`ERR wrong number of arguments for 'xadd' command`);
    return;
  }
  if (args.idGiven && args.seqGiven && args.id === 0n) {
    x.r.error('ERR The ID specified in XADD must be greater than 0-0');
    return;
  }
  let h = x.lookupTyped(1, ObjType.Stream);
  if (h < 0) return;
  if (h === 0) {
    if (args.noMkStream) {
      x.r.nullBulk();
      x.propagateNothing();
      return;
    }
    h = x.ks.insertNew(x.db, x.u8, x.off[1], x.len[1], 0, ObjType.Stream, Enc.Stream, x.lru);
    x.ks.setValueWord(h, streamCreate(x.ks.arena));
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const last = lastId(a, v);
  if (last === ID_MAX) {
    x.r.error('ERR The stream has exhausted the last possible ID, unable to add more items');
    return;
  }
  let id: StreamId;
  if (args.idGiven) {
    if (args.seqGiven) id = args.id;
    else if (last >> 64n === args.id >> 64n) {
      if ((last & U64_MAX) === U64_MAX) {
        x.r.error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
        return;
      }
      id = last + 1n;
    } else id = args.id;
  } else {
    const ms = BigInt(Math.floor(x.now));
    id = ms > last >> 64n ? ms << 64n : last + 1n;
  }
  if (id <= last) {
    x.r.error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    return;
  }
  let total = 0;
  for (let k = fieldPos; k < x.argc; k++) total += x.len[k];
  if (total > 1 << 30) {
    x.r.error('ERR Elements are too large to be stored');
    return;
  }
  streamAppend(a, v, id, x.u8, x.off, x.len, fieldPos, nargs / 2, nodeLimits(x));
  const idStr = formatId(id);
  x.r.bulkString(idStr);
  x.collectionChanged(h, Notify.Stream, 'xadd', false);
  if (args.strategy !== 0 && streamTrim(a, v, args.strategy, args.maxlen, args.minid, args.approx, args.limit) > 0) x.notify(Notify.Stream, 'xtrim', x.arg(1));
  if (x.propagating && (args.approx || !args.idGiven || !args.seqGiven)) {
    x.propagate(...propagatedArgs(x, v, args, idStr));
  }
}

/**
 * The command as Redis propagates an XADD or XTRIM: the generated ID in
 * place of `*` or `<ms>-*`, and an approximate trim made exact (`=` and the
 * length or first ID it left). LIMIT is left out: Redis keeps it, but an
 * exact trim refuses it when replayed here (docs/compatibility.md).
 */
function propagatedArgs(x: Exec, v: number, args: AddTrimArgs, idStr: string | null): (Uint8Array | string)[] {
  const out: (Uint8Array | string)[] = [];
  const a = x.ks.arena;
  for (let i = 0; i < x.argc; i++) {
    if (args.approx && i === args.thresholdIdx - 1) out.push('=');
    else if (args.approx && i === args.thresholdIdx) {
      if (args.strategy === Trim.MaxLen) out.push(String(streamLength(a, v)));
      else out.push(formatId(nodeCount(a, v) === 0 ? ID_MAX : (edgeId(a, v, true, true) ?? ID_MAX)));
    } else if (args.approx && x.argIs(i, 'limit') && i < args.idIdx && i + 1 < x.argc) i++;
    else if (idStr !== null && i === args.idIdx) out.push(idStr);
    else out.push(x.argCopy(i));
  }
  return out;
}

// ---- reading ---------------------------------------------------------------------------------

function xlen(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Stream);
  if (h < 0) return;
  x.r.int(h === 0 ? 0 : streamLength(x.ks.arena, x.ks.valueWord(h)));
}

function xrangeGeneric(x: Exec, rev: boolean): void {
  const ex = { value: false };
  const start = argIntervalId(x, rev ? 3 : 2, 0n, ex);
  if (start === null) return;
  let s = start;
  if (ex.value) {
    if (s === ID_MAX) {
      x.r.error('ERR invalid start ID for the interval');
      return;
    }
    s++;
  }
  const end = argIntervalId(x, rev ? 2 : 3, U64_MAX, ex);
  if (end === null) return;
  let e = end;
  if (ex.value) {
    if (e === 0n) {
      x.r.error('ERR invalid end ID for the interval');
      return;
    }
    e--;
  }
  let count = -1;
  for (let j = 4; j < x.argc; j++) {
    if (x.argIs(j, 'count') && j + 1 < x.argc) {
      const n = x.argInt64(j + 1);
      if (n === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      count = n < 0 ? 0 : Number(n);
      j++;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  const h = x.lookupTyped(1, ObjType.Stream);
  if (h < 0) return;
  if (h === 0) {
    x.r.array(0);
    return;
  }
  if (count === 0) {
    x.r.nullArray();
    return;
  }
  replyRange(x, x.ks.valueWord(h), s, e, rev, count === -1 ? 0 : count);
}

// ---- deleting --------------------------------------------------------------------------------

function xdel(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.Stream);
  if (h < 0) return;
  if (h === 0) {
    x.r.int(0);
    x.propagateNothing();
    return;
  }
  // Every ID is checked before any is deleted.
  const ids: StreamId[] = [];
  for (let i = 2; i < x.argc; i++) {
    const id = argId(x, i, 0n, true);
    if (id === null) return;
    ids.push(id);
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  let deleted = 0;
  let firstGone = false;
  for (const id of ids) {
    if (!streamDelete(a, v, id)) continue;
    if (id === firstIdField(a, v)) firstGone = true;
    if (id > maxDeletedId(a, v)) setMaxDeletedId(a, v, id);
    deleted++;
  }
  if (deleted > 0) {
    if (streamLength(a, v) === 0 || firstGone) refreshFirstId(a, v);
    x.collectionChanged(h, Notify.Stream, 'xdel', false);
  } else x.propagateNothing();
  x.r.int(deleted);
}

function xtrim(x: Exec): void {
  const args = parseAddTrim(x, false, x.shard.tunables[Tunable.StreamNodeMaxEntries], false);
  if (args === null) return;
  const h = x.lookupTyped(1, ObjType.Stream);
  if (h < 0) return;
  if (h === 0) {
    x.r.int(0);
    x.propagateNothing();
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const deleted = streamTrim(a, v, args.strategy as Trim, args.maxlen, args.minid, args.approx, args.limit);
  if (deleted > 0) {
    x.collectionChanged(h, Notify.Stream, 'xtrim', false);
    if (args.approx && x.propagating) x.propagate(...propagatedArgs(x, v, args, null));
  } else x.propagateNothing();
  x.r.int(deleted);
}

function xsetid(x: Exec): void {
  const id = argId(x, 2, 0n, true);
  if (id === null) return;
  let added = -1n;
  let maxDel = 0n;
  for (let i = 3; i < x.argc; ) {
    const more = x.argc - 1 - i;
    if (x.argIs(i, 'entriesadded') && more > 0) {
      const n = x.argInt64(i + 1);
      if (n === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      if (n < 0) {
        x.r.error('ERR entries_added must be positive');
        return;
      }
      added = BigInt(n);
      i += 2;
    } else if (x.argIs(i, 'maxdeletedid') && more > 0) {
      const m = argId(x, i + 1, 0n, true);
      if (m === null) return;
      if (id < m) {
        x.r.error('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
        return;
      }
      maxDel = m;
      i += 2;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }
  const h = x.lookupTyped(1, ObjType.Stream);
  if (h < 0) return;
  if (h === 0) {
    x.r.error('ERR no such key');
    return;
  }
  const a = x.ks.arena;
  const v = x.ks.valueWord(h);
  const len = streamLength(a, v);
  if (len > 0) {
    const top = edgeId(a, v, false) ?? 0n;
    if (id < top) {
      x.r.error('ERR The ID specified in XSETID is smaller than the target stream top item');
      return;
    }
    if (added !== -1n && BigInt(len) > added) {
      x.r.error('ERR The entries_added specified in XSETID is smaller than the target stream length');
      return;
    }
  }
  setLastId(a, v, id);
  if (added !== -1n) setEntriesAdded(a, v, added);
  if (maxDel !== 0n) setMaxDeletedId(a, v, maxDel);
  x.r.ok();
  x.collectionChanged(h, Notify.Stream, 'xsetid', false);
}


export const streamHandlers: Record<string, ShardHandler> = {
  xadd,
  xdel,
  xlen,
  xrange: (x) => xrangeGeneric(x, false),
  xrevrange: (x) => xrangeGeneric(x, true),
  xsetid,
  xtrim,
  ...infoHandlers,
  ...groupHandlers,
  ...readHandlers,
};
