/**
 * The HyperLogLog family across shards. PFCOUNT of several keys and PFMERGE
 * read keys of other shards and write at most their first key (PFCOUNT
 * writes none with several keys): the foreign-key strategy fits as is. The
 * values of the keys off the first key's shard are read there (as reads:
 * hits, misses and keymiss events on their own shard) and the command runs
 * on the first key's shard over them, checking and merging them in order.
 */
import type { CrossShard } from './across.js';
import { foreignKeys } from './foreign-keys.js';

export const hyperloglogAcross: Record<string, CrossShard> = {
  pfcount: foreignKeys,
  pfmerge: foreignKeys,
};
