/**
 * SCRIPT LOAD, EXISTS, FLUSH, KILL and HELP on the client's thread, and
 * putting a script in every thread's cache (scripting/cache.ts) before a
 * client may name it by SHA1: SCRIPT LOAD answers, and the first EVAL of a
 * script runs, only once every thread has it.
 */
import { scriptCache } from '../scripting/cache.js';
import { runCode, scriptSha } from '../scripting/engine.js';
import { FunctionRegistry, functionRegistry } from '../scripting/functions.js';
import { functionsPayload } from '../persistence/rdb-writer.js';
import { parseFunctionsPayload } from '../persistence/rdb-reader.js';
import { globMatch } from '../util/glob.js';
import { askThreads } from './clients-view.js';
import type { ThreadContext } from './context.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import { helpReply } from './connection-family.js';

/** Puts a script in every thread's cache (this one's at once); resolves when all have it. */
export async function cacheEverywhere(ctx: ThreadContext, sha: string, body: Uint8Array): Promise<void> {
  scriptCache.set(sha, body);
  await askThreads(ctx, 'script-load', { sha, body: Buffer.from(body).toString('base64') });
}

/** A thread's part of cacheEverywhere, SCRIPT FLUSH and FUNCTION LOAD/DELETE/FLUSH (threads/thread.ts calls it for OP_THREAD 'script-*', 'function-*'). */
export function scriptThreadOp(action: string, payload: { sha?: string; body?: string; code?: string; replace?: boolean; name?: string }): boolean {
  if (action === 'script-load') scriptCache.set(payload.sha!, Buffer.from(payload.body!, 'base64'));
  else if (action === 'script-flush') scriptCache.clear();
  else if (action === 'function-load') loadLibrary(Buffer.from(payload.code!, 'base64'), payload.replace ?? false);
  else if (action === 'function-delete') functionRegistry.delete(payload.name!);
  else if (action === 'function-flush') functionRegistry.flush();
  else if (action === 'function-restore') restoreLibraries(Buffer.from(payload.code!, 'base64'), payload.name!);
  else return false;
  return true;
}

function scriptLoad(f: FrontCall): void {
  const body = f.argBytes(2);
  const sha = scriptSha(body);
  f.later(cacheEverywhere(f.thread, sha, body), (w) => w.bulkString(sha));
}

function scriptExists(f: FrontCall): void {
  f.w.array(f.argc - 2);
  for (let i = 2; i < f.argc; i++) f.w.int(scriptCache.has(f.arg(i).toLowerCase()) ? 1 : 0);
}

function scriptFlush(f: FrontCall): void {
  if (f.argc > 3 || (f.argc === 3 && !f.argIs(2, 'sync') && !f.argIs(2, 'async'))) return f.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  // This thread's cache at once: the client's next command (SCRIPT EXISTS) already finds it empty.
  scriptCache.clear();
  f.later(askThreads(f.thread, 'script-flush', {}), (w) => w.ok());
}

/**
 * SCRIPT KILL and FUNCTION KILL: a script runs synchronously on its thread,
 * so it is another thread that reads the KILL: it asks the script to stop
 * (the script fails at its next call), unless the script has written.
 */
function killScript(f: FrontCall): void {
  const watch = f.thread.scriptWatch;
  for (let t = 0; t < watch.threads; t++) {
    if (watch.startedAt(t) === 0) continue;
    if (watch.hasWritten(t)) {
      return f.error('UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.');
    }
    watch.kill(t);
    return f.w.ok();
  }
  f.error('NOTBUSY No scripts in execution right now.');
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

export const scriptingFrontHandlers: Record<string, FrontHandler> = {
  'script|load': scriptLoad,
  'script|exists': scriptExists,
  'script|flush': scriptFlush,
  'script|kill': killScript,
  'script|help': (f) => helpReply(f, SCRIPT_HELP),
};

// ---- FUNCTION -------------------------------------------------------------------------

/** Loads a library's code on this thread: its name, or an error text (the code never calls Redis while it loads). */
export function loadLibrary(code: Uint8Array, replace: boolean, into: FunctionRegistry = functionRegistry): string | { error: string } {
  return into.load(code, replace, (c) => runCode(c, [], [], LOAD_HOST));
}

/**
 * FUNCTION RESTORE on this thread: the payload's libraries with a policy
 * (FLUSH first, APPEND only new libraries, REPLACE libraries of the same
 * name), all or nothing; an error text, or null.
 */
export function restoreLibraries(payload: Uint8Array, policy: string): string | null {
  let codes: Uint8Array[];
  try {
    codes = parseFunctionsPayload(payload);
  } catch (err) {
    return `ERR ${(err as Error).message}`;
  }
  const trial = policy === 'flush' ? new FunctionRegistry() : functionRegistry.clone();
  for (const code of codes) {
    const r = loadLibrary(code, policy === 'replace', trial);
    // RESTORE words a library that is there without FUNCTION LOAD's quotes.
    if (typeof r !== 'string') return r.error.replace(/^ERR Library '(.*)' already exists$/s, 'ERR Library $1 already exists');
  }
  functionRegistry.adopt(trial);
  return null;
}

const LOAD_HOST = {
  call: () => ({ err: Buffer.from('redis.call is not available while a library loads'), code: Buffer.from('ERR') }),
  log: () => {},
};

function functionLoad(f: FrontCall): void {
  let replace = false;
  let i = 2;
  for (; i < f.argc - 1; i++) {
    if (f.argIs(i, 'replace')) replace = true;
    else return f.error(`ERR Unknown option given: ${f.arg(i)}`);
  }
  const code = f.argBytes(f.argc - 1);
  const loaded = loadLibrary(code, replace);
  if (typeof loaded !== 'string') return f.error(loaded.error);
  f.thread.propagate(['FUNCTION', 'LOAD', ...(replace ? ['REPLACE'] : []), code]);
  const payload = { code: Buffer.from(code).toString('base64'), replace: true };
  f.later(askThreads(f.thread, 'function-load', payload), (w) => w.bulkString(loaded));
}

function functionDelete(f: FrontCall): void {
  const name = f.arg(2);
  if (!functionRegistry.delete(name)) return f.error('ERR Library not found');
  f.thread.propagate(['FUNCTION', 'DELETE', name]);
  f.later(askThreads(f.thread, 'function-delete', { name }), (w) => w.ok());
}

function functionFlush(f: FrontCall): void {
  if (f.argc > 3 || (f.argc === 3 && !f.argIs(2, 'sync') && !f.argIs(2, 'async'))) return f.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  functionRegistry.flush();
  f.thread.propagate(['FUNCTION', 'FLUSH']);
  f.later(askThreads(f.thread, 'function-flush', {}), (w) => w.ok());
}

function functionList(f: FrontCall): void {
  let pattern: Uint8Array | null = null;
  let withCode = false;
  for (let i = 2; i < f.argc; i++) {
    if (f.argIs(i, 'withcode') && !withCode) withCode = true;
    else if (f.argIs(i, 'libraryname') && pattern === null) {
      if (i + 1 >= f.argc) return f.error('ERR library name argument was not given');
      pattern = f.argBytes(++i);
    } else return f.error(`ERR Unknown argument ${f.arg(i)}`);
  }
  const libs = functionRegistry.list().filter((l) => {
    if (pattern === null) return true;
    const n = Buffer.from(l.name);
    return globMatch(pattern, 0, pattern.length, n, 0, n.length, false);
  });
  const w = f.w;
  w.array(libs.length);
  for (const lib of libs) {
    w.map(withCode ? 4 : 3);
    w.bulkString('library_name');
    w.bulkString(lib.name);
    w.bulkString('engine');
    w.bulkString('LUA');
    w.bulkString('functions');
    w.array(lib.functions.length);
    for (const fn of lib.functions) {
      w.map(3);
      w.bulkString('name');
      w.bulkString(fn.name);
      w.bulkString('description');
      if (fn.description === null) w.nullBulk();
      else w.bulkString(fn.description);
      w.bulkString('flags');
      w.set(fn.flags.length);
      for (const flag of fn.flags) w.simple(flag);
    }
    if (withCode) {
      w.bulkString('library_code');
      w.bulk(lib.code, 0, lib.code.length);
    }
  }
}

function functionStats(f: FrontCall): void {
  const w = f.w;
  w.map(2);
  w.bulkString('running_script');
  w.nullBulk();
  w.bulkString('engines');
  w.map(1);
  w.bulkString('LUA');
  w.map(2);
  w.bulkString('libraries_count');
  w.int(functionRegistry.libraryCount);
  w.bulkString('functions_count');
  w.int(functionRegistry.functionCount);
}

function functionDump(f: FrontCall): void {
  const payload = functionsPayload(functionRegistry.list().map((l) => l.code));
  f.w.bulk(payload, 0, payload.length);
}

function functionRestore(f: FrontCall): void {
  if (f.argc > 4) return f.error('ERR syntax error');
  const policy = f.argc === 4 ? f.arg(3).toLowerCase() : 'append';
  if (policy !== 'flush' && policy !== 'append' && policy !== 'replace') return f.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
  const payload = f.argBytes(2);
  const err = restoreLibraries(payload, policy);
  if (err !== null) return f.error(err);
  f.thread.propagate(['FUNCTION', 'RESTORE', payload, policy.toUpperCase()]);
  f.later(askThreads(f.thread, 'function-restore', { code: Buffer.from(payload).toString('base64'), name: policy }), (w) => w.ok());
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

export const functionFrontHandlers: Record<string, FrontHandler> = {
  'function|load': functionLoad,
  'function|delete': functionDelete,
  'function|flush': functionFlush,
  'function|list': functionList,
  'function|stats': functionStats,
  'function|kill': killScript,
  'function|dump': functionDump,
  'function|restore': functionRestore,
  'function|help': (f) => helpReply(f, FUNCTION_HELP),
};
