/**
 * SCRIPT LOAD, EXISTS, FLUSH, KILL and HELP on the client's thread, and
 * putting a script in every thread's cache (scripting/cache.ts) before a
 * client may name it by SHA1: SCRIPT LOAD answers, and the first EVAL of a
 * script runs, only once every thread has it.
 */
import { scriptCache } from '../scripting/cache.js';
import { scriptSha } from '../scripting/engine.js';
import { askThreads } from './clients-view.js';
import type { ThreadContext } from './context.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import { helpReply } from './connection-family.js';

/** Puts a script in every thread's cache (this one's at once); resolves when all have it. */
export async function cacheEverywhere(ctx: ThreadContext, sha: string, body: Uint8Array): Promise<void> {
  scriptCache.set(sha, body);
  await askThreads(ctx, 'script-load', { sha, body: Buffer.from(body).toString('base64') });
}

/** A thread's part of cacheEverywhere and SCRIPT FLUSH (threads/thread.ts calls it for OP_THREAD 'script-*'). */
export function scriptThreadOp(action: string, payload: { sha?: string; body?: string }): boolean {
  if (action === 'script-load') scriptCache.set(payload.sha!, Buffer.from(payload.body!, 'base64'));
  else if (action === 'script-flush') scriptCache.clear();
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

/** A script runs within one turn of its shard's thread, so none is ever running when SCRIPT KILL is read. */
function scriptKill(f: FrontCall): void {
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
  'script|kill': scriptKill,
  'script|help': (f) => helpReply(f, SCRIPT_HELP),
};
