/**
 * Every family's cross-shard strategies, by full command name (across.ts
 * says what each kind does). The command table joins this with the catalog
 * and the handlers; a multi-key command with no entry here answers an error
 * naming hash tags when its keys span shards.
 */
import type { CrossShard } from './across.js';
import { keysAcross } from './keys-across.js';
import { listsAcross } from './lists-across.js';
import { setsAcross } from './sets-across.js';
import { sortAcrossTable } from './sort-across.js';
import { sortedSetsAcross } from './sorted-sets-across.js';
import { geoAcross } from './geo-across.js';
import { stringsAcross } from './strings-across.js';
import { bitmapsAcross } from './bitmaps-across.js';
import { scriptingAcross } from './scripting-across.js';
import { hyperloglogAcross } from './hyperloglog-across.js';
import { streamsAcross } from './streams-across.js';

export const CROSS_SHARD: Readonly<Record<string, CrossShard>> = {
  ...keysAcross,
  ...stringsAcross,
  ...bitmapsAcross,
  ...listsAcross,
  ...setsAcross,
  ...sortedSetsAcross,
  ...geoAcross,
  ...sortAcrossTable,
  ...scriptingAcross,
  ...hyperloglogAcross,
  ...streamsAcross,
};
