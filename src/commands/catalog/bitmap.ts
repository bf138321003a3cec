/**
 * The bitmap family's commands (see catalog/define.ts for the fields).
 * Bitmaps are plain string values; these commands address their bits.
 */
import type { CommandMeta } from './meta.js';
import { O1, ONE_KEY, def, ks } from './define.js';

const BYTE_BIT: Array<[string, string]> = [['7.0.0', 'The range may be given in bits (BIT) as well as in bytes (BYTE).']];
const PER_OP = 'O(1) per subcommand.';

export const BITMAP: CommandMeta[] = [
  def({
    name: 'bitcount', arity: -2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'bitmap', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'bitmap', since: '2.6.0',
    summary: 'Counts the set bits of a string, or of a range of its bytes or bits',
    complexity: 'O(N), N being the length of the range in bytes.', route: 'keys', history: BYTE_BIT,
  }),
  def({
    name: 'bitfield', arity: -2, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'bitmap', 'slow'],
    keySpecs: [ks(['RW', 'access', 'update', 'variable_flags'], 1, 0, 1, 'This command allows both access and modification of the key')],
    group: 'bitmap', since: '3.2.0',
    summary: 'Reads, writes and increments integers of any width up to 64 bits at any bit offset of a string',
    complexity: PER_OP, route: 'keys',
  }),
  def({
    name: 'bitfield_ro', arity: -2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'bitmap', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'bitmap', since: '6.0.0',
    summary: 'Reads integers of any width up to 64 bits at any bit offset of a string (BITFIELD with GET only)',
    complexity: PER_OP, route: 'keys',
  }),
  def({
    // Keys on several shards: the sources are read where they live (bitmaps-across.ts).
    name: 'bitop', arity: -4, flags: ['write', 'denyoom'], keys: [2, -1, 1],
    acl: ['write', 'bitmap', 'slow'],
    keySpecs: [ks(['OW', 'update'], 2), ks(['RO', 'access'], 3, -1)],
    group: 'bitmap', since: '2.6.0',
    summary: 'Stores the bitwise AND, OR, XOR of strings, or the NOT of one, at a key',
    complexity: 'O(N), N being the length of the longest source string.', route: 'keys',
  }),
  def({
    name: 'bitpos', arity: -3, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'bitmap', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'bitmap', since: '2.8.7',
    summary: 'Finds the first set or clear bit of a string, or of a range of its bytes or bits',
    complexity: 'O(N), N being the length of the range in bytes.', route: 'keys', history: BYTE_BIT,
  }),
  def({
    name: 'getbit', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'bitmap', 'fast'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'bitmap', since: '2.2.0',
    summary: 'Returns the bit at an offset of a string (0 past its end)',
    complexity: O1, route: 'keys',
  }),
  def({
    name: 'setbit', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'bitmap', 'slow'], keySpecs: [ks(['RW', 'access', 'update'], 1)],
    group: 'bitmap', since: '2.2.0',
    summary: 'Sets or clears the bit at an offset of a string, growing it with zero bytes as needed',
    complexity: 'O(1), plus zeroing the bytes a string grows by.', route: 'keys',
  }),
];
