/**
 * Lua 5.1 as Redis embeds it: the WASM build of Redis's own Lua with
 * cjson, cmsgpack, struct and bit (the `lua-redis-wasm` package; chosen
 * over Lua 5.3/5.4 engines such as fengari or wasmoon, which give other
 * results for integer division, string coercion and table length). One
 * engine per thread, made when the thread starts; a script runs
 * synchronously, its redis.call answered by the host the caller passes.
 */
import { createHash } from 'node:crypto';
import { LuaWasmEngine, type ReplyValue } from 'lua-redis-wasm';
import { REDIS_COMPAT_VERSION } from '../config/version.js';
import type { Script } from './script.js';

export type { ReplyValue };

/** What a running script's redis.call, redis.pcall and redis.log reach. */
export interface ScriptHost {
  call(args: Buffer[], pcall: boolean): ReplyValue;
  log(level: number, message: Buffer): void;
}

let engine: LuaWasmEngine | null = null;
let current: ScriptHost | null = null;

const NO_HOST = (): ReplyValue => ({ err: Buffer.from('redis.call is not available here'), code: Buffer.from('ERR') });

/** The version as REDIS_VERSION_NUM encodes it (0x00MMmmpp). */
function versionNum(v: string): number {
  const [a, b, c] = v.split('.').map(Number);
  return (a << 16) | (b << 8) | c;
}

/** Makes this thread's engine (once). */
export async function startScripting(): Promise<void> {
  engine ??= await LuaWasmEngine.create({
    profile: 'redis-7.0',
    // The engine's own default stops a script after a few million instructions; Redis never does.
    // This is the most it takes (an int32): a script past ~2e9 instructions (seconds of pure Lua) is stopped.
    limits: { maxFuel: 2 ** 31 - 1 },
    host: {
      redisCall: (args) => (current === null ? NO_HOST() : current.call(args, false)),
      redisPcall: (args) => (current === null ? NO_HOST() : current.call(args, true)),
      log: (level, message) => current?.log(level, message),
    },
    redisProps: {
      REDIS_VERSION: { value: REDIS_COMPAT_VERSION },
      REDIS_VERSION_NUM: { value: versionNum(REDIS_COMPAT_VERSION) },
      REPL_NONE: { value: 0 },
      REPL_AOF: { value: 1 },
      REPL_SLAVE: { value: 2 },
      REPL_REPLICA: { value: 2 },
      REPL_ALL: { value: 3 },
      // Effects replication is the only kind (as in Redis 7): these change nothing.
      replicate_commands: { returns: true },
      set_repl: { returns: null },
      breakpoint: { returns: false },
      debug: { returns: null },
    },
  });
}

/**
 * Runs a script with KEYS and ARGV; `host` answers its calls while it
 * runs. Its code (script.ts) is a function whose first result is the
 * script's (Redis calls it with one result; the engine alone would keep
 * the last of `return a, b`); an error names the body's own SHA1.
 */
export function runScript(script: Script, keys: Uint8Array[], argv: Uint8Array[], host: ScriptHost): ReplyValue {
  const r = runCode(script.code, keys, argv, host);
  if (r !== null && typeof r === 'object' && 'err' in r && r.meta !== undefined) r.meta.sha = script.sha;
  return r;
}

/** Runs Lua code as it is (function libraries build their own, functions.ts). */
export function runCode(code: Uint8Array, keys: Uint8Array[], argv: Uint8Array[], host: ScriptHost): ReplyValue {
  if (engine === null) throw new Error('the Lua engine is not started');
  const before = current;
  current = host;
  try {
    return engine.evalWithArgs(code, keys, argv);
  } finally {
    current = before;
  }
}

/** SHA1 of a script body, as EVALSHA names it (lower-case hex). */
export function scriptSha(body: Uint8Array): string {
  return createHash('sha1').update(body).digest('hex');
}
