/**
 * EVAL, EVALSHA, EVAL_RO and EVALSHA_RO on a shard: the script runs on the
 * shard that owns its declared keys (routing sends it there), atomically —
 * nothing else runs on the shard meanwhile — and each redis.call runs a
 * command of that shard (shard/nested.ts). Its writes reach the AOF as the
 * commands it ran, one MULTI/EXEC for the script. Conversions between Lua
 * and RESP follow Redis (src/scripting/convert.ts), and so do the errors.
 */
import type { Exec, NestedCall, ScriptCalls, ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT } from '../shard/exec.js';
import { parseInt64 } from '../util/numbers.js';
import { findCommand, findSubcommand } from './catalog.js';
import { type ReplyValue, type ScriptHost, runCode, scriptSha } from '../scripting/engine.js';
import { callCode, functionRegistry } from '../scripting/functions.js';
import { scriptCache } from '../scripting/cache.js';
import { KeyUse } from '../transport/script-key-use.js';
import type { Script } from '../scripting/script.js';
import { luaError, respToLua, writeLuaReply } from '../scripting/convert.js';
import { hllSelfTest } from '../types/hyperloglog.js';

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/** What EVAL, EVALSHA and FCALL (and their _RO forms) run. */
export const enum RunKind {
  Eval,
  EvalSha,
  Fcall,
}

/** A script or function ready to run: its code, how errors name it, and how many of the arguments are keys. */
export interface ToRun {
  code: Uint8Array;
  /** Errors say `script: <name>, on @<chunk>:<line>.` (a script's SHA1, or a function's name). */
  name: string;
  chunk: 'user_script' | 'user_function';
  numkeys: number;
  /** Flagged no-writes: runs as a read-only script. */
  noWrites: boolean;
  /** Its name where what is known of its keys is kept (transport/script-key-use.ts). */
  keyUse: string;
}

/** Which of EVAL, EVALSHA and FCALL a command of the family is (their _RO forms alike). */
export function runKindOf(fullName: string): RunKind {
  return fullName.startsWith('fcall') ? RunKind.Fcall : fullName.startsWith('evalsha') ? RunKind.EvalSha : RunKind.Eval;
}

/** The name a script or function has in the key-use marks: its SHA1, or `fcall:` and its name. */
export function keyUseName(kind: RunKind, args: readonly Uint8Array[]): string {
  const a = Buffer.from(args[1]).toString('latin1');
  if (kind === RunKind.Fcall) return `fcall:${a}`;
  return kind === RunKind.EvalSha ? a.toLowerCase() : scriptSha(args[1]);
}

/**
 * Watches whether a run's calls keep to the keys it declared, and tells
 * the key-use marks: Undeclared at the first other key, DeclaredOnly at
 * the end of a run that kept to them.
 */
export class DeclaredKeys {
  private undeclared = false;

  constructor(
    private readonly calls: ScriptCalls,
    private readonly name: string,
    private readonly declared: readonly Uint8Array[],
  ) {}

  check(id: number, args: readonly Uint8Array[]): void {
    if (this.undeclared) return;
    for (const k of this.calls.keysOf(id, args)) {
      if (this.declared.some((d) => Buffer.compare(d, k) === 0)) continue;
      this.undeclared = true;
      this.calls.keyUse.learn(this.name, KeyUse.Undeclared);
      return;
    }
  }

  done(): void {
    if (!this.undeclared) this.calls.keyUse.learn(this.name, KeyUse.DeclaredOnly);
  }
}

/** The command's arguments checked as Redis checks them: what to run, or an error text. */
export function toRun(args: readonly Uint8Array[], kind: RunKind, readonly: boolean): ToRun | string {
  const n = parseInt64(args[2], 0, args[2].length);
  if (n === null) return ERR_NOT_INT;
  if (n < 0) return "ERR Number of keys can't be negative";
  if (n > args.length - 3) return "ERR Number of keys can't be greater than number of args";
  if (kind === RunKind.Fcall) {
    const found = functionRegistry.find(Buffer.from(args[1]).toString('latin1'));
    if (found === undefined) return 'ERR Function not found';
    const noWrites = found.fn.flags.includes('no-writes');
    if (readonly && !noWrites) return 'ERR Can not execute a script with write flag using *_ro command.';
    return { code: callCode(found.lib, found.fn.name), name: found.fn.name, chunk: 'user_function', numkeys: Number(n), noWrites, keyUse: `fcall:${found.fn.name}` };
  }
  let script: Script | undefined;
  if (kind === RunKind.EvalSha) {
    const sha = Buffer.from(args[1]).toString('latin1').toLowerCase();
    script = sha.length === 40 ? scriptCache.get(sha) : undefined;
    if (script === undefined) return NOSCRIPT;
  } else {
    const sha = scriptSha(args[1]);
    script = scriptCache.get(sha) ?? scriptCache.set(sha, args[1].slice());
  }
  if (script.error !== null) return script.error;
  if (readonly && script.shebang && !script.noWrites) return 'ERR Can not execute a script with write flag using *_ro command.';
  return { code: script.code, name: script.sha, chunk: 'user_script', numkeys: Number(n), noWrites: script.noWrites, keyUse: script.sha };
}

/** Runs what toRun prepared; `call` answers its redis.call. */
export function runPrepared(r: ToRun, args: readonly Uint8Array[], host: ScriptHost): ReplyValue {
  return runCode(r.code, args.slice(3, 3 + r.numkeys), args.slice(3 + r.numkeys), host, r.name);
}

function runGeneric(x: Exec, kind: RunKind, readonly: boolean): void {
  // Views of the arguments: the engine copies them in before anything else runs.
  const all: Uint8Array[] = [];
  for (let i = 0; i < x.argc; i++) all.push(x.arg(i));
  const r = toRun(all, kind, readonly);
  if (typeof r === 'string') return x.r.error(r);
  const calls = x.scriptCalls!;
  // The script's writes go to the AOF as one transaction: its own, unless it runs inside one (MULTI/EXEC).
  const txid = x.effects === null ? 0 : x.txid !== 0 ? x.txid : calls.newTxid();
  const call = { db: x.db, resp3: false, readonly: readonly || r.noWrites, txid, replyConn: x.replyConn, replySeq: x.replySeq };
  const declared = new DeclaredKeys(calls, r.keyUse, all.slice(3, 3 + r.numkeys));
  calls.scriptStarted(false);
  let result: ReplyValue;
  try {
    result = runPrepared(r, all, { call: (args) => scriptCall(x, args, call, declared), log: (level, msg) => calls.log(level, msg) });
  } finally {
    calls.scriptEnded();
  }
  declared.done();
  // The script's own transaction ends here (EXEC's ends with EXEC).
  if (txid !== 0 && txid !== x.txid) x.effects?.unlocked(txid, 1);
  // What the script wrote is in the AOF already, as the commands it ran.
  x.propagateNothing();
  writeLuaReply(result, x.r, x.resp3, r.chunk);
}

/**
 * What every redis.call / redis.pcall goes through first: refused as Redis
 * refuses it from scripts (unknown, wrong arity, noscript), or answered
 * here (PING, ECHO, TIME, SELECT); otherwise null: a shard command to run.
 * An error value makes redis.call raise and redis.pcall return it (the
 * engine tells them apart).
 */
export function callPrelude(args: Buffer[], call: NestedCall): ReplyValue | null {
  if (args.length === 0) return luaError('ERR Please specify at least one argument for this redis lib call');
  // redis.setresp (script.ts): the script's calls reply in RESP3 from now on, or RESP2 again.
  if (args[0].length === 8 && args[0][0] === 0 && args[0].toString('latin1', 1) === 'setresp') {
    call.resp3 = args[1]?.toString() === '3';
    return { ok: Buffer.from('OK') };
  }
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
  if (name === 'pfselftest') {
    const failure = hllSelfTest();
    return failure === null ? { ok: Buffer.from('OK') } : luaError(`TESTFAILED ${failure}`);
  }
  if (name === 'time') {
    const ms = Date.now();
    return [Buffer.from(String(Math.floor(ms / 1000))), Buffer.from(String((ms % 1000) * 1000))];
  }
  return null;
}

/** Connection and server commands (CLIENT, INFO, CONFIG ...) run on a client's thread, not a shard. */
export const NOT_FROM_SCRIPT = 'ERR This Redis command is not allowed from script';

/** SCRIPT KILL reached the script: its next call fails with this (a pcall that catches it finds the next one failing too). */
export const KILLED = 'ERR Script killed by user with SCRIPT KILL...';

/**
 * The part of every call that does not depend on where the script runs: a
 * kill asked, the prelude's refusals and answers; otherwise the shard
 * command's id (and a write marks the script unkillable).
 */
export function resolveCall(calls: ScriptCalls, args: Buffer[], call: NestedCall, declared: DeclaredKeys): ReplyValue | number {
  if (calls.killRequested()) return luaError(KILLED);
  const early = callPrelude(args, call);
  if (early !== null) return early;
  calls.monitor(args, call);
  const id = calls.idOf(args);
  if (id < 0) return luaError(NOT_FROM_SCRIPT);
  declared.check(id, args);
  if (!call.readonly && calls.writes(id)) calls.scriptWrote();
  return id;
}

/** One call of a script running on its keys' shard: this shard's command, or a refusal. */
function scriptCall(x: Exec, args: Buffer[], call: NestedCall, declared: DeclaredKeys): ReplyValue {
  const calls = x.scriptCalls!;
  const id = resolveCall(calls, args, call, declared);
  if (typeof id !== 'number') return id;
  const r = calls.call(id, args, call);
  return 'refused' in r ? luaError(r.refused) : respToLua(r.reply);
}

export const scriptingHandlers: Record<string, ShardHandler> = {
  eval: (x) => runGeneric(x, RunKind.Eval, false),
  evalsha: (x) => runGeneric(x, RunKind.EvalSha, false),
  eval_ro: (x) => runGeneric(x, RunKind.Eval, true),
  evalsha_ro: (x) => runGeneric(x, RunKind.EvalSha, true),
  fcall: (x) => runGeneric(x, RunKind.Fcall, false),
  fcall_ro: (x) => runGeneric(x, RunKind.Fcall, true),
};

