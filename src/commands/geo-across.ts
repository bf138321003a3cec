/**
 * The geo family across shards. GEOSEARCHSTORE writes its first key and
 * reads its second: the foreign-keys path. GEORADIUS and GEORADIUSBYMEMBER
 * write the key after their last STORE or STOREDIST, which their key specs
 * cannot pin down (the first of several is what the specs find, the last
 * one wins): they run on that key's shard with the source attached, and
 * need those hops even when the specs' keys share a shard.
 */
import type { Across, CrossShard } from './across.js';
import { foreignKeys, runWithForeignKeys } from './foreign-keys.js';

/** GEORADIUS[BYMEMBER] ... STORE|STOREDIST key: the key argument the command writes (the last one given), or -1. */
function georadiusStoreKey(args: Uint8Array[], byMember: boolean): number {
  let store = -1;
  const lower = (a: Uint8Array): string => Buffer.from(a).toString('latin1').split('\0')[0].toLowerCase();
  for (let i = byMember ? 5 : 6; i < args.length; i++) {
    const o = lower(args[i]);
    if (o === 'count' && i + 1 < args.length) i++;
    else if ((o === 'store' || o === 'storedist') && i + 1 < args.length) store = ++i;
  }
  return store;
}

function storeAcross(byMember: boolean): CrossShard {
  const run: Across = (job) => {
    const store = georadiusStoreKey(job.args, byMember);
    return runWithForeignKeys(job, store > 0 ? [store, 1] : [1]);
  };
  return {
    kind: 'hops',
    run,
    hidden: {
      needed(args, shardOf) {
        const store = georadiusStoreKey(args, byMember);
        return store > 0 && shardOf(args[store]) !== shardOf(args[1]);
      },
      lock(plan, db, args) {
        if (args.length < 2) return;
        plan.add(db, args[1]);
        const store = georadiusStoreKey(args, byMember);
        if (store > 0) plan.add(db, args[store]);
      },
    },
  };
}

export const geoAcross: Record<string, CrossShard> = {
  geosearchstore: foreignKeys,
  georadius: storeAcross(false),
  georadiusbymember: storeAcross(true),
};
