/**
 * XINFO STREAM [FULL [COUNT n]], XINFO GROUPS and XINFO CONSUMERS, field
 * for field as Redis 7.0 answers them (maps in RESP3). `radix-tree-nodes`
 * is an estimate: Shoal indexes nodes with a sorted array, not a radix
 * tree (docs/types/streams.md).
 */
import { ERR_NOT_INT, type Exec } from '../shard/exec.js';
import { ObjType } from '../shard/keyspace.js';
import { ID_MAX, countersOf, entriesAdded, firstIdField, formatId, lastId, maxDeletedId, nodeCount, streamLength, streamRange } from '../types/stream.js';
import { groupKey, groupsOf, sortedConsumers, sortedGroups, type Group } from '../types/stream-groups.js';
import { groupLag, INVALID_ENTRIES_READ } from '../types/stream-lag.js';
import { replyEntry, replyRange } from './stream-replies.js';

/** The stream of key argument 2, or null after replying (no such key, WRONGTYPE). */
function infoStream(x: Exec): number | null {
  const h = x.lookupTyped(2, ObjType.Stream);
  if (h < 0) return null;
  if (h === 0) {
    x.r.error('ERR no such key');
    return null;
  }
  return x.ks.valueWord(h);
}

/** Redis's rax node count is its own; this is the count of a rax holding these keys with no shared prefixes beyond the first. */
function raxNodes(keys: number): number {
  return keys === 0 ? 1 : keys + 1;
}

function replyLag(x: Exec, v: number, g: Group): void {
  const lag = groupLag(countersOf(x.ks.arena, v), g.lastId, g.entriesRead);
  if (lag === null) x.r.nullBulk();
  else x.r.int(lag);
}

function replyEntriesRead(x: Exec, g: Group): void {
  if (g.entriesRead === INVALID_ENTRIES_READ) x.r.nullBulk();
  else x.r.int(g.entriesRead);
}

function xinfoStream(x: Exec): void {
  const v = infoStream(x);
  if (v === null) return;
  // XINFO STREAM key [FULL [COUNT n]]: any other shape is the subcommand error.
  const full = x.argc > 3;
  let count = 10;
  const shaped = x.argc === 3 || (x.argc === 4 && x.argIs(3, 'full')) || (x.argc === 6 && x.argIs(3, 'full') && x.argIs(4, 'count'));
  if (!shaped) {
    x.r.error(`ERR unknown subcommand or wrong number of arguments for '${cstr(x.arg(1)).slice(0, 128)}'. Try XINFO HELP.`);
    return;
  }
  if (x.argc === 6) {
    const n = x.argInt64(5);
    if (n === null) {
      x.r.error(ERR_NOT_INT);
      return;
    }
    count = n < 0 ? 10 : Number(n);
  }
  const a = x.ks.arena;
  const r = x.r;
  const groups = groupsOf(a, v);
  r.map(full ? 9 : 10);
  r.bulkString('length');
  r.int(streamLength(a, v));
  r.bulkString('radix-tree-keys');
  r.int(nodeCount(a, v));
  r.bulkString('radix-tree-nodes');
  r.int(raxNodes(nodeCount(a, v)));
  r.bulkString('last-generated-id');
  r.bulkString(formatId(lastId(a, v)));
  r.bulkString('max-deleted-entry-id');
  r.bulkString(formatId(maxDeletedId(a, v)));
  r.bulkString('entries-added');
  r.int(entriesAdded(a, v));
  r.bulkString('recorded-first-entry-id');
  r.bulkString(formatId(firstIdField(a, v)));
  if (!full) {
    r.bulkString('groups');
    r.int(groups?.size ?? 0);
    for (const [name, first] of [['first-entry', true], ['last-entry', false]] as const) {
      r.bulkString(name);
      let found = false;
      streamRange(a, v, 0n, ID_MAX, !first, 1, (id, f) => {
        replyEntry(x, id, f);
        found = true;
      });
      if (!found) r.nullBulk();
    }
    return;
  }
  r.bulkString('entries');
  replyRange(x, v, 0n, ID_MAX, false, count);
  r.bulkString('groups');
  const list = sortedGroups(groups);
  r.array(list.length);
  for (const g of list) {
    r.map(7);
    r.bulkString('name');
    r.bulkBytes(g.name);
    r.bulkString('last-delivered-id');
    r.bulkString(formatId(g.lastId));
    r.bulkString('entries-read');
    replyEntriesRead(x, g);
    r.bulkString('lag');
    replyLag(x, v, g);
    r.bulkString('pel-count');
    r.int(g.pel.size);
    r.bulkString('pending');
    const np = count === 0 ? g.pel.size : Math.min(count, g.pel.size);
    r.array(np);
    for (let i = 0; i < np; i++) {
      const e = g.pel.valueAt(i);
      r.array(4);
      r.bulkString(formatId(e.id));
      r.bulkBytes(e.consumer.name);
      r.int(e.deliveryTime);
      r.int(e.deliveryCount);
    }
    r.bulkString('consumers');
    const cs = sortedConsumers(g);
    r.array(cs.length);
    for (const c of cs) {
      r.map(4);
      r.bulkString('name');
      r.bulkBytes(c.name);
      r.bulkString('seen-time');
      r.int(c.seenTime);
      r.bulkString('pel-count');
      r.int(c.pel.size);
      r.bulkString('pending');
      const nc = count === 0 ? c.pel.size : Math.min(count, c.pel.size);
      r.array(nc);
      for (let i = 0; i < nc; i++) {
        const e = c.pel.valueAt(i);
        r.array(3);
        r.bulkString(formatId(e.id));
        r.int(e.deliveryTime);
        r.int(e.deliveryCount);
      }
    }
  }
}

function xinfoGroups(x: Exec): void {
  const v = infoStream(x);
  if (v === null) return;
  const r = x.r;
  const list = sortedGroups(groupsOf(x.ks.arena, v));
  r.array(list.length);
  for (const g of list) {
    r.map(6);
    r.bulkString('name');
    r.bulkBytes(g.name);
    r.bulkString('consumers');
    r.int(g.consumers.size);
    r.bulkString('pending');
    r.int(g.pel.size);
    r.bulkString('last-delivered-id');
    r.bulkString(formatId(g.lastId));
    r.bulkString('entries-read');
    replyEntriesRead(x, g);
    r.bulkString('lag');
    replyLag(x, v, g);
  }
}

/** NOGROUP as Redis words it for key argument k and group argument g. */
export function noGroup(x: Exec, g: number, k: number): string {
  return `NOGROUP No such consumer group '${cstr(x.arg(g))}' for key name '${cstr(x.arg(k))}'`;
}

/** Bytes as Redis's %s prints them: up to the first NUL. */
export function cstr(b: Uint8Array): string {
  const z = b.indexOf(0);
  return Buffer.from(z < 0 ? b : b.subarray(0, z)).toString('latin1');
}

function xinfoConsumers(x: Exec): void {
  const v = infoStream(x);
  if (v === null) return;
  const g = groupsOf(x.ks.arena, v)?.get(groupKey(x.arg(3)));
  if (g === undefined) {
    x.r.error(noGroup(x, 3, 2));
    return;
  }
  const r = x.r;
  const cs = sortedConsumers(g);
  r.array(cs.length);
  for (const c of cs) {
    r.map(3);
    r.bulkString('name');
    r.bulkBytes(c.name);
    r.bulkString('pending');
    r.int(c.pel.size);
    r.bulkString('idle');
    r.int(Math.max(0, Math.floor(x.now) - c.seenTime));
  }
}

export const infoHandlers = {
  'xinfo|stream': xinfoStream,
  'xinfo|groups': xinfoGroups,
  'xinfo|consumers': xinfoConsumers,
};

