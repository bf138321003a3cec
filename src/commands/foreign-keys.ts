/**
 * Commands that read keys of other shards and write (at most) their first
 * key (SINTER, SUNIONSTORE, ZUNION, ZRANGESTORE ...) cross shards with no
 * code of their own: under locks on all their keys, the keys that live off
 * the first key's shard are exported, and the command runs on the first
 * key's shard with those blobs attached (REQ_FOREIGN_KEYS), where
 * `Exec.lookup` finds them. Their handler is the single-shard one.
 */
import type { Across, AcrossJob, CrossShard } from './across.js';
import { REQ_FOREIGN_KEYS } from '../transport/frames.js';

const readForeignKeys: Across = (job) => runWithForeignKeys(job, job.keys);

/**
 * Runs the command on the shard of key argument `keys[0]` with the values of
 * the other keys that live elsewhere attached (for a command whose written
 * key is not its first, as GEORADIUS ... STORE).
 */
export function runWithForeignKeys(job: AcrossJob, keys: number[]): Promise<Uint8Array | null> {
  const { args, hops } = job;
  const plan = job.plan();
  for (const k of keys) plan.add(job.db, args[k]);
  const home = hops.shardOf(args[keys[0]]);
  const foreign = keys.filter((k) => hops.shardOf(args[k]) !== home);
  return job.locked(plan, async (tx) => {
    const blobs = await Promise.all(foreign.map((k) => tx.exportKey(hops.shardOf(args[k]), args[k], { read: true })));
    const index = new Uint8Array(foreign.length * 2);
    foreign.forEach((k, j) => {
      index[2 * j] = k & 255;
      index[2 * j + 1] = k >>> 8;
    });
    const attached = blobs.map((b) => b ?? new Uint8Array(0));
    // As typed: a few errors quote it (GEOSEARCHSTORE's).
    const name = Buffer.from(args[0]).toString('latin1');
    return tx.call(home, name, [...args.slice(1), ...attached, index], tx.db, REQ_FOREIGN_KEYS);
  });
}

/** The strategy of a command that reads other shards' keys and writes at most its first key. */
export const foreignKeys: CrossShard = { kind: 'hops', run: readForeignKeys };
