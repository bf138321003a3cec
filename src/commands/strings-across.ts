/**
 * The strings family across shards: MGET and MSET split by shard, MSETNX
 * (check every key, then set all or none) and LCS (read one value, compute
 * on the other key's shard) as hops.
 */
import type { Across, ArgsCheck, CrossShard } from './across.js';
import { mergeAllOk } from './mergers.js';
import { bulkOrNull, bytes } from '../scheduler/transaction.js';

const ONE = bytes(':1\r\n');
const ZERO = bytes(':0\r\n');

/** MSET and MSETNX take key/value pairs; Redis's error for an odd count is its arity error. */
function pairsCheck(name: string): ArgsCheck {
  return (args) => (args.argc % 2 === 0 ? `ERR wrong number of arguments for '${name}' command` : null);
}

/** MSETNX over several shards: check every key, then set them all or none. */
const msetnxAcross: Across = (job) => {
  const plan = job.plan();
  const byShard = new Map<number, Uint8Array[]>();
  const args = job.args;
  for (let i = 1; i + 1 < args.length; i += 2) {
    plan.add(job.db, args[i]);
    const s = job.hops.shardOf(args[i]);
    let list = byShard.get(s);
    if (list === undefined) byShard.set(s, (list = []));
    list.push(args[i], args[i + 1]);
  }
  return job.locked(plan, async (tx) => {
    const checks = [...byShard].map(([s, kv]) => tx.call(s, 'exists', kv.filter((_, i) => i % 2 === 0)));
    for (const r of await Promise.all(checks)) if (r[0] === 58 && r[1] !== 48) return ZERO;
    await Promise.all([...byShard].map(([s, kv]) => tx.call(s, 'mset', kv)));
    return ONE;
  });
};

/**
 * LCS with its keys on two shards: read the second key's value (a GET: its
 * type error is LCS's own), then run LCS on the first key's shard with it.
 */
const lcsAcross: Across = (job) => {
  const args = job.args;
  const a = job.hops.shardOf(args[1]);
  const b = job.hops.shardOf(args[2]);
  return job.locked(job.plan().add(job.db, args[1]).add(job.db, args[2]), async (tx) => {
    const got = await tx.call(b, 'get', [args[2]]);
    if (got[0] === 45) return bytes('-ERR The specified keys must contain string values\r\n');
    const value = bulkOrNull(got) ?? new Uint8Array(0);
    return tx.call(a, 'lcs', [...args.slice(1), value], tx.db, tx.foreignFlag());
  });
};

export const stringsAcross: Record<string, CrossShard> = {
  mget: { kind: 'split', merge: 'interleave' },
  mset: { kind: 'split', merge: mergeAllOk, check: pairsCheck('mset') },
  msetnx: { kind: 'hops', run: msetnxAcross, check: pairsCheck('msetnx') },
  lcs: { kind: 'hops', run: lcsAcross },
};
