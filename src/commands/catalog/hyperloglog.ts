/** The HyperLogLog family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta } from './meta.js';
import { ALL_KEYS, ONE_KEY, def, ks } from './define.js';

export const HYPERLOGLOG: CommandMeta[] = [
  def({
    name: 'pfadd', arity: -2, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hyperloglog', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'hyperloglog', since: '2.8.9',
    summary: 'Adds elements to a HyperLogLog, creating it when missing',
    complexity: 'O(1) per element added.', route: 'keys',
  }),
  def({
    name: 'pfcount', arity: -2, flags: ['readonly'], keys: ALL_KEYS,
    acl: ['read', 'hyperloglog', 'slow'],
    keySpecs: [ks(['RW', 'access'], 1, -1, 1, 'RW because it may change the internal representation of the key, and propagate to replicas')],
    group: 'hyperloglog', since: '2.8.9',
    summary: 'Returns the estimated number of distinct elements added to one HyperLogLog, or to the union of several',
    complexity: 'O(1) for one key whose count is cached; O(N) for N keys, each merge costing a pass over 16384 registers.',
    // Keys on several shards: the values are read from theirs (hyperloglog-across.ts).
    route: 'keys',
  }),
  def({
    name: 'pfdebug', arity: 3, flags: ['write', 'denyoom', 'admin'], keys: [2, 2, 1],
    acl: ['write', 'hyperloglog', 'admin', 'slow', 'dangerous'], keySpecs: [ks(['RW', 'access'], 2)],
    group: 'hyperloglog', since: '2.8.9',
    summary: 'Inspects a HyperLogLog value: its registers, encoding or sparse opcodes, or makes it dense',
    complexity: 'N/A', route: 'keys', docFlags: ['syscmd'],
  }),
  def({
    name: 'pfmerge', arity: -2, flags: ['write', 'denyoom'], keys: ALL_KEYS,
    acl: ['write', 'hyperloglog', 'slow'], keySpecs: [ks(['RW', 'access', 'insert'], 1), ks(['RO', 'access'], 2, -1)],
    group: 'hyperloglog', since: '2.8.9',
    summary: 'Stores the union of HyperLogLogs at a key',
    complexity: 'O(N) for N HyperLogLogs, each a pass over 16384 registers.',
    route: 'keys',
  }),
  def({
    name: 'pfselftest', arity: 1, flags: ['admin'],
    acl: ['hyperloglog', 'admin', 'slow', 'dangerous'],
    group: 'hyperloglog', since: '2.8.9',
    summary: 'Checks the HyperLogLog implementation against itself',
    complexity: 'N/A', route: 'connection', docFlags: ['syscmd'],
  }),
];
