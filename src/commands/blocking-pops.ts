/**
 * BLPOP, BRPOP, LMPOP, BLMPOP, BZPOPMIN, BZPOPMAX, ZMPOP and BZMPOP whose
 * keys live on several shards. Under locks on all the keys, the first
 * non-empty one (in argument order) is popped at once; otherwise the
 * command is registered on every shard involved, still under the locks (no
 * push can slip in between), with one claim word: the first shard able to
 * serve, time out or unblock the client wins the word by compare-and-swap
 * and answers; the others drop their waiter.
 */
import type { Across } from './across.js';
import { parseBlockingTimeout } from '../util/timeout.js';
import { REQ_CLAIM, REQ_RESP3 } from '../transport/frames.js';
import { shardHandlerId } from './registry.js';
import { bytes } from '../scheduler/transaction.js';
import { type MpopCommand, arrayArgs, parseMpopArgs } from './mpop-args.js';

interface PopSpec {
  keys: Uint8Array[];
  /** LEFT, or MIN for the sorted-set commands. */
  left: boolean;
  /** BZPOPMIN/BZPOPMAX/ZMPOP/BZMPOP: sorted sets instead of lists. */
  zset: boolean;
  /** LMPOP/BLMPOP's COUNT (null: BLPOP/BRPOP pop one, replied as a bulk). */
  count: number | null;
  /** null for LMPOP and ZMPOP (never block). */
  timeout: Uint8Array | null;
  /** The command as registered on one shard, with that shard's keys. */
  frameFor(keys: Uint8Array[]): Uint8Array[];
}

const text = (a: Uint8Array): string => Buffer.from(a).toString('latin1');
/** Reads the command as Redis checks it (BLPOP's timeout first; the MPOP forms' timeout last); an error text on failure. */
function popSpec(name: string, args: Uint8Array[]): PopSpec | string {
  const zset = name[0] === 'z' || name[1] === 'z';
  if (name === 'blpop' || name === 'brpop' || name === 'bzpopmin' || name === 'bzpopmax') {
    const timeout = args[args.length - 1];
    const err = timeoutError(timeout);
    if (err !== null) return err;
    return { keys: args.slice(1, -1), left: name === 'blpop' || name === 'bzpopmin', zset, count: null, timeout, frameFor: (ks) => [args[0], ...ks, timeout] };
  }
  const m = parseMpopArgs(arrayArgs(args), name as MpopCommand);
  if (typeof m === 'string') return m;
  const timeout = m.timeoutIndex >= 0 ? args[m.timeoutIndex] : null;
  if (timeout !== null) {
    const err = timeoutError(timeout);
    if (err !== null) return err;
  }
  const whereIdx = m.firstKey + m.numkeys;
  const head = args.slice(0, m.firstKey - 1);
  const tail = args.slice(whereIdx);
  return {
    keys: args.slice(m.firstKey, whereIdx),
    left: m.left,
    zset,
    count: m.count,
    timeout,
    frameFor: (ks) => [...head, bytes(String(ks.length)), ...ks, ...tail],
  };
}

/** A blocking command's timeout as Redis checks it (util/timeout.ts); null when valid. */
export function timeoutError(arg: Uint8Array): string | null {
  const ms = parseBlockingTimeout(arg, 0, arg.length, Date.now());
  return typeof ms === 'string' ? ms : null;
}

const ONE_ARG = bytes('1');
const MIN_ARG = bytes('MIN');
const MAX_ARG = bytes('MAX');
const COUNT_ARG = bytes('COUNT');
export const NIL_ARRAY = bytes('*-1\r\n');
export const NIL3 = bytes('_\r\n');

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function bulkOf(v: Uint8Array): Uint8Array {
  return concatBytes(bytes(`$${v.length}\r\n`), v, bytes('\r\n'));
}

export const popAcross: Across = (job) => {
  const name = text(job.args[0]).toLowerCase();
  const spec = popSpec(name, job.args);
  if (typeof spec === 'string') return Promise.resolve(bytes(`-${spec}\r\n`));
  const blocks = spec.timeout !== null && job.mayBlock;
  const byShard = new Map<number, Uint8Array[]>();
  const plan = job.plan();
  for (const k of spec.keys) {
    plan.add(job.db, k);
    const s = job.hops.shardOf(k);
    let list = byShard.get(s);
    if (list === undefined) byShard.set(s, (list = []));
    list.push(k);
  }
  return job.locked(plan, async (tx): Promise<Uint8Array | null> => {
    for (const k of spec.keys) {
      const s = job.hops.shardOf(k);
      const len = await tx.call(s, spec.zset ? 'zcard' : 'llen', [k]);
      if (len[0] === 45) return len; // WRONGTYPE
      if (len[1] === 48 && len[2] === 13) continue; // ":0"
      const count = bytes(String(spec.count));
      if (spec.zset) {
        // ZMPOP on one key answers in ZMPOP's own shape; BZPOP* is [key, member, score].
        if (spec.count !== null) return tx.call(s, 'zmpop', [ONE_ARG, k, spec.left ? MIN_ARG : MAX_ARG, COUNT_ARG, count]);
        const popped = await tx.call(s, spec.left ? 'zpopmin' : 'zpopmax', [k]);
        return concatBytes(bytes('*3\r\n'), bulkOf(k), popped.subarray(popped.indexOf(10) + 1));
      }
      const popped = await tx.call(s, spec.left ? 'lpop' : 'rpop', spec.count === null ? [k] : [k, count]);
      return concatBytes(bytes('*2\r\n'), bulkOf(k), popped);
    }
    if (!blocks) return job.resp3 ? NIL3 : NIL_ARRAY;
    // Register everywhere before the locks go: no push can come in between.
    const claim = job.newClaim();
    job.blockedOn([...byShard.keys()], claim);
    const word2 = shardHandlerId(name) | ((REQ_CLAIM | (job.resp3 ? REQ_RESP3 : 0)) << 16);
    for (const [s, ks] of byShard) job.register(s, word2, job.db | (claim << 8), spec.frameFor(ks), tx.txid);
    return null;
  });
};
