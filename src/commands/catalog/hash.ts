/** The hash family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta } from './meta.js';
import { O1, ONE_KEY, def, ks } from './define.js';

const WHOLE = 'O(N) where N is the size of the hash.';

export const HASH: CommandMeta[] = [
  def({
    name: 'hdel', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hash', 'fast'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Deletes fields from a hash; the hash itself goes when its last field does',
    complexity: 'O(N) where N is the number of fields to be removed.', route: 'keys',
    history: [['2.4.0', 'Several fields may be given.']],
  }),
  def({
    name: 'hexists', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'hash', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Tells whether a hash has a field',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hget', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'hash', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Returns the value of one field of a hash',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hgetall', arity: 2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'hash', 'slow'], tips: ['nondeterministic_output_order'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Returns every field of a hash with its value',
    complexity: WHOLE, route: 'keys',
  }),
  def({
    name: 'hincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hash', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Adds an integer to the integer value of a hash field (0 when missing)',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hincrbyfloat', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hash', 'fast'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'hash', since: '2.6.0',
    summary: 'Adds a floating point number to the value of a hash field (0 when missing)',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hkeys', arity: 2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'hash', 'slow'], tips: ['nondeterministic_output_order'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Returns every field name of a hash',
    complexity: WHOLE, route: 'keys',
  }),
  def({
    name: 'hlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'hash', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Returns how many fields a hash has',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hmget', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'hash', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Returns the values of several fields of a hash',
    complexity: 'O(N) where N is the number of fields being requested.', route: 'keys',
  }),
  def({
    name: 'hmset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hash', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Sets several fields of a hash (replies OK)',
    complexity: 'O(N) where N is the number of fields being set.', route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '4.0.0', replacedBy: '`HSET` with several field-value pairs',
  }),
  def({
    name: 'hrandfield', arity: -2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'hash', 'slow'], tips: ['nondeterministic_output'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '6.2.0',
    summary: 'Returns random fields of a hash, optionally with their values',
    complexity: 'O(N) where N is the number of fields returned', route: 'keys',
  }),
  def({
    name: 'hscan', arity: -3, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'hash', 'slow'], tips: ['nondeterministic_output'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '2.8.0',
    summary: 'Iterates over the fields and values of a hash with a cursor',
    complexity: 'O(1) for every call; O(N) for a whole iteration, N being the size of the hash.', route: 'keys',
  }),
  def({
    name: 'hset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hash', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Sets fields of a hash, creating it when missing; replies how many fields are new',
    complexity: 'O(1) per field-value pair.', route: 'keys',
    history: [['4.0.0', 'Several field-value pairs may be given.']],
  }),
  def({
    name: 'hsetnx', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'hash', 'fast'], keySpecs: [ks(['RW', 'insert'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Sets a hash field only when it does not exist yet',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hstrlen', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'hash', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'hash', since: '3.2.0',
    summary: 'Returns the length in bytes of a hash field\'s value',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'hvals', arity: 2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'hash', 'slow'], tips: ['nondeterministic_output_order'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'hash', since: '2.0.0',
    summary: 'Returns every value of a hash',
    complexity: WHOLE, route: 'keys',
  }),
];
