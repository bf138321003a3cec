/**
 * Function libraries (FUNCTION LOAD, FCALL), as Redis 7 has them. Every
 * thread holds every library (FUNCTION LOAD, DELETE and FLUSH reach all of
 * them before they answer). A library is its code: `#!lua name=<lib>`,
 * then Lua that calls redis.register_function. The engine runs each script
 * in a fresh state, so a function is called by running its library's code
 * again with register_function collecting the callbacks, then calling the
 * one named (the code registers, and does nothing else, at top level).
 * The collecting wrapper sits on the shebang's line, so the library's own
 * lines keep their numbers.
 */
import type { ReplyValue } from './engine.js';

export interface LuaFunction {
  name: string;
  library: string;
  flags: string[];
  description: string | null;
}

export interface Library {
  name: string;
  /** The code as loaded, shebang included (FUNCTION LIST WITHCODE). */
  code: Uint8Array;
  functions: LuaFunction[];
  /** The body the engine runs to call a function (see `callCode`). */
  body: Buffer;
}

const FUNCTION_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);
const NAME = /^[A-Za-z0-9_]+$/;

// On the shebang's line: register_function collects (name, callback, flags, description) into __fns.
const PRELUDE =
  'local __fns, __order = {}, {} local __real = redis ' +
  // redis.setresp also tells Shoal (script.ts RESP_SHADOW).
  "local __setresp = function(v) local n = tonumber(v) if n ~= 2 and n ~= 3 then error('ERR RESP version must be 2 or 3.', 0) end __real.setresp(n) __real.call('\\0setresp', n) end " +
  'local redis = setmetatable({setresp = __setresp, register_function = function(a, b) ' +
  "local name, cb, flags, desc if type(a) == 'table' then name, cb, flags, desc = a.function_name, a.callback, a.flags or {}, a.description else name, cb, flags = a, b, {} end " +
  "if type(name) ~= 'string' then error('wrong argument function_name given to redis.register_function') end " +
  "if type(cb) ~= 'function' then error('wrong argument callback given to redis.register_function') end " +
  "if __fns[name] ~= nil then error('Function ' .. name .. ' already exists in the library') end " +
  '__fns[name] = {cb, flags, desc} __order[#__order + 1] = name end}, {__index = function(_, k) ' +
  // While a library loads it may only register (Redis's load-time redis table has no call).
  "if __loading and (k == 'call' or k == 'pcall') then error(\"Script attempted to access nonexistent global variable '\" .. k .. \"'\", 2) end return __real[k] end})";

/** The code that, run by the engine, calls function `name` of the library with KEYS and ARGV (its first result). */
export function callCode(lib: Library, name: string): Buffer {
  return Buffer.concat([lib.body, Buffer.from(`\nreturn (__fns[${JSON.stringify(name)}][1](KEYS, ARGV))`)]);
}

/** The code that lists what the library registers: {name, {flags...}, description} per function. */
function listCode(rest: Buffer): Buffer {
  return Buffer.concat([Buffer.from('local __loading = true '), Buffer.from(PRELUDE), rest, Buffer.from('\nlocal out = {} for i, n in ipairs(__order) do local f = __fns[n] local fl = {} for j, x in ipairs(f[2]) do fl[#fl + 1] = x end out[#out + 1] = {n, fl, f[3] or false} end return out')]);
}

/** Reads `#!lua name=<lib>`; the code after the shebang's line, or an error text as Redis words it. */
function parseLibrary(code: Uint8Array): { name: string; rest: Buffer } | string {
  const b = Buffer.from(code.buffer, code.byteOffset, code.length);
  if (b.length < 2 || b[0] !== 0x23 || b[1] !== 0x21) return 'ERR Missing library metadata';
  const nl = b.indexOf(0x0a);
  const line = b.subarray(0, nl < 0 ? b.length : nl).toString('latin1');
  const parts = line.split(' ').filter((s) => s !== '');
  if (parts[0] !== '#!lua') return `ERR Engine '${parts[0].slice(2)}' not found`;
  let name: string | null = null;
  for (const p of parts.slice(1)) {
    if (!p.startsWith('name=')) return `ERR Invalid metadata value given: ${p}`;
    name = p.slice(5);
  }
  if (name === null) return 'ERR Library name was not given';
  if (!NAME.test(name)) return 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
  return { name, rest: nl < 0 ? Buffer.alloc(0) : b.subarray(nl) };
}

/** Runs code and gets its result (the engine, with no redis.call allowed while a library loads). */
export type RunCode = (code: Buffer) => ReplyValue;

export class FunctionRegistry {
  private readonly libraries = new Map<string, Library>();
  private readonly functions = new Map<string, LuaFunction>();

  get libraryCount(): number {
    return this.libraries.size;
  }

  get functionCount(): number {
    return this.functions.size;
  }

  find(name: string): { fn: LuaFunction; lib: Library } | undefined {
    const fn = this.functions.get(name);
    return fn === undefined ? undefined : { fn, lib: this.libraries.get(fn.library)! };
  }

  list(): Library[] {
    return [...this.libraries.values()];
  }

  /** FUNCTION LOAD: the library's name, or an error text. */
  load(code: Uint8Array, replace: boolean, run: RunCode): string | { error: string } {
    const parsed = parseLibrary(code);
    if (typeof parsed === 'string') return { error: parsed };
    const old = this.libraries.get(parsed.name);
    if (old !== undefined && !replace) return { error: `ERR Library '${parsed.name}' already exists` };
    const listed = run(listCode(parsed.rest));
    if (listed !== null && typeof listed === 'object' && !Array.isArray(listed) && 'err' in listed) {
      const text = `${listed.code ? `${listed.code.toString()} ` : ''}${listed.err.toString()}`.replace(/user_script:/g, 'user_function:');
      return { error: `ERR Error registering functions: ${text}` };
    }
    const entries = (Array.isArray(listed) ? listed : []) as [Buffer, Buffer[], Buffer | null][];
    if (entries.length === 0) return { error: 'ERR No functions registered' };
    const fns: LuaFunction[] = [];
    for (const [n, flags, desc] of entries) {
      const name = n.toString();
      if (!NAME.test(name)) return { error: 'ERR Function names can only contain letters, numbers, or underscores(_) and must be at least one character long' };
      const fl = flags.map((f) => f.toString());
      const bad = fl.find((f) => !FUNCTION_FLAGS.has(f));
      if (bad !== undefined) return { error: `ERR Error registering functions: unknown flag given` };
      const other = this.functions.get(name);
      if (other !== undefined && other.library !== parsed.name) return { error: `ERR Function ${name} already exists` };
      fns.push({ name, library: parsed.name, flags: fl, description: desc === null || !Buffer.isBuffer(desc) ? null : desc.toString() });
    }
    if (old !== undefined) this.delete(old.name);
    const lib: Library = { name: parsed.name, code, functions: fns, body: Buffer.concat([Buffer.from('local __loading = false '), Buffer.from(PRELUDE), parsed.rest]) };
    this.libraries.set(lib.name, lib);
    for (const f of fns) this.functions.set(f.name, f);
    return lib.name;
  }

  /** A copy (FUNCTION RESTORE tries the payload on it first: all or nothing). */
  clone(): FunctionRegistry {
    const r = new FunctionRegistry();
    for (const [k, v] of this.libraries) r.libraries.set(k, v);
    for (const [k, v] of this.functions) r.functions.set(k, v);
    return r;
  }

  /** Takes over another registry's libraries (a restore that worked on a copy). */
  adopt(other: FunctionRegistry): void {
    this.libraries.clear();
    this.functions.clear();
    for (const [k, v] of other.libraries) this.libraries.set(k, v);
    for (const [k, v] of other.functions) this.functions.set(k, v);
  }

  /** FUNCTION DELETE: whether the library was there. */
  delete(name: string): boolean {
    const lib = this.libraries.get(name);
    if (lib === undefined) return false;
    for (const f of lib.functions) this.functions.delete(f.name);
    this.libraries.delete(name);
    return true;
  }

  flush(): void {
    this.libraries.clear();
    this.functions.clear();
  }
}

/** This thread's libraries. */
export const functionRegistry = new FunctionRegistry();
