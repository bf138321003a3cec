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
import { DeclaredKeys, RunKind, resolveCall, runPrepared, toRun } from './scripting.js';

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
  const composed = COMPOSED[name];
  if (composed !== undefined) return composed(stepper(job, call), args);
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

/** Runs one command on the shard of `key` (every shard is held): its reply as Lua sees it. */
type Step = (key: Buffer, ...args: (string | Buffer)[]) => ReplyValue;

function stepper(job: AcrossJob, call: NestedCall): Step {
  return (key, ...args) => {
    const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a));
    const id = job.scriptCalls.idOf(argv);
    const r = job.scriptCall(job.hops.shardOf(key), id, argv, call);
    return 'refused' in r ? luaError(r.refused) : respToLua(r.reply);
  };
}

const isError = (v: ReplyValue): boolean => v !== null && typeof v === 'object' && 'err' in v;
const typeName = (v: ReplyValue): string => (v !== null && typeof v === 'object' && 'ok' in v ? v.ok.toString() : '');
const WRONGTYPE_ERR = luaError('WRONGTYPE Operation against a key holding the wrong kind of value');

/** LMOVE / RPOPLPUSH of lists on two shards: Redis's checks in its order, then a pop there and a push here. */
function moveBetweenLists(step: Step, src: Buffer, dst: Buffer, from: string, to: string): ReplyValue {
  const srcType = typeName(step(src, 'TYPE', src));
  if (srcType === 'none') return null;
  if (srcType !== 'list') return WRONGTYPE_ERR;
  const dstType = typeName(step(dst, 'TYPE', dst));
  if (dstType !== 'none' && dstType !== 'list') return WRONGTYPE_ERR;
  const value = step(src, from === 'left' ? 'LPOP' : 'RPOP', src);
  if (!Buffer.isBuffer(value)) return value;
  const pushed = step(dst, to === 'left' ? 'LPUSH' : 'RPUSH', dst, value);
  return isError(pushed) ? pushed : value;
}

/** RENAME / RENAMENX across shards: the value travels as DUMP/RESTORE with its absolute expiry. */
function renameAcross(step: Step, src: Buffer, dst: Buffer, nx: boolean): ReplyValue {
  const payload = step(src, 'DUMP', src);
  if (payload === null) return luaError('ERR no such key');
  if (!Buffer.isBuffer(payload)) return payload;
  if (nx && step(dst, 'EXISTS', dst) === 1) return 0;
  const at = step(src, 'PEXPIRETIME', src) as number;
  const restored = step(dst, 'RESTORE', dst, at > 0 ? String(at) : '0', payload, 'REPLACE', ...(at > 0 ? ['ABSTTL'] : []));
  if (isError(restored)) return restored;
  step(src, 'DEL', src);
  return nx ? 1 : { ok: Buffer.from('OK') };
}

/**
 * Commands whose keys span shards and do not split, composed of commands
 * on each key's shard: every shard is held, so the steps are one atomic
 * command to everyone else, as the one command is in Redis (job queues
 * move jobs between lists with RPOPLPUSH / LMOVE inside their scripts).
 */
const COMPOSED: Record<string, (step: Step, args: Buffer[]) => ReplyValue> = {
  rpoplpush: (step, a) => moveBetweenLists(step, a[1], a[2], 'right', 'left'),
  lmove: (step, a) => {
    const from = a[3].toString('latin1').toLowerCase();
    const to = a[4].toString('latin1').toLowerCase();
    if ((from !== 'left' && from !== 'right') || (to !== 'left' && to !== 'right')) return luaError('ERR syntax error');
    return moveBetweenLists(step, a[1], a[2], from, to);
  },
  smove: (step, a) => {
    const [, src, dst, member] = a;
    const srcType = typeName(step(src, 'TYPE', src));
    if (srcType === 'none') return 0;
    const dstType = typeName(step(dst, 'TYPE', dst));
    if (srcType !== 'set' || (dstType !== 'none' && dstType !== 'set')) return WRONGTYPE_ERR;
    const removed = step(src, 'SREM', src, member);
    if (removed !== 1) return removed;
    const added = step(dst, 'SADD', dst, member);
    return isError(added) ? added : 1;
  },
  rename: (step, a) => renameAcross(step, a[1], a[2], false),
  renamenx: (step, a) => renameAcross(step, a[1], a[2], true),
};

function across(kind: RunKind, readonly: boolean): Across {
  return (job) => {
    const r = toRun(job.args, kind, readonly);
    if (typeof r === 'string') return Promise.resolve(bytes(`-${r}\r\n`));
    const plan = job.plan();
    plan.wide = true;
    return job.locked(plan, async (tx) => {
      const calls = job.scriptCalls;
      const call = { db: job.db, resp3: false, readonly: readonly || r.noWrites, txid: tx.txid };
      const declared = new DeclaredKeys(calls, r.keyUse, job.args.slice(3, 3 + r.numkeys));
      calls.scriptStarted(true);
      let result: ReplyValue;
      try {
        result = runPrepared(r, job.args, {
          call: (args) => {
            const id = resolveCall(calls, args, call, declared);
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
      declared.done();
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
