/**
 * The command catalog: one declarative CommandMeta per command Shoal knows,
 * with the subcommands of container commands (CLIENT, CONFIG ...) nested.
 *
 * The interface facts (arity, flags, key positions, ACL categories, tips, key
 * specs, "since" and "group") are those Redis 7.0 reports through COMMAND INFO
 * and COMMAND DOCS, because client libraries rely on them;
 * test/unit/catalog.test.ts checks them against a real redis-server 7.0.
 * Summaries, complexities and history notes are Shoal's own wording.
 *
 * Flag, ACL-category and key-spec-flag lists keep the order in which Redis
 * prints them (e.g. key-spec flags: RO/RW/OW/RM first, then the lower-case
 * access/update/insert/delete/... flags, exactly as COMMAND INFO spells them).
 */
import type { CommandMeta } from './catalog/meta.js';

import { ALL_KEYS, BY_SUB, KEY_VALUE_PAIRS, O1, ONE_KEY, def, ks } from './catalog/define.js';
import { HASH, HASH_SINCE_74 } from './catalog/hash.js';
import { BITMAP } from './catalog/bitmap.js';
import { SET } from './catalog/set.js';
import { SORTED_SET } from './catalog/sorted-set.js';
import { GENERIC_SORT } from './catalog/generic-sort.js';
import { GEO } from './catalog/geo.js';
import { SCRIPTING } from './catalog/scripting.js';
import { PUBSUB } from './catalog/pubsub.js';
import { OBSERVABILITY } from './catalog/observability.js';
import { HYPERLOGLOG } from './catalog/hyperloglog.js';
import { STREAM } from './catalog/stream.js';

export { type DocExtras, docExtras } from './catalog/define.js';

const TTL_OPTIONS: Array<[string, string]> = [['7.0.0', 'New NX, XX, GT and LT conditions.']];

/**
 * Entries that appeared or changed after Redis 7.0, so the 7.0 server the
 * catalog is checked against does not describe them as Shoal does (full
 * names, "container|sub"). Their metadata follows the newer Redis's command
 * definitions: CLIENT SETINFO and NO-TOUCH came with 7.2, ZRANK and
 * ZREVRANK took WITHSCORE, the hash field expiry commands came with 7.4/8.
 */
export const NOT_IN_REDIS_70: ReadonlySet<string> = new Set(['client|setinfo', 'client|no-touch', 'zrank', 'zrevrank', ...HASH_SINCE_74]);

// ---------------------------------------------------------------- strings --

const STRING: CommandMeta[] = [
  def({
    name: 'append', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'string', since: '2.0.0',
    summary: 'Adds a string to the end of the value of a key, creating the key when missing',
    complexity: 'O(1) amortized: the stored string grows geometrically, so appending a small value is constant time.',
    route: 'keys',
  }),
  def({
    name: 'decr', arity: 2, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Subtracts one from the integer stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'decrby', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Subtracts a given integer from the integer stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'get', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'string', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Returns the string stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'getdel', arity: 2, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'delete'], 1)],
    group: 'string', since: '6.2.0',
    summary: 'Returns the string stored at a key, then removes the key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'getex', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'],
    keySpecs: [ks(['RW', 'access', 'update'], 1, 0, 1, 'RW and UPDATE because it changes the TTL')],
    group: 'string', since: '6.2.0',
    summary: 'Returns the string stored at a key, optionally changing or clearing its expiry',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'getrange', arity: 4, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'string', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'string', since: '2.4.0',
    summary: 'Returns a range of bytes of the string stored at a key',
    complexity: 'O(N), N being the length of the returned range; effectively O(1) for short ranges.',
    route: 'keys',
  }),
  def({
    name: 'getset', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Stores a new string at a key and returns the value it replaced',
    complexity: O1, route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`SET` with its `GET` option',
  }),
  def({
    name: 'incr', arity: 2, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Adds one to the integer stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'incrby', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Adds a given integer to the integer stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'incrbyfloat', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'string', since: '2.6.0',
    summary: 'Adds a floating-point amount to the number stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    // Two keys; on two shards, strings-across.ts reads one and computes on the other.
    name: 'lcs', arity: -3, flags: ['readonly'], keys: [1, 2, 1],
    acl: ['read', 'string', 'slow'], keySpecs: [ks(['RO', 'access'], 1, 1)],
    group: 'string', since: '7.0.0',
    summary: 'Computes the longest common subsequence of the strings stored at two keys',
    complexity: 'O(N*M), N and M being the lengths of the two strings.',
    route: 'keys',
  }),
  def({
    name: 'mget', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS,
    acl: ['read', 'string', 'fast'], tips: ['request_policy:multi_shard'],
    keySpecs: [ks(['RO', 'access'], 1, -1)],
    group: 'string', since: '1.0.0',
    summary: 'Returns the strings stored at several keys',
    complexity: 'O(N), N being the number of keys.',
    route: 'keys',
  }),
  def({
    name: 'mset', arity: -3, flags: ['write', 'denyoom'], keys: KEY_VALUE_PAIRS,
    acl: ['write', 'string', 'slow'], tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
    keySpecs: [ks(['OW', 'update'], 1, -1, 2)],
    group: 'string', since: '1.0.1',
    summary: 'Stores strings at several keys in one atomic step',
    complexity: 'O(N), N being the number of keys.',
    route: 'keys',
  }),
  def({
    name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], keys: KEY_VALUE_PAIRS,
    acl: ['write', 'string', 'slow'], tips: ['request_policy:multi_shard', 'response_policy:agg_min'],
    keySpecs: [ks(['OW', 'insert'], 1, -1, 2)],
    group: 'string', since: '1.0.1',
    summary: 'Stores strings at several keys, but only when none of the keys exists yet',
    complexity: 'O(N), N being the number of keys.',
    route: 'keys',
  }),
  def({
    name: 'psetex', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'string', 'slow'], keySpecs: [ks(['OW', 'update'], 1)],
    group: 'string', since: '2.6.0',
    summary: 'Stores a string at a key with a time to live given in milliseconds',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'set', arity: -3, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'string', 'slow'],
    keySpecs: [ks(['RW', 'access', 'update', 'variable_flags'], 1, 0, 1,
      'RW and ACCESS due to the optional `GET` argument')],
    group: 'string', since: '1.0.0',
    summary: 'Stores a string at a key, optionally with an expiry or an existence condition',
    complexity: O1, route: 'keys',
    history: [
      ['2.6.12', 'New EX, PX, NX and XX options.'],
      ['6.0.0', 'New KEEPTTL option.'],
      ['6.2.0', 'New GET, EXAT and PXAT options.'],
      ['7.0.0', 'NX may be combined with GET.'],
    ],
  }),
  def({
    name: 'setex', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'string', 'slow'], keySpecs: [ks(['OW', 'update'], 1)],
    group: 'string', since: '2.0.0',
    summary: 'Stores a string at a key with a time to live given in seconds',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'setnx', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'string', 'fast'], keySpecs: [ks(['OW', 'insert'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Stores a string at a key only when the key does not exist',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'setrange', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'string', 'slow'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'string', since: '2.2.0',
    summary: 'Overwrites the string stored at a key from a byte offset on',
    complexity: 'O(1) plus copying the new bytes: O(M) for a value of length M.',
    route: 'keys',
  }),
  def({
    name: 'strlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'string', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'string', since: '2.2.0',
    summary: 'Returns the length in bytes of the string stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'substr', arity: 4, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'string', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'string', since: '1.0.0',
    summary: 'Returns a range of bytes of the string stored at a key (former name of GETRANGE)',
    complexity: 'O(N), N being the length of the returned range; effectively O(1) for short ranges.',
    route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '2.0.0', replacedBy: '`GETRANGE`',
  }),
];

// ------------------------------------------------------------------ lists --

const PUSH_HISTORY: Array<[string, string]> = [['2.4.0', 'Takes several elements.']];
const PUSHX_HISTORY: Array<[string, string]> = [['4.0.0', 'Takes several elements.']];
const POP_HISTORY: Array<[string, string]> = [['6.2.0', 'New optional count argument.']];
const PUSH_COMPLEXITY = 'O(1) per element added.';
const POP_COMPLEXITY = 'O(N), N being the number of elements popped.';

const LIST: CommandMeta[] = [
  def({
    name: 'lindex', arity: 3, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'list', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Returns the element at a given position of a list',
    complexity: 'O(N), N being the distance from the nearer end of the list; O(1) for the first or last element.',
    route: 'keys',
  }),
  def({
    name: 'linsert', arity: 5, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'list', 'slow'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'list', since: '2.2.0',
    summary: 'Inserts an element just before or just after the first occurrence of a pivot element',
    complexity: 'O(N), N being the number of elements walked before the pivot is found.',
    route: 'keys',
  }),
  def({
    name: 'llen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'list', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Returns how many elements a list holds',
    complexity: O1, route: 'keys',
  }),
  def({
    // Keys on two shards: lists-across.ts pops on one and pushes on the other, under locks.
    name: 'lmove', arity: 5, flags: ['write', 'denyoom'], keys: [1, 2, 1],
    acl: ['write', 'list', 'slow'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['RW', 'insert'], 2)],
    group: 'list', since: '6.2.0',
    summary: 'Pops an element from one end of a list and pushes it onto one end of another list (or the same), returning it',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'blmove', arity: 6, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: [1, 2, 1],
    acl: ['write', 'list', 'slow', 'blocking'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['RW', 'insert'], 2)],
    group: 'list', since: '6.2.0',
    summary: 'Moves an element from one list to another like LMOVE, waiting for one when the source is empty',
    complexity: O1, route: 'keys',
  }),
  def({
    // Keys are found through numkeys, as for LMPOP.
    name: 'blmpop', arity: -5, flags: ['write', 'blocking', 'movablekeys'],
    acl: ['write', 'list', 'slow', 'blocking'],
    keySpecs: [{
      flags: ['RW', 'access', 'delete'],
      beginSearch: { type: 'index', index: 2 },
      findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, step: 1 },
    }],
    group: 'list', since: '7.0.0',
    summary: 'Pops elements from the first non-empty list among several keys like LMPOP, waiting when all are empty',
    complexity: 'O(N+M), N being the number of keys given and M the number of elements popped.',
    route: 'keys',
  }),
  def({
    name: 'blpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: [1, -2, 1],
    acl: ['write', 'list', 'slow', 'blocking'], keySpecs: [ks(['RW', 'access', 'delete'], 1, -2)],
    group: 'list', since: '2.0.0',
    summary: 'Pops the first element of the first non-empty list among the keys, waiting when all are empty',
    complexity: 'O(N), N being the number of keys given.', route: 'keys',
    history: [['6.0.0', 'The timeout is a double (seconds) instead of an integer.']],
  }),
  def({
    name: 'brpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: [1, -2, 1],
    acl: ['write', 'list', 'slow', 'blocking'], keySpecs: [ks(['RW', 'access', 'delete'], 1, -2)],
    group: 'list', since: '2.0.0',
    summary: 'Pops the last element of the first non-empty list among the keys, waiting when all are empty',
    complexity: 'O(N), N being the number of keys given.', route: 'keys',
    history: [['6.0.0', 'The timeout is a double (seconds) instead of an integer.']],
  }),
  def({
    name: 'brpoplpush', arity: 4, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: [1, 2, 1],
    acl: ['write', 'list', 'slow', 'blocking'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['RW', 'insert'], 2)],
    group: 'list', since: '2.2.0',
    summary: 'Like RPOPLPUSH, waiting for an element when the source is empty',
    complexity: O1, route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`BLMOVE` with the `RIGHT` and `LEFT` arguments',
    history: [['6.0.0', 'The timeout is a double (seconds) instead of an integer.']],
  }),
  def({
    // Keys are found through numkeys; on several shards, blocking-pops.ts checks them in order under locks.
    name: 'lmpop', arity: -4, flags: ['write', 'movablekeys'],
    acl: ['write', 'list', 'slow'],
    keySpecs: [{
      flags: ['RW', 'access', 'delete'],
      beginSearch: { type: 'index', index: 1 },
      findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, step: 1 },
    }],
    group: 'list', since: '7.0.0',
    summary: 'Pops one or more elements from the first non-empty list among several keys',
    complexity: 'O(N+M), N being the number of keys given and M the number of elements popped.',
    route: 'keys',
  }),
  def({
    name: 'lpop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'list', 'fast'], keySpecs: [ks(['RW', 'access', 'delete'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Removes and returns the first element of a list, or its first elements given a count',
    complexity: POP_COMPLEXITY, route: 'keys', history: POP_HISTORY,
  }),
  def({
    name: 'lpos', arity: -3, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'list', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'list', since: '6.0.6',
    summary: 'Returns the positions of the elements of a list equal to a given element',
    complexity: 'O(N), N being the number of elements compared; MAXLEN bounds it.',
    route: 'keys',
  }),
  def({
    name: 'lpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'list', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Adds elements at the head of a list, creating the list when missing',
    complexity: PUSH_COMPLEXITY, route: 'keys', history: PUSH_HISTORY,
  }),
  def({
    name: 'lpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'list', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'list', since: '2.2.0',
    summary: 'Adds elements at the head of a list, but only when the list exists',
    complexity: PUSH_COMPLEXITY, route: 'keys', history: PUSHX_HISTORY,
  }),
  def({
    name: 'lrange', arity: 4, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'list', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Returns the elements of a list between two positions',
    complexity: 'O(S+N), S being the distance from the nearer end to the start position and N the number of elements returned.',
    route: 'keys',
  }),
  def({
    name: 'lrem', arity: 4, flags: ['write'], keys: ONE_KEY,
    acl: ['write', 'list', 'slow'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Removes elements equal to a given element from a list, from the head or from the tail',
    complexity: 'O(N), N being the length of the list.',
    route: 'keys',
  }),
  def({
    name: 'lset', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'list', 'slow'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Replaces the element at a given position of a list',
    complexity: 'O(N), N being the distance from the nearer end of the list; O(1) for the first or last element.',
    route: 'keys',
  }),
  def({
    name: 'ltrim', arity: 4, flags: ['write'], keys: ONE_KEY,
    acl: ['write', 'list', 'slow'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Keeps only the elements of a list between two positions',
    complexity: 'O(N), N being the number of elements removed.',
    route: 'keys',
  }),
  def({
    name: 'rpop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'list', 'fast'], keySpecs: [ks(['RW', 'access', 'delete'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Removes and returns the last element of a list, or its last elements given a count',
    complexity: POP_COMPLEXITY, route: 'keys', history: POP_HISTORY,
  }),
  def({
    // Keys on two shards: lists-across.ts, as for LMOVE.
    name: 'rpoplpush', arity: 3, flags: ['write', 'denyoom'], keys: [1, 2, 1],
    acl: ['write', 'list', 'slow'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['RW', 'insert'], 2)],
    group: 'list', since: '1.2.0',
    summary: 'Pops the last element of a list and pushes it at the head of another list (or the same), returning it',
    complexity: O1, route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`LMOVE` with `RIGHT` and `LEFT`',
  }),
  def({
    name: 'rpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'list', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'list', since: '1.0.0',
    summary: 'Adds elements at the tail of a list, creating the list when missing',
    complexity: PUSH_COMPLEXITY, route: 'keys', history: PUSH_HISTORY,
  }),
  def({
    name: 'rpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'list', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'list', since: '2.2.0',
    summary: 'Adds elements at the tail of a list, but only when the list exists',
    complexity: PUSH_COMPLEXITY, route: 'keys', history: PUSHX_HISTORY,
  }),
];

// ------------------------------------------------------------- keyspace --

const OBJECT_KEY_SUB = (name: string, since: string, summary: string): CommandMeta =>
  def({
    name, arity: 3, flags: ['readonly'], keys: [2, 2, 1],
    acl: ['keyspace', 'read', 'slow'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RO'], 2)],
    group: 'generic', since, summary, complexity: O1, route: 'keys',
  });

const GENERIC: CommandMeta[] = [
  def({
    name: 'del', arity: -2, flags: ['write'], keys: ALL_KEYS,
    acl: ['keyspace', 'write', 'slow'], tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [ks(['RM', 'delete'], 1, -1)],
    group: 'generic', since: '1.0.0',
    summary: 'Removes keys',
    complexity: 'O(N) for N keys; a string is removed in O(1), a collection in O(M) for M elements.',
    route: 'keys',
  }),
  def({
    name: 'unlink', arity: -2, flags: ['write', 'fast'], keys: ALL_KEYS,
    acl: ['keyspace', 'write', 'fast'], tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [ks(['RM', 'delete'], 1, -1)],
    group: 'generic', since: '4.0.0',
    summary: 'Removes keys at once and frees their memory in the background',
    complexity: 'O(1) per key for the caller; freeing the values costs O(N) allocations later, off the request path.',
    route: 'keys',
  }),
  def({
    name: 'exists', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS,
    acl: ['keyspace', 'read', 'fast'], tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [ks(['RO'], 1, -1)],
    group: 'generic', since: '1.0.0',
    summary: 'Counts how many of the given keys exist',
    complexity: 'O(N), N being the number of keys.',
    route: 'keys',
    history: [['3.0.3', 'Takes several keys.']],
  }),
  def({
    name: 'type', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'read', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'generic', since: '1.0.0',
    summary: 'Returns the type of the value stored at a key',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'touch', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS,
    acl: ['keyspace', 'read', 'fast'], tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [ks(['RO'], 1, -1)],
    group: 'generic', since: '3.2.1',
    summary: 'Marks keys as just accessed and counts the ones that exist',
    complexity: 'O(N), N being the number of keys.',
    route: 'keys',
  }),
  def({
    name: 'expire', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'generic', since: '1.0.0',
    summary: 'Gives a key a time to live in seconds',
    complexity: O1, route: 'keys', history: TTL_OPTIONS,
  }),
  def({
    name: 'pexpire', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'generic', since: '2.6.0',
    summary: 'Gives a key a time to live in milliseconds',
    complexity: O1, route: 'keys', history: TTL_OPTIONS,
  }),
  def({
    name: 'expireat', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'generic', since: '1.2.0',
    summary: 'Makes a key expire at a Unix time given in seconds',
    complexity: O1, route: 'keys', history: TTL_OPTIONS,
  }),
  def({
    name: 'pexpireat', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'generic', since: '2.6.0',
    summary: 'Makes a key expire at a Unix time given in milliseconds',
    complexity: O1, route: 'keys', history: TTL_OPTIONS,
  }),
  def({
    name: 'ttl', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'read', 'fast'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RO', 'access'], 1)],
    group: 'generic', since: '1.0.0',
    summary: 'Returns the seconds left before a key expires',
    complexity: O1, route: 'keys',
    history: [['2.8.0', 'A missing key is reported as -2.']],
  }),
  def({
    name: 'pttl', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'read', 'fast'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RO', 'access'], 1)],
    group: 'generic', since: '2.6.0',
    summary: 'Returns the milliseconds left before a key expires',
    complexity: O1, route: 'keys',
    history: [['2.8.0', 'A missing key is reported as -2.']],
  }),
  def({
    name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'read', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'generic', since: '7.0.0',
    summary: 'Returns the Unix time, in seconds, at which a key expires',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'read', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'generic', since: '7.0.0',
    summary: 'Returns the Unix time, in milliseconds, at which a key expires',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'migrate', arity: -6, flags: ['write', 'movablekeys'], keys: [3, 3, 1],
    acl: ['keyspace', 'write', 'slow', 'dangerous'], tips: ['nondeterministic_output'],
    keySpecs: [
      ks(['RW', 'access', 'delete'], 3),
      {
        flags: ['RW', 'access', 'delete', 'incomplete'],
        beginSearch: { type: 'keyword', keyword: 'KEYS', startFrom: -2 },
        findKeys: { type: 'range', lastKey: -1, step: 1, limit: 0 },
      },
    ],
    group: 'generic', since: '2.6.0',
    summary: 'Atomically transfers a key from one Redis instance to another.',
    complexity: 'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
    // Always through migrate.ts: it talks to another server.
    route: 'keys',
    history: [['3.0.0', 'Added the `COPY` and `REPLACE` options.'], ['3.0.6', 'Added the `KEYS` option.'], ['4.0.7', 'Added the `AUTH` option.'], ['6.0.0', 'Added the `AUTH2` option.']],
  }),
  def({
    name: 'dump', arity: 2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['keyspace', 'read', 'slow'], keySpecs: [ks(['RO', 'access'], 1)], tips: ['nondeterministic_output'],
    group: 'generic', since: '2.6.0',
    summary: 'Returns a serialized representation of the value stored at a key',
    complexity: 'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
    route: 'keys',
  }),
  def({
    name: 'restore', arity: -4, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'slow', 'dangerous'], keySpecs: [ks(['OW', 'update'], 1)],
    group: 'generic', since: '2.6.0',
    summary: 'Creates a key from the serialized representation of a value',
    complexity: 'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).',
    route: 'keys',
    history: [['3.0.0', 'Added the `REPLACE` modifier.'], ['5.0.0', 'Added the `ABSTTL` modifier.'], ['5.0.0', 'Added the `IDLETIME` and `FREQ` options.']],
  }),
  def({
    name: 'persist', arity: 2, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'generic', since: '2.2.0',
    summary: 'Clears the expiry of a key so that it lives forever',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'keys', arity: 2, flags: ['readonly'],
    acl: ['keyspace', 'read', 'slow', 'dangerous'],
    tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
    group: 'generic', since: '1.0.0',
    summary: 'Returns every key name that matches a glob-style pattern',
    complexity: 'O(N), N being the number of keys in the database.',
    route: 'keyspace',
  }),
  def({
    name: 'scan', arity: -2, flags: ['readonly'],
    acl: ['keyspace', 'read', 'slow'], tips: ['nondeterministic_output', 'request_policy:special'],
    group: 'generic', since: '2.8.0',
    summary: 'Walks the key names of the database a batch at a time, driven by a cursor',
    complexity: 'O(1) per call; O(N) for a whole walk over N keys.',
    route: 'keyspace',
    history: [['6.0.0', 'New TYPE filter.']],
  }),
  def({
    name: 'randomkey', arity: 1, flags: ['readonly'],
    acl: ['keyspace', 'read', 'slow'], tips: ['request_policy:all_shards', 'nondeterministic_output'],
    group: 'generic', since: '1.0.0',
    summary: 'Returns the name of a key picked at random',
    complexity: O1, route: 'keyspace',
  }),
  def({
    // Source and destination may be owned by different shards: read, then write, under intent locks.
    name: 'rename', arity: 3, flags: ['write'], keys: [1, 2, 1],
    acl: ['keyspace', 'write', 'slow'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['OW', 'update'], 2)],
    group: 'generic', since: '1.0.0',
    summary: 'Gives a key a new name, replacing any key that already has that name',
    complexity: 'O(1); replacing an existing destination costs as much as deleting it.',
    route: 'keys',
  }),
  def({
    name: 'renamenx', arity: 3, flags: ['write', 'fast'], keys: [1, 2, 1],
    acl: ['keyspace', 'write', 'fast'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['OW', 'insert'], 2)],
    group: 'generic', since: '1.0.0',
    summary: 'Gives a key a new name, but only when no key has that name yet',
    complexity: O1, route: 'keys',
    history: [['3.2.0', 'Renaming a key to its own name is no longer an error.']],
  }),
  def({
    name: 'copy', arity: -3, flags: ['write', 'denyoom'], keys: [1, 2, 1],
    acl: ['keyspace', 'write', 'slow'],
    keySpecs: [ks(['RO', 'access'], 1), ks(['OW', 'update'], 2)],
    group: 'generic', since: '6.2.0',
    summary: 'Duplicates the value stored at a key under another name, optionally in another database',
    complexity: 'O(1) for a string; O(N) for a collection of N nested elements.',
    route: 'keys',
  }),
  def({
    // The key keeps its name, so the same shard owns it in the target database: one hop.
    name: 'move', arity: 3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['keyspace', 'write', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'generic', since: '1.0.0',
    summary: 'Transfers a key from the selected database to another numbered database',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'object', arity: -2, flags: [], acl: ['slow'],
    group: 'generic', since: '2.2.3',
    summary: 'Groups the subcommands that inspect the value stored at a key',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      OBJECT_KEY_SUB('encoding', '2.2.3', 'Returns the internal representation of the value stored at a key'),
      OBJECT_KEY_SUB('refcount', '2.2.3', 'Returns how many references point to the value stored at a key'),
      OBJECT_KEY_SUB('idletime', '2.2.3', 'Returns the seconds since the value stored at a key was last used'),
      OBJECT_KEY_SUB('freq', '4.0.0', 'Returns the logarithmic access counter of the value stored at a key'),
      def({
        name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['keyspace', 'slow'],
        group: 'generic', since: '6.2.0',
        summary: 'Describes the OBJECT subcommands', complexity: O1, route: 'connection',
      }),
    ],
  }),
];

// ------------------------------------------------------------ databases --

const DATABASE: CommandMeta[] = [
  def({
    name: 'dbsize', arity: 1, flags: ['readonly', 'fast'],
    acl: ['keyspace', 'read', 'fast'], tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
    group: 'server', since: '1.0.0',
    summary: 'Returns how many keys the selected database holds',
    complexity: O1, route: 'keyspace',
  }),
  def({
    name: 'flushdb', arity: -1, flags: ['write'],
    acl: ['keyspace', 'write', 'slow', 'dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    group: 'server', since: '1.0.0',
    summary: 'Deletes every key of the selected database',
    complexity: 'O(N), N being the number of keys in the database.',
    route: 'keyspace',
    history: [['4.0.0', 'New ASYNC mode.'], ['6.2.0', 'New SYNC mode.']],
  }),
  def({
    name: 'flushall', arity: -1, flags: ['write'],
    acl: ['keyspace', 'write', 'slow', 'dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    group: 'server', since: '1.0.0',
    summary: 'Deletes every key of every database',
    complexity: 'O(N), N being the number of keys in all databases.',
    route: 'keyspace',
    history: [['4.0.0', 'New ASYNC mode.'], ['6.2.0', 'New SYNC mode.']],
  }),
  def({
    name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], acl: ['fast', 'connection'],
    group: 'connection', since: '1.0.0',
    summary: 'Switches the connection to another numbered database',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'swapdb', arity: 3, flags: ['write', 'fast'],
    acl: ['keyspace', 'write', 'fast', 'dangerous'],
    group: 'server', since: '4.0.0',
    summary: 'Exchanges the contents of two databases',
    complexity: 'O(N), N being the number of clients watching or blocked on keys of either database.',
    route: 'keyspace',
  }),
];

// --------------------------------------------------------- transactions --

/** Flags shared by MULTI, DISCARD, WATCH and UNWATCH. */
const TX_FLAGS = (): string[] => ['noscript', 'loading', 'stale', 'fast', 'allow_busy'];
const TX_ACL = (): string[] => ['fast', 'transaction'];

const TRANSACTIONS: CommandMeta[] = [
  def({
    name: 'multi', arity: 1, flags: TX_FLAGS(), acl: TX_ACL(),
    group: 'transactions', since: '1.2.0',
    summary: 'Opens a transaction: the following commands are queued until EXEC or DISCARD',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    acl: ['slow', 'transaction'],
    group: 'transactions', since: '1.2.0',
    summary: 'Runs the commands queued since MULTI, unless a watched key changed',
    complexity: 'The sum of the costs of the queued commands.',
    route: 'connection',
  }),
  def({
    name: 'discard', arity: 1, flags: TX_FLAGS(), acl: TX_ACL(),
    group: 'transactions', since: '2.0.0',
    summary: 'Drops the commands queued since MULTI and leaves the transaction',
    complexity: 'O(N), N being the number of queued commands.',
    route: 'connection',
  }),
  def({
    // Has keys, yet runs on the connection's thread, which registers the watches on the owning shards itself.
    name: 'watch', arity: -2, flags: TX_FLAGS(), keys: ALL_KEYS, acl: TX_ACL(),
    keySpecs: [ks(['RO'], 1, -1)],
    group: 'transactions', since: '2.2.0',
    summary: 'Makes the next EXEC fail if any of the given keys is modified before it',
    complexity: 'O(1) per key.',
    route: 'connection',
  }),
  def({
    name: 'unwatch', arity: 1, flags: TX_FLAGS(), acl: TX_ACL(),
    group: 'transactions', since: '2.2.0',
    summary: 'Stops watching every key watched by the connection',
    complexity: O1, route: 'connection',
  }),
];

// ----------------------------------------------------------- connection --

/** Flags shared by the connection-setup commands that work before AUTH. */
const NO_AUTH_FLAGS = (): string[] => ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'];
const CLIENT_FLAGS = (): string[] => ['noscript', 'loading', 'stale'];
const CLIENT_ADMIN_FLAGS = (): string[] => ['admin', 'noscript', 'loading', 'stale'];
const CLIENT_ACL = (): string[] => ['slow', 'connection'];
const CLIENT_ADMIN_ACL = (): string[] => ['admin', 'slow', 'dangerous', 'connection'];

const CONNECTION: CommandMeta[] = [
  def({
    name: 'ping', arity: -1, flags: ['fast'], acl: ['fast', 'connection'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    group: 'connection', since: '1.0.0',
    summary: 'Checks that the server answers, optionally echoing a message',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'echo', arity: 2, flags: ['loading', 'stale', 'fast'], acl: ['fast', 'connection'],
    group: 'connection', since: '1.0.0',
    summary: 'Sends the given message back',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'hello', arity: -1, flags: NO_AUTH_FLAGS(), acl: ['fast', 'connection'],
    group: 'connection', since: '6.0.0',
    summary: 'Chooses the protocol version, optionally authenticates, and describes the server',
    complexity: O1, route: 'connection',
    history: [['6.2.0', 'The protocol version became optional; with no argument the current connection is described.']],
  }),
  def({
    name: 'auth', arity: -2, flags: NO_AUTH_FLAGS(), acl: ['fast', 'connection'],
    group: 'connection', since: '1.0.0',
    summary: 'Authenticates the connection',
    complexity: 'O(N), N being the number of passwords the user has.',
    route: 'connection',
    history: [['6.0.0', 'Accepts a user name as well as a password (ACL users).']],
  }),
  def({
    name: 'quit', arity: -1, flags: NO_AUTH_FLAGS(), acl: ['fast', 'connection'],
    group: 'connection', since: '1.0.0',
    summary: 'Asks the server to close the connection',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'reset', arity: 1, flags: NO_AUTH_FLAGS(), acl: ['fast', 'connection'],
    group: 'connection', since: '6.2.0',
    summary: 'Puts the connection back in its initial state',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'client', arity: -2, flags: [], acl: ['slow'],
    group: 'connection', since: '2.4.0',
    summary: 'Groups the subcommands about client connections',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      def({
        name: 'id', arity: 2, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '5.0.0',
        summary: 'Returns the numeric id of the current connection',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'setname', arity: 3, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '2.6.9',
        summary: 'Gives the current connection a name',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'getname', arity: 2, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '2.6.9',
        summary: 'Returns the name of the current connection',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'tracking', arity: -3, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '6.0.0',
        summary: 'Turns server-assisted client-side caching (invalidation messages) on or off',
        complexity: 'O(1). Some options may introduce additional complexity.', route: 'connection',
      }),
      def({
        name: 'caching', arity: 3, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '6.0.0',
        summary: 'Says whether the keys of the next command are tracked (OPTIN and OPTOUT modes)',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'getredir', arity: 2, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '6.0.0',
        summary: 'Returns the id of the client that receives this connection\'s invalidation messages',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'trackinginfo', arity: 2, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '6.2.0',
        summary: 'Describes the client-side caching settings of the connection',
        complexity: O1, route: 'connection',
      }),
      // Redis 7.2 addition, absent from the 7.0 oracle: written after the 7.2
      // definition (CLIENT SETINFO LIB-NAME name | LIB-VER version), not checked.
      def({
        name: 'setinfo', arity: 4, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '7.2.0',
        summary: 'Records the name or version of the client library behind the connection',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'list', arity: -2, flags: CLIENT_ADMIN_FLAGS(), acl: CLIENT_ADMIN_ACL(),
        tips: ['nondeterministic_output'],
        group: 'connection', since: '2.4.0',
        summary: 'Describes every open client connection',
        complexity: 'O(N), N being the number of connections.',
        route: 'connection',
        history: [
          ['2.8.12', 'New `id` field.'],
          ['5.0.0', 'New TYPE filter.'],
          ['6.0.0', 'New `user` field.'],
          ['6.2.0', 'New `argv-mem`, `tot-mem`, `laddr` and `redir` fields; new ID filter.'],
          ['7.0.0', 'New `resp`, `multi-mem`, `rbs` and `rbp` fields.'],
          ['7.0.3', 'New `ssub` field.'],
        ],
      }),
      def({
        name: 'info', arity: 2, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        tips: ['nondeterministic_output'],
        group: 'connection', since: '6.2.0',
        summary: 'Describes the current connection',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'kill', arity: -3, flags: CLIENT_ADMIN_FLAGS(), acl: CLIENT_ADMIN_ACL(),
        group: 'connection', since: '2.4.0',
        summary: 'Closes the client connections picked by address or by filters',
        complexity: 'O(N), N being the number of connections.',
        route: 'connection',
        history: [
          ['2.8.12', 'New filter syntax.'],
          ['2.8.12', 'New ID filter.'],
          ['3.2.0', 'TYPE accepts `master`.'],
          ['5.0.0', 'TYPE takes `replica` in place of `slave` (still understood).'],
          ['6.2.0', 'New LADDR filter.'],
        ],
      }),
      def({
        name: 'no-evict', arity: 3, flags: CLIENT_ADMIN_FLAGS(), acl: CLIENT_ADMIN_ACL(),
        group: 'connection', since: '7.0.0',
        summary: 'Turns client eviction off or on for the current connection',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'pause', arity: -3, flags: CLIENT_ADMIN_FLAGS(), acl: CLIENT_ADMIN_ACL(),
        group: 'connection', since: '2.9.50',
        summary: 'Stops processing commands from clients for some time',
        complexity: O1, route: 'connection',
        history: [['6.2.0', '`CLIENT PAUSE WRITE` mode added along with the `mode` option.']],
      }),
      def({
        name: 'unpause', arity: 2, flags: CLIENT_ADMIN_FLAGS(), acl: CLIENT_ADMIN_ACL(),
        group: 'connection', since: '6.2.0',
        summary: 'Resumes processing of the clients that were paused',
        complexity: 'O(N) Where N is the number of paused clients',
        route: 'connection',
      }),
      def({
        name: 'unblock', arity: -3, flags: CLIENT_ADMIN_FLAGS(), acl: CLIENT_ADMIN_ACL(),
        group: 'connection', since: '5.0.0',
        summary: 'Ends the wait of a client blocked in a blocking command, from another connection',
        complexity: 'O(log N), N being the number of connections.',
        route: 'connection',
      }),
      // Redis 7.2 addition, absent from the 7.0 oracle: written after the 7.2
      // definition (CLIENT NO-TOUCH ON|OFF), not checked.
      def({
        name: 'no-touch', arity: 3, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '7.2.0',
        summary: "Chooses whether the connection's commands update the access time of the keys they read",
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'reply', arity: 3, flags: CLIENT_FLAGS(), acl: CLIENT_ACL(),
        group: 'connection', since: '3.2.0',
        summary: 'Turns the replies to the connection on, off, or off for the next command only',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'help', arity: 2, flags: ['loading', 'stale'], acl: CLIENT_ACL(),
        group: 'connection', since: '5.0.0',
        summary: 'Describes the CLIENT subcommands',
        complexity: O1, route: 'connection',
      }),
    ],
  }),
];

// --------------------------------------------------------------- server --

const COMMAND_FLAGS = (): string[] => ['loading', 'stale'];

const SERVER: CommandMeta[] = [
  def({
    // With no subcommand, COMMAND describes every command (like COMMAND INFO).
    name: 'command', arity: -1, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
    tips: ['nondeterministic_output_order'],
    group: 'server', since: '2.8.13',
    summary: 'Describes every command the server knows',
    complexity: 'O(N), N being the number of commands.',
    route: 'connection',
    subcommands: [
      def({
        name: 'count', arity: 2, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
        group: 'server', since: '2.8.13',
        summary: 'Returns how many commands the server knows',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'info', arity: -2, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
        tips: ['nondeterministic_output_order'],
        group: 'server', since: '2.8.13',
        summary: 'Describes the named commands, or all of them when none is named',
        complexity: 'O(N), N being the number of commands asked for.',
        route: 'connection',
        history: [['7.0.0', 'With no name, describes every command.']],
      }),
      def({
        name: 'docs', arity: -2, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
        tips: ['nondeterministic_output_order'],
        group: 'server', since: '7.0.0',
        summary: 'Returns the documentation of the named commands, or of all of them',
        complexity: 'O(N), N being the number of commands asked for.',
        route: 'connection',
      }),
      def({
        name: 'list', arity: -2, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
        tips: ['nondeterministic_output_order'],
        group: 'server', since: '7.0.0',
        summary: 'Returns the command names, optionally filtered by ACL category, pattern or module',
        complexity: 'O(N), N being the number of commands.',
        route: 'connection',
      }),
      def({
        name: 'getkeys', arity: -4, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
        group: 'server', since: '2.8.13',
        summary: 'Tells which arguments of a complete command line are keys',
        complexity: 'O(N), N being the number of arguments.',
        route: 'connection',
      }),
      def({
        name: 'help', arity: 2, flags: COMMAND_FLAGS(), acl: CLIENT_ACL(),
        group: 'server', since: '5.0.0',
        summary: 'Describes the COMMAND subcommands',
        complexity: O1, route: 'connection',
      }),
    ],
  }),
  def({
    name: 'info', arity: -1, flags: ['loading', 'stale'], acl: ['slow', 'dangerous'],
    tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
    group: 'server', since: '1.0.0',
    summary: 'Reports information and statistics about the server',
    complexity: O1, route: 'connection',
    history: [['7.0.0', 'Accepts several section names.']],
  }),
  def({
    name: 'config', arity: -2, flags: [], acl: ['slow'],
    group: 'server', since: '2.0.0',
    summary: 'Groups the subcommands that read and change the server configuration',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      def({
        name: 'get', arity: -3, flags: ['admin', 'noscript', 'loading', 'stale'],
        acl: ['admin', 'slow', 'dangerous'],
        group: 'server', since: '2.0.0',
        summary: 'Returns the configuration parameters whose names match the given patterns',
        complexity: 'O(N), N being the number of patterns.',
        route: 'connection',
        history: [['7.0.0', 'Accepts several patterns.']],
      }),
      def({
        name: 'set', arity: -4, flags: ['admin', 'noscript', 'loading', 'stale'],
        acl: ['admin', 'slow', 'dangerous'],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        group: 'server', since: '2.0.0',
        summary: 'Changes configuration parameters while the server runs',
        complexity: 'O(N), N being the number of parameters.',
        route: 'connection',
        history: [['7.0.0', 'Accepts several parameter/value pairs.']],
      }),
      def({
        name: 'resetstat', arity: 2, flags: ['admin', 'noscript', 'loading', 'stale'],
        acl: ['admin', 'slow', 'dangerous'],
        group: 'server', since: '2.0.0',
        summary: 'Zeroes the counters that INFO reports',
        complexity: O1, route: 'connection',
      }),
      def({
        name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'],
        group: 'server', since: '5.0.0',
        summary: 'Describes the CONFIG subcommands',
        complexity: O1, route: 'connection',
      }),
    ],
  }),
  def({
    name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast'],
    tips: ['nondeterministic_output'],
    group: 'server', since: '2.6.0',
    summary: 'Returns the current server time as seconds and microseconds',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['admin', 'fast', 'dangerous'],
    tips: ['nondeterministic_output'],
    group: 'server', since: '1.0.0',
    summary: 'Returns the Unix time of the last successful save to disk',
    complexity: O1, route: 'connection',
  }),
  def({
    name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], acl: ['admin', 'slow', 'dangerous'],
    group: 'server', since: '1.0.0',
    summary: 'Synchronously saves the database(s) to disk',
    complexity: 'O(N) where N is the total number of keys in all databases', route: 'connection',
  }),
  def({
    name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript', 'no_async_loading'], acl: ['admin', 'slow', 'dangerous'],
    group: 'server', since: '1.0.0',
    summary: 'Asynchronously rewrite the append-only file',
    complexity: 'O(1)', route: 'connection',
  }),
  def({
    name: 'bgsave', arity: -1, flags: ['admin', 'noscript', 'no_async_loading'], acl: ['admin', 'slow', 'dangerous'],
    group: 'server', since: '1.0.0',
    summary: 'Asynchronously saves the database(s) to disk',
    complexity: 'O(N) where N is the total number of keys in all databases', route: 'connection',
    history: [['3.2.2', 'Added the `SCHEDULE` option.']],
  }),
  def({
    name: 'shutdown', arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    acl: ['admin', 'slow', 'dangerous'],
    group: 'server', since: '1.0.0',
    summary: 'Stops the server, saving the data first when persistence asks for it',
    complexity: 'O(N) over all N keys when saving, O(1) otherwise.',
    route: 'connection',
    history: [['7.0.0', 'New NOW, FORCE and ABORT options.']],
  }),
  def({
    name: 'debug', arity: -2, flags: ['admin', 'noscript', 'loading', 'stale'],
    acl: ['admin', 'slow', 'dangerous'],
    group: 'server', since: '1.0.0',
    summary: 'Runs internal debugging subcommands',
    complexity: BY_SUB, route: 'connection',
    docFlags: ['syscmd'],
  }),
  def({
    name: 'memory', arity: -2, flags: [], acl: ['slow'],
    group: 'server', since: '4.0.0',
    summary: 'Groups the subcommands about memory use',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      def({
        name: 'usage', arity: -3, flags: ['readonly'], keys: [2, 2, 1], acl: ['read', 'slow'],
        keySpecs: [ks(['RO'], 2)],
        group: 'server', since: '4.0.0',
        summary: 'Estimates how many bytes a key and its value take',
        complexity: 'O(N), N being the number of sampled elements.',
        route: 'keys',
      }),
      def({
        name: 'stats', arity: 2, flags: [], acl: ['slow'],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        group: 'server', since: '4.0.0', summary: 'Describes where the server\'s memory goes', complexity: O1, route: 'connection',
      }),
      def({
        name: 'doctor', arity: 2, flags: [], acl: ['slow'],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        group: 'server', since: '4.0.0', summary: 'Describes memory problems, if any', complexity: O1, route: 'connection',
      }),
      def({
        name: 'malloc-stats', arity: 2, flags: [], acl: ['slow'],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        group: 'server', since: '4.0.0', summary: 'Shows the memory manager\'s own statistics', complexity: 'Depends on how much memory is allocated, could be slow', route: 'connection',
      }),
      def({
        name: 'purge', arity: 2, flags: [], acl: ['slow'],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        group: 'server', since: '4.0.0', summary: 'Asks the memory manager to give back memory it holds unused', complexity: 'Depends on how much memory is allocated, could be slow', route: 'connection',
      }),
      def({
        name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'],
        group: 'server', since: '4.0.0',
        summary: 'Describes the MEMORY subcommands',
        complexity: O1, route: 'connection',
      }),
    ],
  }),
];

/** Every command Shoal knows, top-level entries only (subcommands are nested). */
export const CATALOG: CommandMeta[] = [
  ...STRING, ...BITMAP, ...LIST, ...HASH, ...SET, ...SORTED_SET, ...GEO, ...STREAM, ...GENERIC, ...GENERIC_SORT, ...SCRIPTING, ...PUBSUB, ...OBSERVABILITY, ...HYPERLOGLOG, ...DATABASE, ...TRANSACTIONS, ...CONNECTION, ...SERVER,
];

const byName = new Map<string, CommandMeta>();
for (const meta of CATALOG) byName.set(meta.name, meta);

const subsByContainer = new WeakMap<CommandMeta, Map<string, CommandMeta>>();
for (const meta of CATALOG) {
  if (!meta.subcommands) continue;
  const subs = new Map<string, CommandMeta>();
  for (const sub of meta.subcommands) subs.set(sub.name, sub);
  subsByContainer.set(meta, subs);
}

/** The top-level command called `name` (any case), or undefined. */
export function findCommand(name: string): CommandMeta | undefined {
  return byName.get(name) ?? byName.get(name.toLowerCase());
}

/** The subcommand `sub` (any case) of a container command, or undefined. */
export function findSubcommand(container: CommandMeta, sub: string): CommandMeta | undefined {
  let subs = subsByContainer.get(container);
  if (!subs) {
    // A CommandMeta that is not from CATALOG (e.g. built by a test): index it now.
    if (!container.subcommands) return undefined;
    subs = new Map(container.subcommands.map((s) => [s.name, s]));
    subsByContainer.set(container, subs);
  }
  return subs.get(sub) ?? subs.get(sub.toLowerCase());
}
