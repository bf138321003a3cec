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

export type { ReplyValue };

/** What a running script's redis.call, redis.pcall and redis.log reach. */
export interface ScriptHost {
  call(args: Buffer[], pcall: boolean): ReplyValue;
  log(level: number, message: Buffer): void;
}

let engine: LuaWasmEngine | null = null;
let current: ScriptHost | null = null;

/**
 * The engine's own entry points under its evalWithArgs. That method hashes
 * the script in JS on every run (only to name it in errors) and builds its
 * argument block from a Buffer per argument: 2.8 µs of a short script's
 * 10 µs, measured. Shoal knows the SHA already and writes the block
 * straight into WASM memory. These are the package's internals, so its
 * version is pinned (package.json) and `startScripting` checks they exist.
 */
interface EngineCore {
  exports: {
    HEAPU8: Uint8Array;
    _alloc(size: number): number;
    _free_mem(ptr: number): void;
  };
  callEvalWithArgs(scriptPtr: number, scriptLen: number, argsPtr: number, argsLen: number, keyCount: number): unknown;
  decodeResult(result: unknown, sha: string): ReplyValue;
}
let core: EngineCore | null = null;

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
  const inner = (engine as unknown as { engine?: Partial<EngineCore> }).engine;
  if (
    typeof inner?.callEvalWithArgs !== 'function' ||
    typeof inner.decodeResult !== 'function' ||
    typeof inner.exports?._alloc !== 'function'
  ) {
    throw new Error('lua-redis-wasm is not the version Shoal was built for (see package.json)');
  }
  core = inner as EngineCore;
}

/**
 * Runs Lua code with KEYS and ARGV; `host` answers its calls while it
 * runs. A script's code (script.ts) is a function whose first result is
 * the reply; function libraries build their own (functions.ts). `sha`
 * names the code in the errors that stop it.
 */
export function runCode(code: Uint8Array, keys: Uint8Array[], argv: Uint8Array[], host: ScriptHost, sha = ''): ReplyValue {
  if (core === null) throw new Error('the Lua engine is not started');
  const before = current;
  current = host;
  const { exports } = core;
  // The argument block: [count u32le] then [length u32le][bytes] per key, then per argument.
  let argsLen = 4;
  for (const k of keys) argsLen += 4 + k.length;
  for (const a of argv) argsLen += 4 + a.length;
  const codePtr = exports._alloc(code.length);
  const argsPtr = exports._alloc(argsLen);
  try {
    const heap = exports.HEAPU8;
    heap.set(code, codePtr);
    let at = writeU32(heap, argsPtr, keys.length + argv.length);
    for (const k of keys) {
      heap.set(k, (at = writeU32(heap, at, k.length)));
      at += k.length;
    }
    for (const a of argv) {
      heap.set(a, (at = writeU32(heap, at, a.length)));
      at += a.length;
    }
    return core.decodeResult(core.callEvalWithArgs(codePtr, code.length, argsPtr, argsLen, keys.length), sha);
  } finally {
    exports._free_mem(codePtr);
    exports._free_mem(argsPtr);
    current = before;
  }
}

/** Writes a little-endian u32 at `at`; returns the offset after it. */
function writeU32(heap: Uint8Array, at: number, v: number): number {
  heap[at] = v & 0xff;
  heap[at + 1] = (v >>> 8) & 0xff;
  heap[at + 2] = (v >>> 16) & 0xff;
  heap[at + 3] = v >>> 24;
  return at + 4;
}

/** SHA1 of a script body, as EVALSHA names it (lower-case hex). */
export function scriptSha(body: Uint8Array): string {
  return createHash('sha1').update(body).digest('hex');
}
