/**
 * Loading dir/dbfilename. Every thread reads the file and keeps the keys
 * its shard owns, so the work spreads over all threads and no key crosses a
 * ring. Keys already expired are skipped, as a Redis master skips them. A
 * file that cannot be read whole stops the server: its error names the file
 * and the byte offset.
 *
 * At start a thread loads gradually (`loadGradually`): it yields to its
 * event loop every few milliseconds, so its clients get LOADING meanwhile
 * instead of waiting. DEBUG RELOAD loads at once (`loadRdbFile`), holding
 * the shards.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Keyspace } from '../shard/keyspace.js';
import { lruClock } from '../shard/keyspace.js';
import { type RdbProgress, rdbEntries } from './rdb-reader.js';
import { RdbError, type RdbEntry } from './rdb-value.js';
import { storeValue } from './values.js';

export interface LoadResult {
  /** Keys this shard took. */
  keys: number;
  /** Keys in the file (all shards). */
  total: number;
  /** Keys skipped because they had expired. */
  expired: number;
  version: number;
}

/** Where the keys go: a shard's keyspace, and which keys are its own. */
export interface LoadTarget {
  ks: Keyspace;
  tunables: Int32Array;
  mine: (key: Uint8Array) => boolean;
  now: number;
  /** Each function library in the file (every thread keeps them all). */
  onFunction?: (code: Uint8Array) => void;
}

/** The dump's bytes, or null when there is no file. Throws an Error naming the file when it cannot be read. */
export function readDump(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Fatal error loading the DB ${file}: ${(err as Error).message}`);
  }
}

/** Loads the target's keys from dir/name at once; null when there is no file. */
export function loadRdbFile(dir: string, name: string, t: LoadTarget): LoadResult | null {
  const file = path.join(dir, name);
  const buf = readDump(file);
  if (buf === null) return null;
  const res = newResult();
  const it = rdbEntries(buf, undefined, undefined, t.mine, t.onFunction);
  const lru = lruClock(t.now);
  try {
    for (;;) {
      const r = it.next();
      if (r.done === true) {
        res.version = r.value.version;
        return res;
      }
      store(t, r.value, res, lru);
    }
  } catch (err) {
    throw loadError(file, err, res);
  }
}

export interface GradualOptions {
  /** Run at most this long before yielding to the event loop. */
  sliceMs: number;
  /** Redis's key-load-delay: microseconds to wait per key this thread keeps (tests use it to watch a load happen). */
  keyDelayUs: number;
  /** Updated as the file is read. */
  progress: RdbProgress;
}

/** Loads the target's keys from the dump's bytes, yielding to the event loop between slices. */
export async function loadGradually(file: string, buf: Uint8Array, t: LoadTarget, opts: GradualOptions): Promise<LoadResult> {
  const res = newResult();
  const it = rdbEntries(buf, undefined, opts.progress, t.mine, t.onFunction);
  const lru = lruClock(t.now);
  try {
    for (;;) {
      const sliceEnd = performance.now() + opts.sliceMs;
      for (let n = 0; ; n++) {
        const r = it.next();
        if (r.done === true) {
          res.version = r.value.version;
          opts.progress.pos = buf.length;
          return res;
        }
        store(t, r.value, res, lru);
        if (opts.keyDelayUs > 0) spin(opts.keyDelayUs);
        if ((n & 63) === 63 && performance.now() >= sliceEnd) break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    throw loadError(file, err, res);
  }
}

function newResult(): LoadResult {
  return { keys: 0, total: 0, expired: 0, version: 0 };
}

function store(t: LoadTarget, e: RdbEntry, res: LoadResult, lru: number): void {
  res.total++;
  if (!t.mine(e.key)) return;
  if (e.expireAt >= 0 && e.expireAt <= t.now) {
    res.expired++;
    return;
  }
  const ks = t.ks;
  const existing = ks.lookup(e.db, e.key, 0, e.key.length, t.now);
  const h = storeValue(ks, t.tunables, e.db, e.key, 0, e.key.length, existing, e.value, e.idle >= 0 ? (lru - e.idle) & 0xffffff : lru, t.now);
  if (h === 0) return;
  if (e.expireAt >= 0) ks.setExpire(e.db, h, e.expireAt); // the handle is not used after
  res.keys++;
}

function loadError(file: string, err: unknown, res: LoadResult): Error {
  // An RdbError's message names the byte offset already.
  const what = err instanceof RdbError ? err.message : `${(err as Error).message} (after ${res.total} keys)`;
  return new Error(`Bad file format reading the DB ${file}: ${what}`);
}

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}
