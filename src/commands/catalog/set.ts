/** The set family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta } from './meta.js';
import { ALL_KEYS, ONE_KEY, O1, def, ks } from './define.js';

const SET_OP_COMPLEXITY = 'O(N), N being the total number of members of the sets given.';
const MULTI_MEMBER: Array<[string, string]> = [['2.4.0', 'Takes several members.']];

/** A read-only command over a list of keys (SINTER, SUNION, SDIFF). */
const readMany = (name: string, summary: string): CommandMeta =>
  def({
    name, arity: -2, flags: ['readonly'], keys: ALL_KEYS,
    acl: ['read', 'set', 'slow'], tips: ['nondeterministic_output_order'],
    keySpecs: [ks(['RO', 'access'], 1, -1)],
    group: 'set', since: '1.0.0', summary, complexity: SET_OP_COMPLEXITY,
    // Every key on the handler's shard; a cross-shard layer supplies foreign source keys.
    route: 'keys',
  });

/** The STORE form: destination first, then the source keys. */
const storeMany = (name: string, destFlags: string[], summary: string): CommandMeta =>
  def({
    name, arity: -3, flags: ['write', 'denyoom'], keys: ALL_KEYS,
    acl: ['write', 'set', 'slow'],
    keySpecs: [ks(destFlags, 1), ks(['RO', 'access'], 2, -1)],
    group: 'set', since: '1.0.0', summary, complexity: SET_OP_COMPLEXITY, route: 'keys',
  });

export const SET: CommandMeta[] = [
  def({
    name: 'sadd', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'set', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Adds members to a set, creating the set when missing',
    complexity: 'O(1) per member added.', route: 'keys', history: MULTI_MEMBER,
  }),
  def({
    name: 'scard', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'set', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Returns the number of members of a set',
    complexity: O1, route: 'keys',
  }),
  readMany('sdiff', 'Returns the members of the first set that are in none of the others'),
  storeMany('sdiffstore', ['OW', 'update'], 'Stores the members of the first set that are in none of the others'),
  readMany('sinter', 'Returns the members common to all the given sets'),
  def({
    name: 'sintercard', arity: -3, flags: ['readonly', 'movablekeys'],
    acl: ['read', 'set', 'slow'],
    keySpecs: [{
      flags: ['RO', 'access'],
      beginSearch: { type: 'index', index: 1 },
      findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, step: 1 },
    }],
    group: 'set', since: '7.0.0',
    summary: 'Counts the members common to all the given sets, stopping at an optional limit',
    complexity: 'O(N*M) in the worst case, N being the size of the smallest set and M the number of sets.',
    route: 'keys',
  }),
  storeMany('sinterstore', ['RW', 'update'], 'Stores the members common to all the given sets'),
  def({
    name: 'sismember', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'set', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Tells whether a value is a member of a set',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'smembers', arity: 2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'set', 'slow'], tips: ['nondeterministic_output_order'],
    keySpecs: [ks(['RO', 'access'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Returns every member of a set',
    complexity: 'O(N), N being the size of the set.', route: 'keys',
  }),
  def({
    name: 'smismember', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'set', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'set', since: '6.2.0',
    summary: 'Tells, for each of several values, whether it is a member of a set',
    complexity: 'O(N), N being the number of values checked.', route: 'keys',
  }),
  def({
    name: 'smove', arity: 4, flags: ['write', 'fast'], keys: [1, 2, 1],
    acl: ['write', 'set', 'fast'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1), ks(['RW', 'insert'], 2)],
    group: 'set', since: '1.0.0',
    summary: 'Moves a member from one set to another',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'spop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'set', 'fast'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RW', 'access', 'delete'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Removes and returns a random member of a set, or several given a count',
    complexity: 'O(1) without a count, O(N) for a count of N.', route: 'keys',
    history: [['3.2.0', 'Takes a count.']],
  }),
  def({
    name: 'srandmember', arity: -2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'set', 'slow'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RO', 'access'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Returns a random member of a set, or several (distinct, or with repeats for a negative count)',
    complexity: 'O(1) without a count, O(N) for a count of N or -N.', route: 'keys',
    history: [['2.6.0', 'Takes a count.']],
  }),
  def({
    name: 'srem', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'set', 'fast'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'set', since: '1.0.0',
    summary: 'Removes members from a set, deleting the set when it empties',
    complexity: 'O(N), N being the number of members removed.', route: 'keys', history: MULTI_MEMBER,
  }),
  def({
    name: 'sscan', arity: -3, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'set', 'slow'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RO', 'access'], 1)],
    group: 'set', since: '2.8.0',
    summary: 'Iterates over the members of a set with a cursor',
    complexity: 'O(1) per call; O(N) for a whole iteration over N members.', route: 'keys',
  }),
  readMany('sunion', 'Returns the members of any of the given sets'),
  storeMany('sunionstore', ['OW', 'update'], 'Stores the members of any of the given sets'),
];
