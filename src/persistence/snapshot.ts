/**
 * SAVE and BGSAVE: one point-in-time snapshot of every shard, written as a
 * Redis RDB file (version 10).
 *
 * The thread that runs the command coordinates. Under one keyspace-wide
 * lock (a single txid, so every shard stops at the same point of the global
 * order) each shard marks the entries the snapshot holds (the barrier,
 * `snapshot-begin`). Then the thread pulls chunks of RDB records from all
 * shards at once (`snapshot-chunk`) and appends them to the file as they
 * come: header and aux fields first, EOF and the CRC-64 of everything before
 * it last. Each chunk selects its database, so chunks of different shards
 * may follow each other in any order.
 *
 * BGSAVE lets the lock go after the barrier: the shards go on serving while
 * they walk, and write an entry ahead of the walk when a command is about to
 * change it (persistence/shard-snapshot.ts). SAVE (and the saves of SHUTDOWN
 * and SIGTERM) keeps the lock until the end, holding every shard as Redis's
 * SAVE holds the server.
 *
 * The file is written as temp-<pid>-<n>.rdb, fsynced, and renamed over
 * `dbfilename`, so a crash never leaves a half-written dump where the server
 * loads from.
 */
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import path from 'node:path';
import { type Hops, type Tx, bulkOrNull, bytes, withEveryShard } from '../scheduler/transaction.js';
import { RdbWriter } from './rdb-writer.js';
import { DEFAULT_LIMITS } from './rdb-value.js';
import { REDIS_COMPAT_VERSION, SHOAL_VERSION } from '../config/version.js';

/** What a snapshot needs from the thread that runs it. */
export interface SnapshotHost extends Hops {
  readonly config: { get(name: string): string };
  /** The function libraries' code, saved before the keys (every thread holds them all). */
  functionCodes(): Uint8Array[];
}

let fileSeq = 0;

/** Snapshots act for no client. */
const NO_CLIENT = { conn: 0, db: 0, resp3: false };

/**
 * Bytes per chunk. A BGSAVE chunk holds its shard while it is serialized
 * (about 0.15 ms at 8 KiB), so commands queued behind it wait no longer than
 * that; SAVE holds the shards anyway, and takes bigger ones.
 */
const BACKGROUND_CHUNK = 8 * 1024;
const FOREGROUND_CHUNK = 256 * 1024;

/**
 * DEBUG RELOAD: under one keyspace-wide lock, a SAVE, then every shard
 * empties itself and loads its keys back from the file. Resolves with the
 * keys loaded.
 */
export async function reloadSnapshot(host: SnapshotHost): Promise<number> {
  return withEveryShard(host, NO_CLIENT, 0, async (tx, shards) => {
    await writeSnapshot(host, false, tx.txid);
    const args = [bytes(host.config.get('dir')), bytes(host.config.get('dbfilename'))];
    const replies = await Promise.all(shards.map((s) => tx.call(s, 'debug-reload-part', args, 0)));
    let keys = 0;
    for (const r of replies) {
      const text = Buffer.from(r).toString('latin1');
      if (r[0] !== 58 /* ':' */) throw new Error(text.slice(1).trim());
      keys += Number(text.slice(1).trim());
    }
    return keys;
  });
}

/**
 * Writes a snapshot of every shard to dir/dbfilename: in the background
 * (BGSAVE) or holding the shards (SAVE). Resolves with the bytes the shards
 * wrote ahead of their walk (entries about to change: the copy-on-write
 * analog); rejects, with the file left untouched, when a shard or the disk
 * fails.
 */
export async function writeSnapshot(host: SnapshotHost, background: boolean, inside = 0, target: SnapshotTarget = dumpTarget(host)): Promise<number> {
  const begin = (tx: Tx, shards: number[]) => Promise.all(shards.map((s) => tx.call(s, 'snapshot-begin', target.barrier, 0)));
  if (!background) {
    // `inside`: a transaction that holds every shard already (DEBUG RELOAD, FLUSHALL).
    return withEveryShard(host, NO_CLIENT, inside, async (tx, shards) => {
      await begin(tx, shards);
      return writeChunks(host, shards, tx.txid, FOREGROUND_CHUNK, target);
    });
  }
  const shards = await withEveryShard(host, NO_CLIENT, 0, async (tx, all) => {
    await begin(tx, all);
    return all;
  });
  return writeChunks(host, shards, 0, BACKGROUND_CHUNK, target);
}

/** Where a snapshot goes: dir/dbfilename for the dump; an AOF rewrite's base file is an RDB with `aof-base` set. */
export interface SnapshotTarget {
  dir: string;
  name: string;
  aofBase: boolean;
  /** Arguments of `snapshot-begin`: what the shards also do at the barrier (commands/persistence.ts). */
  barrier: Uint8Array[];
}

function dumpTarget(host: SnapshotHost): SnapshotTarget {
  return { dir: host.config.get('dir'), name: host.config.get('dbfilename'), aofBase: false, barrier: [] };
}

/** Pulls every shard's chunks (frames carrying `txid`, about `chunkBytes` each) into the file; resolves with the shards' early bytes. */
async function writeChunks(host: SnapshotHost, shards: number[], txid: number, chunkBytes: number, target: SnapshotTarget): Promise<number> {
  const dir = target.dir;
  const tmp = path.join(dir, `temp-${process.pid}-${++fileSeq}.rdb`);
  const w = new RdbWriter({ compress: false, checksum: host.config.get('rdbchecksum') === 'yes', limits: DEFAULT_LIMITS });
  const budget = bytes(String(chunkBytes));
  const request = (s: number, name: string) => host.request(s, host.handlerId(name), 0, [bytes(name), budget], txid, 0);
  let fh: fs.FileHandle | null = null;
  let early = 0;
  try {
    fh = await fs.open(tmp, 'w');
    const file = fh;
    writeRdbHeader(w, target.aofBase);
    for (const code of host.functionCodes()) w.functionLibrary(code);
    // Appends keep arrival order: one write at a time, each after the one before.
    let tail: Promise<unknown> = file.write(w.take());
    // The slices of one chunk follow each other in the file: a shard holds the
    // file from its first slice to its last.
    let fileFree: Promise<void> = Promise.resolve();
    const holdFile = async (): Promise<() => void> => {
      let free!: () => void;
      const prev = fileFree;
      fileFree = new Promise((r) => (free = r));
      await prev;
      return free;
    };
    await Promise.all(
      shards.map(async (s) => {
        let release: (() => void) | null = null;
        for (;;) {
          const reply = await request(s, 'snapshot-chunk');
          if (reply[0] === 58 /* ':' */) {
            early += Number(Buffer.from(reply.subarray(1, reply.length - 2)).toString('latin1'));
            return;
          }
          const body = bulkOrNull(reply);
          if (body === null || body.length === 0) throw new Error(`shard ${s} could not write its snapshot: ${Buffer.from(reply).toString('latin1').trim()}`);
          release ??= await holdFile();
          w.append(body.subarray(1));
          const chunk = w.take();
          tail = tail.then(() => file.write(chunk));
          if (body[0] === 0) {
            release();
            release = null;
          }
          // The disk sets the pace: the next chunk is asked for once this one is written.
          await tail;
        }
      }),
    );
    w.finish();
    await tail;
    await file.write(w.take());
    await file.sync();
    await file.close();
    fh = null;
    await fs.rename(tmp, path.join(dir, target.name));
    return early;
  } catch (err) {
    await fh?.close();
    await fs.rm(tmp, { force: true });
    await Promise.all(shards.map((s) => request(s, 'snapshot-abort')));
    throw err;
  }
}

/**
 * Removes the temporary files of snapshots a stopped server left in `dir`
 * (a SIGKILL or SHUTDOWN during a BGSAVE or an AOF rewrite): Shoal's
 * `temp-<pid>-<n>.rdb` and `temp-rewriteaof-bg-<pid>.rdb` of processes that
 * are gone, never another file.
 */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = fsSync.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^temp-(?:rewriteaof-bg-(\d+)|(\d+)-\d+)\.rdb$/.exec(n);
    // A live process's file (another server sharing the directory) is not stale.
    if (m !== null && !alive(Number(m[1] ?? m[2]))) fsSync.rmSync(path.join(dir, n), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** REDIS0010 and the aux fields Redis 7.0 writes (`aof-base` 1 in an AOF's base file). */
export function writeRdbHeader(w: RdbWriter, aofBase = false): void {
  w.header(10);
  w.aux('redis-ver', REDIS_COMPAT_VERSION);
  w.aux('redis-bits', 64);
  w.aux('ctime', Math.floor(Date.now() / 1000));
  w.aux('used-mem', process.memoryUsage().rss);
  w.aux('aof-base', aofBase ? 1 : 0);
  w.aux('shoal-ver', SHOAL_VERSION);
}
