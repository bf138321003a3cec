/**
 * SORT / SORT_RO when their keys span shards: BY/GET patterns that name keys
 * of other shards (or whose shard cannot be known before the elements are
 * read), or a STORE destination on another shard. A multi-hop transaction
 * (scheduler/transaction.ts): under locks — the whole keyspace when patterns
 * name keys, since those keys are unknown up front — it reads the elements
 * on the key's shard ("sort-load"), looks the BY values up on their shards
 * ("sort-lookup", one frame per shard), sorts with sort-core (the same code
 * the shard handler runs), looks up the GET values of the output range, and
 * replies, or replaces the destination (DEL + RPUSH in the same transaction).
 */
import {
  ERR_SCORES,
  type PatternKey,
  type SortItem,
  SortKind,
  effective,
  fillKeys,
  hasStar,
  isHashPattern,
  keyPatterns,
  parseSortArgs,
  patternKey,
  patternPrefix,
  prefixHasTag,
  sortItems,
} from './sort-core.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { Across, CrossShard } from './across.js';
import { type LockPlan, type Tx, bytes } from '../scheduler/transaction.js';
import { sliceBytes } from '../util/bytes.js';

type ShardOf = (key: Uint8Array) => number;

const isReadonly = (args: Uint8Array[]): boolean => args[0].length === 7; // "sort_ro" vs "sort"

/**
 * Whether this SORT needs hops: a pattern names keys that are not provably
 * on the key's shard, or STORE names a key of another shard. A line with a
 * syntax error runs on the shard, which replies the error.
 */
function needsHops(args: Uint8Array[], shardOf: ShardOf): boolean {
  const o = parseSortArgs(args, isReadonly(args));
  if (typeof o === 'string') return false;
  const home = shardOf(args[1]);
  if (o.store !== null && shardOf(o.store) !== home) return true;
  for (const p of keyPatterns(o)) {
    // Keys of a pattern whose hash tag is fixed before the '*' all hash alike.
    const pre = patternPrefix(p);
    if (!prefixHasTag(pre) || shardOf(pre) !== home) return true;
  }
  return false;
}

/** The locks a SORT needs (its key spec cannot say: its keys depend on options and contents). */
function lockPlan(plan: LockPlan, db: number, args: Uint8Array[]): void {
  if (args.length < 2) return;
  plan.add(db, args[1]);
  const o = parseSortArgs(args, isReadonly(args));
  if (typeof o === 'string') return;
  if (o.store !== null) plan.add(db, o.store);
  if (keyPatterns(o).length > 0) plan.wide = true;
}

const sortAcross: Across = (job) => {
  const args = job.args;
  const o = parseSortArgs(args, isReadonly(args));
  if (typeof o === 'string') return Promise.resolve(errorReply(o));
  const resp3 = job.resp3;
  const plan = job.plan();
  lockPlan(plan, job.db, args);
  const shardOf = (k: Uint8Array) => job.hops.shardOf(k);
  const home = shardOf(args[1]);
  return job.locked(plan, async (tx) => {
    const loaded = await tx.call(home, 'sort-load', args.slice(1));
    if (loaded[0] === 45 /* - */) return loaded;
    const parts = parseReply(loaded);
    const kind = parts[0] as number as SortKind;
    const start = parts[1] as number;
    const end = parts[2] as number;
    const items: SortItem[] = [];
    for (let i = 3; i < parts.length; i++) items.push({ el: parts[i] as Uint8Array, score: 0, cmp: null });
    const eff = effective(o, kind);
    let ok = true;
    if (!eff.dontsort) {
      let by: (Uint8Array | null)[] | null = null;
      if (eff.by !== null) {
        const p = eff.by;
        by = await lookupMany(shardOf, tx, items.map((it) => patternKey(p, it.el)));
      }
      ok = fillKeys(items, eff, by);
      sortItems(items, eff, o.desc, o.store !== null);
    }
    if (!ok) return errorReply(ERR_SCORES);
    const out = end >= start ? items.slice(start, end + 1) : [];
    // Every GET lookup of the output in one round of frames.
    const keys: (PatternKey | null)[] = [];
    for (const it of out) for (const g of o.gets) keys.push(isHashPattern(g) || !hasStar(g) ? null : patternKey(g, it.el));
    const found = keys.some((k) => k !== null) ? await lookupMany(shardOf, tx, keys) : keys.map(() => null);
    const values: (Uint8Array | null)[] = [];
    let k = 0;
    for (const it of out) {
      if (o.gets.length === 0) values.push(it.el);
      for (const g of o.gets) {
        values.push(isHashPattern(g) ? it.el : found[k]);
        k++;
      }
    }
    if (o.store !== null) {
      const dest = o.store;
      const ds = shardOf(dest);
      await tx.call(ds, 'del', [dest]);
      // A missing GET value is stored as an empty string.
      if (values.length > 0) await tx.call(ds, 'rpush', [dest, ...values.map((v) => v ?? EMPTY)]);
      return bytes(`:${values.length}\r\n`);
    }
    const w = new ReplyWriter(256);
    w.resp3 = resp3;
    w.array(values.length);
    for (const v of values) {
      if (v === null) w.nullBulk();
      else w.bulk(v, 0, v.length);
    }
    return w.take();
  });
};

const EMPTY = new Uint8Array(0);

function errorReply(text: string): Uint8Array {
  return bytes(`-${text}\r\n`);
}

/** Pattern lookups on their shards (one frame per shard, in parallel); null stays nil. */
async function lookupMany(shardOf: ShardOf, tx: Tx, keys: (PatternKey | null)[]): Promise<(Uint8Array | null)[]> {
  const out: (Uint8Array | null)[] = new Array(keys.length).fill(null);
  const byShard = new Map<number, number[]>();
  keys.forEach((pk, i) => {
    if (pk === null) return;
    const s = shardOf(pk.key);
    let list = byShard.get(s);
    if (list === undefined) byShard.set(s, (list = []));
    list.push(i);
  });
  await Promise.all(
    [...byShard].map(async ([s, idx]) => {
      const args: Uint8Array[] = [];
      for (const i of idx) args.push(keys[i]!.key, keys[i]!.field ?? EMPTY);
      const vals = parseReply(await tx.call(s, 'sort-lookup', args));
      idx.forEach((i, j) => (out[i] = vals[j] as Uint8Array | null));
    }),
  );
  return out;
}

/** The items of a flat array reply of integers, bulks and nils (RESP2 or RESP3). */
function parseReply(r: Uint8Array): (number | Uint8Array | null)[] {
  const line = (from: number): [number, number] => {
    let e = from;
    while (r[e] !== 13) e++;
    return [Number(Buffer.from(r.subarray(from + 1, e)).toString('latin1')), e + 2];
  };
  let [n, p] = line(0);
  const out: (number | Uint8Array | null)[] = [];
  for (; n > 0; n--) {
    const t = r[p];
    if (t === 95 /* _ */) {
      out.push(null);
      p += 3;
      continue;
    }
    const [v, next] = line(p);
    if (t === 58 /* : */) {
      out.push(v);
      p = next;
    } else if (v < 0) {
      out.push(null);
      p = next;
    } else {
      out.push(sliceBytes(r, next, v));
      p = next + v + 2;
    }
  }
  return out;
}

const sort: CrossShard = { kind: 'hops', run: sortAcross, hidden: { needed: needsHops, lock: lockPlan } };

export const sortAcrossTable: Record<string, CrossShard> = { sort, sort_ro: sort };
