/**
 * The scripts this thread knows by SHA1 (EVALSHA). Every thread holds all
 * of them: SCRIPT LOAD, and the first EVAL of a script, put it in every
 * thread's cache before answering, so an EVALSHA finds it whichever shard
 * it runs on.
 */
import { type Script, prepareScript } from './script.js';

const scripts = new Map<string, Script>();

export const scriptCache = {
  get(sha: string): Script | undefined {
    return scripts.get(sha);
  },
  has(sha: string): boolean {
    return scripts.has(sha);
  },
  /** Keeps a script (prepared once); returns it. */
  set(sha: string, body: Uint8Array): Script {
    let s = scripts.get(sha);
    if (s === undefined) scripts.set(sha, (s = prepareScript(sha, body)));
    return s;
  },
  clear(): void {
    scripts.clear();
  },
  get size(): number {
    return scripts.size;
  },
  /** The scripts' bodies, in bytes (INFO's used_memory_scripts_eval). */
  get bytes(): number {
    let n = 0;
    for (const s of scripts.values()) n += s.body.length;
    return n;
  },
};
