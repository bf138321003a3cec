/**
 * The pops over several keys, of lists and sorted sets alike (BLPOP, BRPOP,
 * LMPOP, BLMPOP, BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP), on the shard that holds
 * all their keys: the first key that exists, in argument order, is served;
 * when none does, the answer is nil, or a blocking command waits for them.
 */
import { type Exec, WRONGTYPE } from '../shard/exec.js';
import { TimeoutReply } from '../shard/blocking.js';
import type { ObjType } from '../shard/keyspace.js';
import { type MpopCommand, parseMpopArgs } from './mpop-args.js';

/**
 * Finds the key the pop serves among the key arguments [from, to) and, when
 * there is one, starts the reply: an array of `replyLen` elements, the key
 * name first. Returns the key's entry; 0 when none of the keys exists; -1
 * when the command is answered already: WRONGTYPE, or (a command registered
 * on several shards) another shard took the claim and served it.
 *
 * The AOF gets the pop it performs, on the key it chose (`aofPop`: LPOP,
 * ZPOPMIN ..., with `count` when given), as Redis propagates these commands:
 * replayed as they were, they could choose another key, or block.
 */
export function startPopReply(x: Exec, from: number, to: number, type: ObjType, replyLen: number, aofPop: string, count: number | null): number {
  for (let k = from; k < to; k++) {
    const h = x.lookup(k);
    if (h === 0) continue;
    if (x.ks.type(h) !== type) {
      if (x.retrying) continue; // a blocked client keeps waiting while its key holds another type
      x.r.error(WRONGTYPE);
      return -1;
    }
    if (!x.claim()) {
      x.dropped = true;
      return -1;
    }
    x.r.array(replyLen);
    x.r.bulk(x.u8, x.off[k], x.len[k]);
    if (count === null) x.propagate(aofPop, x.arg(k));
    else x.propagate(aofPop, x.arg(k), String(count));
    return h;
  }
  return 0;
}

/** The answer when none of the keys [from, to) exists: nil, or, for a blocking command outside MULTI, wait for them. */
export function noKeyToPop(x: Exec, from: number, to: number, timeoutMs: number | null): void {
  if (timeoutMs === null || !x.mayBlock) {
    x.r.nullArray();
    return;
  }
  const keys: number[] = [];
  for (let k = from; k < to; k++) keys.push(k);
  x.block(keys, timeoutMs, TimeoutReply.NullArray);
}

/** Pops up to `count` elements of entry h from its LEFT (MIN) or RIGHT (MAX) end, replying them. */
export type PopCount = (x: Exec, h: number, left: boolean, count: number) => void;

/**
 * LMPOP, BLMPOP, ZMPOP and BZMPOP: their arguments (mpop-args.ts), then the
 * timeout of the blocking forms (Redis reads it last), then the pop.
 */
export function mpopCommand(x: Exec, command: MpopCommand, type: ObjType, pop: PopCount): void {
  const args = parseMpopArgs(x, command);
  if (typeof args === 'string') {
    x.r.error(args);
    return;
  }
  let timeoutMs: number | null = null;
  if (args.timeoutIndex >= 0) {
    timeoutMs = x.timeoutArg(args.timeoutIndex);
    if (timeoutMs === null) return;
  }
  const end = args.firstKey + args.numkeys;
  const list = command === 'lmpop' || command === 'blmpop';
  const aofPop = list ? (args.left ? 'LPOP' : 'RPOP') : args.left ? 'ZPOPMIN' : 'ZPOPMAX';
  const h = startPopReply(x, args.firstKey, end, type, 2, aofPop, args.count);
  if (h > 0) pop(x, h, args.left, args.count);
  else if (h === 0) noKeyToPop(x, args.firstKey, end, timeoutMs);
}
