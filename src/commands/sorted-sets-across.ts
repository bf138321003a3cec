/**
 * The sorted-set family across shards: ZUNION, ZINTER, ZDIFF (and their
 * STORE forms), ZINTERCARD and ZRANGESTORE through the foreign-keys path;
 * BZPOPMIN, BZPOPMAX, ZMPOP and BZMPOP as blocking pops over several shards.
 */
import type { CrossShard } from './across.js';
import { popAcross } from './blocking-pops.js';
import { foreignKeys } from './foreign-keys.js';

const pops: CrossShard = { kind: 'hops', run: popAcross };

export const sortedSetsAcross: Record<string, CrossShard> = {
  zunion: foreignKeys,
  zinter: foreignKeys,
  zdiff: foreignKeys,
  zunionstore: foreignKeys,
  zinterstore: foreignKeys,
  zdiffstore: foreignKeys,
  zintercard: foreignKeys,
  zrangestore: foreignKeys,
  bzpopmin: pops,
  bzpopmax: pops,
  zmpop: pops,
  bzmpop: pops,
};
