/**
 * The sets family across shards: SMOVE as hops; SINTER, SUNION, SDIFF (and
 * their STORE forms) and SINTERCARD through the foreign-keys path.
 */
import type { Across, CrossShard } from './across.js';
import { foreignKeys } from './foreign-keys.js';
import { bytes } from '../scheduler/transaction.js';
import { WRONGTYPE_REPLY, isType } from './type-replies.js';

const ONE = bytes(':1\r\n');
const ZERO = bytes(':0\r\n');

/**
 * SMOVE with the two sets on different shards, in Redis's order of checks:
 * a missing source answers 0 before any type is looked at; then either key
 * of another type is WRONGTYPE; a member not in the source answers 0.
 */
const smoveAcross: Across = (job) => {
  const [src, dst, member] = [job.args[1], job.args[2], job.args[3]];
  const a = job.hops.shardOf(src);
  const b = job.hops.shardOf(dst);
  return job.locked(job.plan().add(job.db, src).add(job.db, dst), async (tx) => {
    const srcType = await tx.call(a, 'type', [src]);
    if (isType(srcType, 'none')) return ZERO;
    if (!isType(srcType, 'set')) return WRONGTYPE_REPLY;
    const dstType = await tx.call(b, 'type', [dst]);
    if (!isType(dstType, 'none') && !isType(dstType, 'set')) return WRONGTYPE_REPLY;
    const removed = await tx.call(a, 'srem', [src, member]);
    if (removed[1] === 48 /* ":0" */) return ZERO;
    await tx.call(b, 'sadd', [dst, member]);
    return ONE;
  });
};

export const setsAcross: Record<string, CrossShard> = {
  smove: { kind: 'hops', run: smoveAcross },
  sinter: foreignKeys,
  sunion: foreignKeys,
  sdiff: foreignKeys,
  sinterstore: foreignKeys,
  sunionstore: foreignKeys,
  sdiffstore: foreignKeys,
  sintercard: foreignKeys,
};
