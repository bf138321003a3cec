/**
 * The lists family across shards: LMOVE and RPOPLPUSH as hops (pop on one
 * shard, push on the other), BLMOVE and BRPOPLPUSH likewise with a wait on
 * the source's shard, and BLPOP, BRPOP, LMPOP, BLMPOP as blocking pops over
 * several shards (blocking-pops.ts).
 */
import type { Across, AcrossJob, CrossShard } from './across.js';
import { NIL3, NIL_ARRAY, popAcross, timeoutError } from './blocking-pops.js';
import { REQ_RESP3 } from '../transport/frames.js';
import { shardHandlerId } from './registry.js';
import { bulkOrNull, bytes } from '../scheduler/transaction.js';
import { WRONGTYPE_REPLY, isType } from './type-replies.js';

const text = (a: Uint8Array): string => Buffer.from(a).toString('latin1');

/**
 * LMOVE with the lists on two shards: Redis's order of checks (a missing
 * source answers nil before the destination is looked at; either key of
 * another type is WRONGTYPE), then pop on one shard and push on the other.
 * With `nullIfEmpty`, resolves null instead of nil when the source is
 * missing (BLMOVE then waits).
 */
function moveNow(job: AcrossJob, fromLeft: boolean, toLeft: boolean, nullIfEmpty: boolean): Promise<Uint8Array | null> {
  const [src, dst] = [job.args[1], job.args[2]];
  const a = job.hops.shardOf(src);
  const b = job.hops.shardOf(dst);
  return job.locked(job.plan().add(job.db, src).add(job.db, dst), async (tx) => {
    const srcType = await tx.call(a, 'type', [src]);
    if (isType(srcType, 'none')) return nullIfEmpty ? null : tx.call(a, fromLeft ? 'lpop' : 'rpop', [src]); // nil, in the client's protocol
    if (!isType(srcType, 'list')) return WRONGTYPE_REPLY;
    const dstType = await tx.call(b, 'type', [dst]);
    if (!isType(dstType, 'none') && !isType(dstType, 'list')) return WRONGTYPE_REPLY;
    const popped = await tx.call(a, fromLeft ? 'lpop' : 'rpop', [src]);
    const value = bulkOrNull(popped);
    if (value !== null) await tx.call(b, toLeft ? 'lpush' : 'rpush', [dst, value]);
    return popped;
  });
}

/** LMOVE's (and BLMOVE's) directions, or null when either is not LEFT/RIGHT. RPOPLPUSH is RIGHT LEFT. */
function directions(job: AcrossJob): { fromLeft: boolean; toLeft: boolean } | null {
  const name = text(job.args[0]).toLowerCase();
  if (name === 'rpoplpush' || name === 'brpoplpush') return { fromLeft: false, toLeft: true };
  const from = text(job.args[3]).toLowerCase();
  const to = text(job.args[4]).toLowerCase();
  if ((from !== 'left' && from !== 'right') || (to !== 'left' && to !== 'right')) return null;
  return { fromLeft: from === 'left', toLeft: to === 'left' };
}

const SYNTAX = bytes('-ERR syntax error\r\n');

const lmoveAcross: Across = (job) => {
  const d = directions(job);
  if (d === null) return Promise.resolve(SYNTAX);
  return moveNow(job, d.fromLeft, d.toLeft, false);
};

/**
 * BLMOVE / BRPOPLPUSH with the lists on two shards. First as LMOVE, under
 * locks on both keys. If the source is empty, the client waits on the
 * source's shard as a BLPOP/BRPOP would (same FIFO, same timeout, CLIENT
 * UNBLOCK and disconnects reach it); the element it is served is then
 * pushed onto the destination under a lock on both keys. If the
 * destination has meanwhile become another type, the element goes back
 * where it came from and the client gets WRONGTYPE. Between the pop and the
 * push (one round trip) the element is in neither list: docs/transactions.md.
 */
const blmoveAcross: Across = async (job) => {
  const d = directions(job);
  if (d === null) return SYNTAX;
  const name = text(job.args[0]).toLowerCase();
  const timeout = job.args[name === 'blmove' ? 5 : 3];
  const bad = timeoutError(timeout);
  if (bad !== null) return bytes(`-${bad}\r\n`);
  const [src, dst] = [job.args[1], job.args[2]];
  // Redis 7.0 answers a BLMOVE that times out with a nil array.
  const nil = job.resp3 ? NIL3 : NIL_ARRAY;
  const now = await moveNow(job, d.fromLeft, d.toLeft, true);
  if (now !== null) return now;
  if (!job.mayBlock) return nil;
  const srcShard = job.hops.shardOf(src);
  job.blockedOn([srcShard], -1);
  const pop = d.fromLeft ? 'blpop' : 'brpop';
  const served = await job.waitOn(srcShard, shardHandlerId(pop) | ((job.resp3 ? REQ_RESP3 : 0) << 16), job.db, [bytes(pop), src, timeout]);
  if (served.length === 0) return null; // the client went away while waiting
  if (served[0] !== 42 /* '*' */ || served[1] === 45 /* '*-1' */) return served[0] === 45 ? served : nil; // CLIENT UNBLOCK ERROR, or timeout
  const value = secondBulk(served);
  return job.locked(job.plan().add(job.db, src).add(job.db, dst), async (tx) => {
    const a = srcShard;
    const b = job.hops.shardOf(dst);
    const dstType = await tx.call(b, 'type', [dst]);
    if (!isType(dstType, 'none') && !isType(dstType, 'list')) {
      await tx.call(a, d.fromLeft ? 'lpush' : 'rpush', [src, value]);
      return WRONGTYPE_REPLY;
    }
    await tx.call(b, d.toLeft ? 'lpush' : 'rpush', [dst, value]);
    return concat(bytes(`$${value.length}\r\n`), value, bytes('\r\n'));
  });
};

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** The second bulk string of a two-element array reply (BLPOP's [key, element]). */
function secondBulk(r: Uint8Array): Uint8Array {
  let i = r.indexOf(10) + 1; // after "*2\r\n"
  const keyLen = Number(text(r.subarray(i + 1, r.indexOf(13, i))));
  i = r.indexOf(10, i) + 1 + keyLen + 2;
  const len = Number(text(r.subarray(i + 1, r.indexOf(13, i))));
  const start = r.indexOf(10, i) + 1;
  return r.slice(start, start + len);
}

const pops: CrossShard = { kind: 'hops', run: popAcross };

export const listsAcross: Record<string, CrossShard> = {
  lmove: { kind: 'hops', run: lmoveAcross },
  rpoplpush: { kind: 'hops', run: lmoveAcross },
  blmove: { kind: 'hops', run: blmoveAcross },
  brpoplpush: { kind: 'hops', run: blmoveAcross },
  blpop: pops,
  brpop: pops,
  lmpop: pops,
  blmpop: pops,
};
