/**
 * EVAL, EVALSHA, EVAL_RO and EVALSHA_RO on a shard: the script runs on the
 * shard that owns its declared keys (routing sends it there), atomically —
 * nothing else runs on the shard meanwhile — and each redis.call runs a
 * command of that shard (shard/nested.ts). Its writes reach the AOF as the
 * commands it ran, one MULTI/EXEC for the script. Conversions between Lua
 * and RESP follow Redis (src/scripting/convert.ts), and so do the errors.
 */
import type { Exec, NestedCall, ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT } from '../shard/exec.js';
import { findCommand, findSubcommand } from './catalog.js';
import { type ReplyValue, runScript, scriptSha } from '../scripting/engine.js';
import { scriptCache } from '../scripting/cache.js';
import type { Script } from '../scripting/script.js';
import { luaError, respToLua, writeLuaReply } from '../scripting/convert.js';

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

function evalGeneric(x: Exec, bySha: boolean, readonly: boolean): void {
  const n = x.argInt64(2);
  if (n === null) return x.r.error(ERR_NOT_INT);
  if (n < 0) return x.r.error("ERR Number of keys can't be negative");
  if (n > x.argc - 3) return x.r.error("ERR Number of keys can't be greater than number of args");
  let script: Script;
  if (bySha) {
    const sha = x.argStr(1).toLowerCase();
    const known = sha.length === 40 ? scriptCache.get(sha) : undefined;
    if (known === undefined) return x.r.error(NOSCRIPT);
    script = known;
  } else {
    const body = x.arg(1);
    const sha = scriptSha(body);
    script = scriptCache.get(sha) ?? scriptCache.set(sha, x.argCopy(1));
  }
  if (script.error !== null) return x.r.error(script.error);
  if (readonly && script.shebang && !script.noWrites) return x.r.error('ERR Can not execute a script with write flag using *_ro command.');
  // Views of the arguments: the engine copies them in before anything else runs.
  const keys: Uint8Array[] = [];
  const argv: Uint8Array[] = [];
  for (let i = 3; i < x.argc; i++) (i < 3 + Number(n) ? keys : argv).push(x.arg(i));
  const calls = x.scriptCalls!;
  // The script's writes go to the AOF as one transaction: its own, unless it runs inside one (MULTI/EXEC).
  const txid = x.effects === null ? 0 : x.txid !== 0 ? x.txid : calls.newTxid();
  const call = { db: x.db, resp3: false, readonly: readonly || script.noWrites, txid };
  const result = runScript(script, keys, argv, { call: (args) => scriptCall(x, args, call), log: (level, msg) => calls.log(level, msg) });
  // The script's own transaction ends here (EXEC's ends with EXEC).
  if (txid !== 0 && txid !== x.txid) x.effects?.unlocked(txid, 1);
  // What the script wrote is in the AOF already, as the commands it ran.
  x.propagateNothing();
  writeLuaReply(result, x.r, x.resp3);
}

/**
 * One redis.call / redis.pcall: refused as Redis refuses it from scripts,
 * or run on this shard. An error value makes redis.call raise and
 * redis.pcall return it (the engine tells them apart).
 */
function scriptCall(x: Exec, args: Buffer[], call: NestedCall): ReplyValue {
  if (args.length === 0) return luaError('ERR Please specify at least one argument for this redis lib call');
  const name = args[0].toString('latin1').toLowerCase();
  let meta = findCommand(name);
  if (meta === undefined) return luaError('ERR Unknown Redis command called from script');
  if (meta.subcommands && args.length > 1) meta = findSubcommand(meta, args[1].toString('latin1')) ?? meta;
  if ((meta.arity > 0 && args.length !== meta.arity) || args.length < -meta.arity) return luaError('ERR Wrong number of args calling Redis command from script');
  if (meta.flags.includes('noscript')) return luaError('ERR This Redis command is not allowed from script');
  // The few connection commands a script may run.
  if (name === 'select') {
    const db = Number(args[1].toString('latin1'));
    if (!Number.isInteger(db) || db < 0 || db > 15) return luaError('ERR DB index is out of range');
    call.db = db;
    return { ok: Buffer.from('OK') };
  }
  if (name === 'ping') return args.length > 1 ? args[1] : { ok: Buffer.from('PONG') };
  if (name === 'echo') return args[1];
  if (name === 'time') {
    const ms = Date.now();
    return [Buffer.from(String(Math.floor(ms / 1000))), Buffer.from(String((ms % 1000) * 1000))];
  }
  const calls = x.scriptCalls!;
  const id = calls.idOf(args);
  // Connection and server commands (CLIENT, INFO, CONFIG ...) run on a client's thread, not a shard.
  if (id < 0) return luaError('ERR This Redis command is not allowed from script');
  const r = calls.call(id, args, call);
  return 'refused' in r ? luaError(r.refused) : respToLua(r.reply);
}

export const scriptingHandlers: Record<string, ShardHandler> = {
  eval: (x) => evalGeneric(x, false, false),
  evalsha: (x) => evalGeneric(x, true, false),
  eval_ro: (x) => evalGeneric(x, false, true),
  evalsha_ro: (x) => evalGeneric(x, true, true),
};

