/**
 * Loading dir/dbfilename at start. Every thread reads the file and keeps
 * the keys its shard owns, so the work spreads over all threads and no key
 * crosses a ring. Keys already expired are skipped, as a Redis master skips
 * them. A file that cannot be read whole stops the server: its error names
 * the file and the byte offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Keyspace } from '../shard/keyspace.js';
import { lruClock } from '../shard/keyspace.js';
import { readRdb } from './rdb-reader.js';
import { RdbError } from './rdb-value.js';
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

/**
 * Loads the keys of `mine` from the RDB file at dir/name into ks; null
 * when there is no file. Throws an Error naming the file on a bad file.
 */
export function loadRdbFile(dir: string, name: string, ks: Keyspace, tunables: Int32Array, mine: (key: Uint8Array) => boolean, now: number): LoadResult | null {
  const file = path.join(dir, name);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Fatal error loading the DB ${file}: ${(err as Error).message}`);
  }
  const res: LoadResult = { keys: 0, total: 0, expired: 0, version: 0 };
  const lru = lruClock(now);
  try {
    const { version } = readRdb(buf, (e) => {
      res.total++;
      if (!mine(e.key)) return;
      if (e.expireAt >= 0 && e.expireAt <= now) {
        res.expired++;
        return;
      }
      const existing = ks.lookup(e.db, e.key, 0, e.key.length, now);
      const h = storeValue(ks, tunables, e.db, e.key, 0, e.key.length, existing, e.value, e.idle >= 0 ? (lru - e.idle) & 0xffffff : lru);
      if (h === 0) return;
      if (e.expireAt >= 0) ks.setExpire(e.db, h, e.expireAt);
      res.keys++;
    });
    res.version = version;
  } catch (err) {
    // An RdbError's message names the byte offset already.
    const what = err instanceof RdbError ? err.message : `${(err as Error).message} (after ${res.total} keys)`;
    throw new Error(`Bad file format reading the DB ${file}: ${what}`);
  }
  return res;
}
