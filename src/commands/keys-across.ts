/**
 * The generic keyspace family across shards: DEL, UNLINK, EXISTS, TOUCH
 * split by shard; DBSIZE, KEYS, FLUSHDB, FLUSHALL, SWAPDB, RANDOMKEY on
 * every shard; SCAN by cursor; RENAME, RENAMENX and COPY as hops that move
 * the value between shards (EXPORT on one, IMPORT on the other).
 */
import type { Across, AcrossJob, CrossShard } from './across.js';
import { dbIndexError, parseDb } from './db-index.js';
import { mergeAllOk, mergeConcat, mergeRandomKey, mergeSum } from './mergers.js';
import { bytes } from '../scheduler/transaction.js';
import type { FrameArgs } from '../transport/frames.js';
import { migrateAcross } from './migrate.js';

const OK = bytes('+OK\r\n');
const ONE = bytes(':1\r\n');
const ZERO = bytes(':0\r\n');
const NO_SUCH_KEY = bytes('-ERR no such key\r\n');

const text = (a: Uint8Array): string => Buffer.from(a).toString('latin1');

/**
 * RENAME / RENAMENX with the two keys on different shards. Redis's order of
 * checks: a missing source is an error even when NX would refuse; NX
 * refuses an existing destination; the TTL moves with the value.
 */
function renameAcross(nx: boolean): Across {
  return (job) => {
    const [src, dst] = [job.args[1], job.args[2]];
    const a = job.hops.shardOf(src);
    const b = job.hops.shardOf(dst);
    return job.locked(job.plan().add(job.db, src).add(job.db, dst), async (tx) => {
      const blob = await tx.exportKey(a, src);
      if (blob === null) return NO_SUCH_KEY;
      if (!(await tx.importKey(b, dst, blob, nx, job.db, 'rename_to'))) return ZERO;
      await tx.exportKey(a, src, { del: true, event: 'rename_from' });
      return nx ? ONE : OK;
    });
  };
}

/** COPY's options ([DB n] [REPLACE]) checked as Redis does; an error text on failure. */
function copyOptions(args: Uint8Array[], db: number): { db: number; replace: boolean } | string {
  let replace = false;
  for (let j = 3; j < args.length; j++) {
    const opt = text(args[j]).toLowerCase();
    if (opt === 'replace') replace = true;
    else if (opt === 'db' && j + 1 < args.length) {
      const d = parseDb(text(args[++j]));
      const err = dbIndexError(d);
      if (err !== null) return err;
      db = d as number;
    } else return 'ERR syntax error';
  }
  return { db, replace };
}

/** COPY with the destination on another shard. */
const copyAcross: Across = async (job: AcrossJob) => {
  const opts = copyOptions(job.args, job.db);
  if (typeof opts === 'string') return bytes(`-${opts}\r\n`);
  const [src, dst] = [job.args[1], job.args[2]];
  const a = job.hops.shardOf(src);
  const b = job.hops.shardOf(dst);
  return job.locked(job.plan().add(job.db, src).add(opts.db, dst), async (tx) => {
    const blob = await tx.exportKey(a, src, { read: true });
    if (blob === null) return ZERO;
    return (await tx.importKey(b, dst, blob, !opts.replace, opts.db, 'copy_to')) ? ONE : ZERO;
  });
};

const arg = (a: FrameArgs, i: number): string => Buffer.from(a.argBuf.subarray(a.argOff[i], a.argOff[i] + a.argLen[i])).toString('latin1');

const flushCheck = (args: FrameArgs): string | null => {
  if (args.argc > 2) return 'ERR syntax error';
  if (args.argc === 2) {
    const mode = arg(args, 1).toLowerCase();
    if (mode !== 'async' && mode !== 'sync') return 'ERR syntax error';
  }
  return null;
};

/** SWAPDB's indexes: any failure is "invalid ... DB index", as Redis words it. */
const swapdbCheck = (args: FrameArgs): string | null => {
  const a = parseDb(arg(args, 1));
  const b = parseDb(arg(args, 2));
  if (typeof a !== 'number') return 'ERR invalid first DB index';
  if (typeof b !== 'number') return 'ERR invalid second DB index';
  if (a < 0 || a >= 16 || b < 0 || b >= 16) return 'ERR DB index is out of range';
  return null;
};

/** MIGRATE always takes its hops, even with its keys on one shard: it talks to another server. */
const migrate: CrossShard = { kind: 'hops', run: migrateAcross, hidden: { needed: () => true, lock: () => {} } };

export const keysAcross: Record<string, CrossShard> = {
  migrate,
  del: { kind: 'split', merge: mergeSum },
  unlink: { kind: 'split', merge: mergeSum },
  exists: { kind: 'split', merge: mergeSum },
  touch: { kind: 'split', merge: mergeSum },
  dbsize: { kind: 'everyShard', merge: mergeSum },
  keys: { kind: 'everyShard', merge: mergeConcat },
  randomkey: { kind: 'everyShard', merge: mergeRandomKey },
  flushdb: { kind: 'everyShard', merge: mergeAllOk, check: flushCheck },
  flushall: { kind: 'everyShard', merge: mergeAllOk, check: flushCheck },
  swapdb: { kind: 'everyShard', merge: mergeAllOk, check: swapdbCheck },
  scan: { kind: 'cursor' },
  rename: { kind: 'hops', run: renameAcross(false) },
  renamenx: { kind: 'hops', run: renameAcross(true) },
  copy: { kind: 'hops', run: copyAcross },
};
