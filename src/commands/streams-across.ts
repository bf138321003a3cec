/**
 * XREAD and XREADGROUP whose streams live on several shards. Under locks
 * on every stream, each stream is read on its shard in argument order
 * (without BLOCK) and the parts are joined into one reply, as one shard
 * would have answered. With nothing to serve and BLOCK, the command is
 * registered on every shard involved with that shard's streams and one
 * claim word, still under the locks (no XADD can slip in between): the
 * first shard able to serve, time out or unblock the client wins the word
 * and answers, as Redis answers a blocked reader from the first stream
 * that gets an entry. Registering runs the command on each shard, which
 * parks it with `$` resolved there and then (stream-read.ts).
 */
import type { Across } from './across.js';
import type { CrossShard } from './across.js';
import { REQ_CLAIM, REQ_RESP3 } from '../transport/frames.js';
import { shardHandlerId } from './registry.js';
import { bytes } from '../scheduler/transaction.js';
import { parseInt64 } from '../util/numbers.js';
import { ERR_INVALID_ID, parseIdBytes } from './stream-args.js';
import { ERR_DOLLAR } from './stream-read.js';

/** Bytes as Redis's %s prints them: up to the first NUL. */
const cstr = (b: Uint8Array): string => {
  const z = b.indexOf(0);
  return Buffer.from(z < 0 ? b : b.subarray(0, z)).toString('latin1');
};

const lower = (a: Uint8Array): string => Buffer.from(a).toString('latin1').toLowerCase();
const NIL2 = bytes('*-1\r\n');
const NIL3 = bytes('_\r\n');
/** An error reply; newlines in it become spaces, as Redis writes them. */
const err = (s: string): Uint8Array => bytes(`-${s.replace(/[\r\n]/g, ' ')}\r\n`);

interface Parsed {
  /** Options to pass on (COUNT, GROUP, NOACK), without BLOCK. */
  opts: Uint8Array[];
  block: Uint8Array[] | null;
  keys: Uint8Array[];
  ids: Uint8Array[];
}

/** The options as xreadCommand reads them, up to STREAMS (the errors a shard would give, in the same order). */
function parse(args: Uint8Array[], group: boolean, now: number): Parsed | Uint8Array {
  const opts: Uint8Array[] = [];
  let block: Uint8Array[] | null = null;
  let streams = 0;
  let hasGroup = false;
  for (let i = 1; i < args.length; i++) {
    const o = lower(args[i]);
    const more = args.length - i - 1;
    if (o === 'block' && more > 0) {
      const t = parseInt64(args[i + 1], 0, args[i + 1].length);
      if (t === null) return err('ERR timeout is not an integer or out of range');
      if (t < 0) return err('ERR timeout is negative');
      if (t > 0 && BigInt(t) > 2n ** 63n - 1n - BigInt(now)) return err('ERR timeout is out of range');
      block = [args[i], args[i + 1]];
      i++;
    } else if (o === 'count' && more > 0) {
      if (parseInt64(args[i + 1], 0, args[i + 1].length) === null) return err('ERR value is not an integer or out of range');
      opts.push(args[i], args[i + 1]);
      i++;
    } else if (o === 'streams' && more > 0) {
      streams = i + 1;
      break;
    } else if (o === 'group' && more >= 2) {
      if (!group) return err('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      opts.push(args[i], args[i + 1], args[i + 2]);
      hasGroup = true;
      i += 2;
    } else if (o === 'noack') {
      if (!group) return err('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      opts.push(args[i]);
    } else return err('ERR syntax error');
  }
  if (streams === 0) return err('ERR syntax error');
  const n = args.length - streams;
  if (n % 2 !== 0) return err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
  if (group && !hasGroup) return err('ERR Missing GROUP option for XREADGROUP');
  return { opts, block, keys: args.slice(streams, streams + n / 2), ids: args.slice(streams + n / 2) };
}

const xreadAcross: Across = (job) => {
  const name = lower(job.args[0]);
  const p = parse(job.args, name === 'xreadgroup', Date.now());
  if (p instanceof Uint8Array) return Promise.resolve(p);
  const plan = job.plan();
  const byShard = new Map<number, number[]>();
  p.keys.forEach((k, i) => {
    plan.add(job.db, k);
    const s = job.hops.shardOf(k);
    let list = byShard.get(s);
    if (list === undefined) byShard.set(s, (list = []));
    list.push(i);
  });
  return job.locked(plan, async (tx): Promise<Uint8Array | null> => {
    if (name === 'xreadgroup') {
      // Every stream is checked (type, group, ID) before any is read, as Redis does: reading changes the group.
      const g = p.opts[p.opts.findIndex((o) => lower(o) === 'group') + 1];
      for (let i = 0; i < p.keys.length; i++) {
        const r = await tx.call(job.hops.shardOf(p.keys[i]), 'xinfo|consumers', [bytes('CONSUMERS'), p.keys[i], g]);
        if (r[0] === 45) {
          if (r[1] === 87) return r; // WRONGTYPE
          return err(`NOGROUP No such key '${cstr(p.keys[i])}' or consumer group '${cstr(g)}' in XREADGROUP with GROUP option`);
        }
        const id = p.ids[i];
        if (id.length === 1 && id[0] === 36) return err(ERR_DOLLAR);
        if (!(id.length === 1 && id[0] === 62) && parseIdBytes(id, 0, id.length, 0n, true, false) === null) return err(ERR_INVALID_ID);
      }
    }
    const parts: Uint8Array[] = [];
    for (let i = 0; i < p.keys.length; i++) {
      const reply = await tx.call(job.hops.shardOf(p.keys[i]), name, [...p.opts, bytes('STREAMS'), p.keys[i], p.ids[i]]);
      if (reply[0] === 45) return reply;
      if (reply[0] === 95 || (reply[0] === 42 && reply[1] === 45)) continue; // nothing for this stream
      // RESP3 "%1\r\n" + key + entries; RESP2 "*1\r\n*2\r\n" + key + entries.
      parts.push(reply.subarray(job.resp3 ? 4 : 8));
    }
    if (parts.length > 0) {
      const head = bytes(job.resp3 ? `%${parts.length}\r\n` : `*${parts.length}\r\n`);
      const pair = bytes('*2\r\n');
      let total = head.length;
      for (const x of parts) total += x.length + (job.resp3 ? 0 : pair.length);
      const out = new Uint8Array(total);
      out.set(head, 0);
      let o = head.length;
      for (const x of parts) {
        if (!job.resp3) {
          out.set(pair, o);
          o += pair.length;
        }
        out.set(x, o);
        o += x.length;
      }
      return out;
    }
    if (p.block === null || !job.mayBlock) return job.resp3 ? NIL3 : NIL2;
    const claim = job.newClaim();
    job.blockedOn([...byShard.keys()], claim);
    const word2 = shardHandlerId(name) | ((REQ_CLAIM | (job.resp3 ? REQ_RESP3 : 0)) << 16);
    for (const [s, idx] of byShard) {
      const frame = [job.args[0], ...p.block, ...p.opts, bytes('STREAMS'), ...idx.map((i) => p.keys[i]), ...idx.map((i) => p.ids[i])];
      job.register(s, word2, job.db | (claim << 8), frame, tx.txid);
    }
    return null;
  });
};

export const streamsAcross: Readonly<Record<string, CrossShard>> = {
  xread: { kind: 'hops', run: xreadAcross },
  xreadgroup: { kind: 'hops', run: xreadAcross },
};
