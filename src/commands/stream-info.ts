/**
 * XINFO STREAM [FULL [COUNT n]], XINFO GROUPS and XINFO CONSUMERS, field
 * for field as Redis 7.0 answers them (maps in RESP3). `radix-tree-nodes`
 * is counted from the nodes' keys as Redis's rax would hold them (Shoal
 * indexes nodes with a sorted array: docs/types/streams.md).
 */
import { ERR_NOT_INT, type Exec } from '../shard/exec.js';
import { ObjType } from '../shard/keyspace.js';
import { ID_MAX, countersOf, entriesAdded, firstIdField, formatId, lastId, maxDeletedId, nodeCount, nodeMaster, streamLength, streamRange } from '../types/stream.js';
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

/**
 * The nodes of a radix tree (Redis's rax) holding these 16-byte keys in
 * their compressed form: a run of bytes shared by every key below a point
 * is one compressed node, a point where keys part is one branching node,
 * and each key ends in a leaf. This is what Redis's rax holds after its
 * inserts and removals (which re-compress), so XINFO's radix-tree-nodes
 * can be Redis's without a tree.
 */
function raxNodes(keys: Uint8Array[]): number {
  if (keys.length === 0) return 1; // the empty root
  const count = (lo: number, hi: number, depth: number): number => {
    if (hi - lo === 1) return depth < 16 ? 2 : 1;
    // The bytes all keys of [lo, hi) share from `depth` on (sorted: compare the first and the last).
    let l = depth;
    while (keys[lo][l] === keys[hi - 1][l]) l++;
    let nodes = l > depth ? 2 : 1; // a compressed node for the shared run, then the branching node
    for (let i = lo; i < hi; ) {
      let j = i + 1;
      while (j < hi && keys[j][l] === keys[i][l]) j++;
      nodes += count(i, j, l + 1);
      i = j;
    }
    return nodes;
  };
  return count(0, keys.length, 0);
}

function masterKeys(x: Exec, v: number): Uint8Array[] {
  const a = x.ks.arena;
  const n = nodeCount(a, v);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = nodeMaster(a, v, i);
    const b = new Uint8Array(16);
    for (let k = 0; k < 16; k++) b[k] = Number((id >> BigInt(8 * (15 - k))) & 0xffn);
    out.push(b);
  }
  return out;
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
  r.int(raxNodes(masterKeys(x, v)));
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

