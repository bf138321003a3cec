/**
 * The bitmap family across shards: BITOP reads source keys that live on
 * other shards and writes its destination, through the foreign-keys path
 * (the sources are exported, the command runs on the destination's shard).
 */
import type { CrossShard } from './across.js';
import { foreignKeys } from './foreign-keys.js';

export const bitmapsAcross: Record<string, CrossShard> = {
  bitop: foreignKeys,
};
