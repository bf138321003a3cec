/**
 * SAVE and BGSAVE: one point-in-time snapshot of every shard, written as a
 * Redis RDB file (version 10).
 *
 * The thread that runs the command coordinates: under one keyspace-wide lock
 * (a single txid, so every shard stops at the same point in the global
 * order) it asks each shard for its share (`rdb-part`, commands/persistence
 * .ts), lets the lock go, and writes the file: header and aux fields, then
 * per database SELECTDB and RESIZEDB with the shards' totals followed by
 * their records, EOF and the CRC-64 of everything before it. The file is
 * written as temp-<pid>-<n>.rdb, fsynced, and renamed over `dbfilename`, so
 * a crash never leaves a half-written dump where the server loads from.
 *
 * What this costs (docs/persistence.md): each shard is held for the time it
 * takes to serialize its keys, and the serialized shares are held in memory
 * until the file is written. The bucket-by-bucket walk that keeps writes
 * going during BGSAVE is the next step.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { LockPlan, bulkOrNull, withLocks, type Hops } from '../scheduler/transaction.js';
import { RdbWriter } from './rdb-writer.js';
import { DEFAULT_LIMITS } from './rdb-value.js';
import { REDIS_COMPAT_VERSION, SHOAL_VERSION } from '../config/version.js';

/** What a snapshot needs from the thread that runs it. */
export interface SnapshotHost extends Hops {
  readonly config: { get(name: string): string };
}

let fileSeq = 0;

/**
 * Takes a snapshot of every shard and writes it to dir/dbfilename. Resolves
 * with the change count it captured; rejects (with the file left untouched)
 * when a shard or the disk fails.
 */
export async function saveSnapshot(host: SnapshotHost, dirty: number): Promise<number> {
  const plan = new LockPlan(host);
  plan.wide = true;
  const caller = { conn: 0, db: 0, resp3: false };
  const parts = await withLocks(host, caller, plan, 0, (tx) =>
    Promise.all(Array.from({ length: host.shards }, (_, s) => tx.call(s, 'rdb-part', [], 0))),
  );
  const shares = parts.map((reply, s) => {
    const body = bulkOrNull(reply);
    if (body === null) throw new Error(`shard ${s} could not serialize its keys: ${Buffer.from(reply).toString('latin1').trim()}`);
    return body;
  });
  await writeRdbFile(host.config.get('dir'), host.config.get('dbfilename'), assemble(shares, host.config.get('rdbchecksum') === 'yes'));
  return dirty;
}

/** The whole file from the shards' shares (layout in commands/persistence.ts rdbPart). */
function assemble(shares: Uint8Array[], checksum: boolean): Uint8Array[] {
  const byDb = new Map<number, { keys: number; expires: number; bodies: Uint8Array[] }>();
  for (const share of shares) {
    const dv = new DataView(share.buffer, share.byteOffset, share.byteLength);
    let p = 0;
    while (p < share.length) {
      const db = dv.getUint32(p, true);
      const keys = dv.getUint32(p + 4, true);
      const expires = dv.getUint32(p + 8, true);
      const len = dv.getUint32(p + 12, true);
      let d = byDb.get(db);
      if (d === undefined) byDb.set(db, (d = { keys: 0, expires: 0, bodies: [] }));
      d.keys += keys;
      d.expires += expires;
      d.bodies.push(share.subarray(p + 16, p + 16 + len));
      p += 16 + len;
    }
  }
  const w = new RdbWriter({ compress: false, checksum, limits: DEFAULT_LIMITS });
  w.header(10);
  w.aux('redis-ver', REDIS_COMPAT_VERSION);
  w.aux('redis-bits', 64);
  w.aux('ctime', Math.floor(Date.now() / 1000));
  w.aux('used-mem', process.memoryUsage().rss);
  w.aux('aof-base', 0);
  w.aux('shoal-ver', SHOAL_VERSION);
  const out: Uint8Array[] = [];
  for (const db of [...byDb.keys()].sort((a, b) => a - b)) {
    const d = byDb.get(db)!;
    w.selectDb(db);
    w.resizeDb(d.keys, d.expires);
    for (const body of d.bodies) w.append(body);
    out.push(w.take());
  }
  w.finish();
  out.push(w.take());
  return out;
}

/** Writes the chunks to a temporary file in dir, syncs it, and renames it over dir/name. */
async function writeRdbFile(dir: string, name: string, chunks: Uint8Array[]): Promise<void> {
  const tmp = path.join(dir, `temp-${process.pid}-${++fileSeq}.rdb`);
  const fh = await fs.open(tmp, 'w');
  try {
    for (const c of chunks) await fh.write(c);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fs.rename(tmp, path.join(dir, name));
}

