/**
 * A script whose declared keys live on several shards: it runs on the
 * client's thread holding every shard (one keyspace-wide lock: nothing else
 * runs anywhere meanwhile, which is what makes it atomic, and only one
 * such script runs at a time), and each redis.call goes to the shard of its
 * keys synchronously — this thread's directly, another's through that
 * thread's mailbox (transport/mailbox.ts). Keys it did not declare may live
 * anywhere, as in Redis. Its writes reach the AOF as the commands it ran,
 * in the lock's transaction: one MULTI/EXEC.
 */
import type { Across, AcrossJob, CrossShard } from './across.js';
import type { NestedCall } from '../shard/exec.js';
import type { ReplyValue } from '../scripting/engine.js';
import { findCommand } from './catalog.js';
import { mergeInterleave } from './mergers.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { luaError, respToLua, writeLuaReply } from '../scripting/convert.js';
import { RunKind, resolveCall, runPrepared, toRun } from './scripting.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A call whose own keys span shards (DEL, MGET, MSET, EXISTS … of keys of
 * several shards): split by shard as a client's would be, each part run on
 * its shard, the replies merged. Commands that do not split are refused.
 */
function splitCall(job: AcrossJob, id: number, args: Buffer[], call: NestedCall): ReplyValue {
  const name = args[0].toString('latin1').toLowerCase();
  const cross = job.crossOf(name);
  const meta = findCommand(name);
  if (cross === null || cross.kind !== 'split' || meta === undefined) return luaError("ERR Shoal runs this command from a script only when its keys share one shard ({hash tags})");
  const picks = new Map<number, Buffer[]>();
  const order: number[] = [];
  for (let k = meta.firstKey; k < args.length; k += meta.step) {
    const s = job.hops.shardOf(args[k]);
    let part = picks.get(s);
    if (part === undefined) picks.set(s, (part = [args[0]]));
    for (let j = 0; j < meta.step; j++) part.push(args[k + j]);
    order.push(s);
  }
  const parts: (Uint8Array | null)[] = new Array(job.hops.shards).fill(null);
  for (const [s, part] of picks) {
    const r = job.scriptCall(s, id, part, call);
    if ('refused' in r) return luaError(r.refused);
    parts[s] = r.reply;
  }
  const w = new ReplyWriter(256);
  w.resp3 = call.resp3;
  (cross.merge === 'interleave' ? mergeInterleave(order) : cross.merge)(parts, w);
  return respToLua(w.buf.subarray(0, w.len));
}

function across(kind: RunKind, readonly: boolean): Across {
  return (job) => {
    const r = toRun(job.args, kind, readonly);
    if (typeof r === 'string') return Promise.resolve(bytes(`-${r}\r\n`));
    const plan = job.plan();
    plan.wide = true;
    return job.locked(plan, async (tx) => {
      const calls = job.scriptCalls;
      const call = { db: job.db, resp3: false, readonly: readonly || r.noWrites, txid: tx.txid };
      calls.scriptStarted();
      let result: ReplyValue;
      try {
        result = runPrepared(r, job.args, {
          call: (args) => {
            const id = resolveCall(calls, args, call);
            if (typeof id !== 'number') return id;
            let shard = calls.shardOf(id, args);
            if (shard === -1) return splitCall(job, id, args, call);
            // Without keys: this thread's shard (a keyspace-wide command is refused there).
            if (shard === -2) shard = job.localShard;
            const r = job.scriptCall(shard, id, args, call);
            return 'refused' in r ? luaError(r.refused) : respToLua(r.reply);
          },
          log: (level, msg) => calls.log(level, msg),
        });
      } finally {
        calls.scriptEnded();
      }
      const w = new ReplyWriter(256);
      writeLuaReply(result, w, job.resp3, r.chunk);
      return w.buf.slice(0, w.len);
    });
  };
}

export const scriptingAcross: Record<string, CrossShard> = {
  eval: { kind: 'hops', run: across(RunKind.Eval, false) },
  evalsha: { kind: 'hops', run: across(RunKind.EvalSha, false) },
  eval_ro: { kind: 'hops', run: across(RunKind.Eval, true) },
  evalsha_ro: { kind: 'hops', run: across(RunKind.EvalSha, true) },
  fcall: { kind: 'hops', run: across(RunKind.Fcall, false) },
  fcall_ro: { kind: 'hops', run: across(RunKind.Fcall, true) },
};
