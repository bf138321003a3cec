/** SORT and SORT_RO (generic group; see catalog/define.ts for the fields). */
import type { CommandMeta, KeySpec } from './meta.js';
import { ONE_KEY, def, ks } from './define.js';

const COMPLEXITY =
  'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).';

const PATTERN_KEYS: KeySpec = {
  flags: ['RO', 'access'],
  beginSearch: { type: 'unknown' },
  findKeys: { type: 'unknown' },
  notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
};

const STORE_KEY: KeySpec = {
  flags: ['OW', 'update'],
  beginSearch: { type: 'unknown' },
  findKeys: { type: 'unknown' },
  notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
};

const ACL = ['set', 'sortedset', 'list', 'slow', 'dangerous'];

export const GENERIC_SORT: CommandMeta[] = [
  def({
    name: 'sort', arity: -2, flags: ['write', 'denyoom', 'movablekeys'], keys: ONE_KEY,
    acl: ['write', ...ACL],
    keySpecs: [ks(['RO', 'access'], 1), PATTERN_KEYS, STORE_KEY],
    group: 'generic', since: '1.0.0',
    summary: 'Sort the elements in a list, set or sorted set',
    complexity: COMPLEXITY,
    // The key's shard; sort-across.ts takes over when patterns or STORE reach other shards.
    route: 'keys',
  }),
  def({
    name: 'sort_ro', arity: -2, flags: ['readonly', 'movablekeys'], keys: ONE_KEY,
    acl: ['read', ...ACL],
    keySpecs: [ks(['RO', 'access'], 1), PATTERN_KEYS],
    group: 'generic', since: '7.0.0',
    summary: 'Sort the elements in a list, set or sorted set. Read-only variant of SORT.',
    complexity: COMPLEXITY, route: 'keys',
  }),
];
