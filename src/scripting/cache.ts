/**
 * The scripts this thread knows by SHA1 (EVALSHA). Every thread holds all
 * of them: SCRIPT LOAD, and the first EVAL of a script, put it in every
 * thread's cache before answering, so an EVALSHA finds it whichever shard
 * it runs on.
 */
const scripts = new Map<string, Uint8Array>();

export const scriptCache = {
  get(sha: string): Uint8Array | undefined {
    return scripts.get(sha);
  },
  has(sha: string): boolean {
    return scripts.has(sha);
  },
  set(sha: string, body: Uint8Array): void {
    scripts.set(sha, body);
  },
  clear(): void {
    scripts.clear();
  },
  get size(): number {
    return scripts.size;
  },
};
