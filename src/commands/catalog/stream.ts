/** The stream family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta, KeySpec } from './meta.js';
import { O1, ONE_KEY, def, ks } from './define.js';

const SUB_KEY: [number, number, number] = [2, 2, 1];
const LOG_N = 'O(1) for each entry ID processed.';

/** XREAD / XREADGROUP: the keys are the first half of what follows STREAMS. */
const streamsKeys = (startFrom: number): KeySpec => ({
  flags: ['RO', 'access'],
  beginSearch: { type: 'keyword', keyword: 'STREAMS', startFrom },
  findKeys: { type: 'range', lastKey: -1, step: 1, limit: 2 },
});

const help = (container: string): CommandMeta =>
  def({
    name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['stream', 'slow'],
    group: 'stream', since: '5.0.0',
    summary: `Describes the ${container} subcommands`, complexity: O1, route: 'connection',
  });

export const STREAM: CommandMeta[] = [
  def({
    name: 'xack', arity: -4, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'stream', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Acknowledges entries of a consumer group, taking them off its pending list',
    complexity: LOG_N, route: 'keys',
  }),
  def({
    name: 'xadd', arity: -5, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'stream', 'fast'], tips: ['nondeterministic_output'],
    keySpecs: [ks(['RW', 'update'], 1, 0, 1, 'UPDATE instead of INSERT because of the optional trimming feature')],
    group: 'stream', since: '5.0.0',
    summary: 'Appends an entry to a stream, creating it when missing, and trims it on request',
    complexity: 'O(1) when adding an entry, O(N) when trimming, N being the entries evicted.', route: 'keys',
    history: [['6.2.0', 'NOMKSTREAM, MINID and LIMIT.'], ['7.0.0', 'IDs of the form <ms>-*.']],
  }),
  def({
    name: 'xautoclaim', arity: -6, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'stream', 'fast'], tips: ['nondeterministic_output'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'stream', since: '6.2.0',
    summary: 'Moves pending entries idle for long enough to another consumer, scanning with a cursor',
    complexity: 'O(1) if COUNT is small.', route: 'keys',
    history: [['7.0.0', 'The reply lists the IDs of deleted entries it dropped; entries are no longer claimed when deleted.']],
  }),
  def({
    name: 'xclaim', arity: -6, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'stream', 'fast'], tips: ['nondeterministic_output'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Gives pending entries of a group to another consumer',
    complexity: 'O(log N) with N the number of messages in the PEL of the consumer group.', route: 'keys',
  }),
  def({
    name: 'xdel', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY,
    acl: ['write', 'stream', 'fast'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Deletes entries of a stream by ID',
    complexity: 'O(1) for each single item to delete in the stream, regardless of the stream size.', route: 'keys',
  }),
  def({
    name: 'xgroup', arity: -2, flags: [], acl: ['slow'],
    group: 'stream', since: '5.0.0',
    summary: 'Groups the subcommands that manage consumer groups',
    complexity: 'Depends on subcommand.', route: 'connection',
    subcommands: [
      def({
        name: 'create', arity: -5, flags: ['write', 'denyoom'], keys: SUB_KEY,
        acl: ['write', 'stream', 'slow'], keySpecs: [ks(['RW', 'insert'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Creates a consumer group', complexity: O1, route: 'keys',
        history: [['7.0.0', 'ENTRIESREAD.']],
      }),
      def({
        name: 'createconsumer', arity: 5, flags: ['write', 'denyoom'], keys: SUB_KEY,
        acl: ['write', 'stream', 'slow'], keySpecs: [ks(['RW', 'insert'], 2)],
        group: 'stream', since: '6.2.0',
        summary: 'Creates a consumer in a consumer group', complexity: O1, route: 'keys',
      }),
      def({
        name: 'delconsumer', arity: 5, flags: ['write'], keys: SUB_KEY,
        acl: ['write', 'stream', 'slow'], keySpecs: [ks(['RW', 'delete'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Deletes a consumer from a consumer group, with its pending entries', complexity: O1, route: 'keys',
      }),
      def({
        name: 'destroy', arity: 4, flags: ['write'], keys: SUB_KEY,
        acl: ['write', 'stream', 'slow'], keySpecs: [ks(['RW', 'delete'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Destroys a consumer group',
        complexity: 'O(N) where N is the number of entries in the group\'s pending entries list (PEL).', route: 'keys',
      }),
      help('XGROUP'),
      def({
        name: 'setid', arity: -5, flags: ['write'], keys: SUB_KEY,
        acl: ['write', 'stream', 'slow'], keySpecs: [ks(['RW', 'update'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Sets the last delivered ID of a consumer group', complexity: O1, route: 'keys',
        history: [['7.0.0', 'ENTRIESREAD.']],
      }),
    ],
  }),
  def({
    name: 'xinfo', arity: -2, flags: [], acl: ['slow'],
    group: 'stream', since: '5.0.0',
    summary: 'Groups the subcommands that describe streams, groups and consumers',
    complexity: 'Depends on subcommand.', route: 'connection',
    subcommands: [
      def({
        name: 'consumers', arity: 4, flags: ['readonly'], keys: SUB_KEY,
        acl: ['read', 'stream', 'slow'], tips: ['nondeterministic_output'], keySpecs: [ks(['RO', 'access'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Lists the consumers of a consumer group', complexity: O1, route: 'keys',
      }),
      def({
        name: 'groups', arity: 3, flags: ['readonly'], keys: SUB_KEY,
        acl: ['read', 'stream', 'slow'], keySpecs: [ks(['RO', 'access'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Lists the consumer groups of a stream', complexity: O1, route: 'keys',
        history: [['7.0.0', 'entries-read and lag.']],
      }),
      help('XINFO'),
      def({
        name: 'stream', arity: -3, flags: ['readonly'], keys: SUB_KEY,
        acl: ['read', 'stream', 'slow'], keySpecs: [ks(['RO', 'access'], 2)],
        group: 'stream', since: '5.0.0',
        summary: 'Describes a stream', complexity: O1, route: 'keys',
        history: [['6.0.0', 'FULL.'], ['7.0.0', 'max-deleted-entry-id, entries-added, recorded-first-entry-id, entries-read and lag.']],
      }),
    ],
  }),
  def({
    name: 'xlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY,
    acl: ['read', 'stream', 'fast'], keySpecs: [ks(['RO'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Returns how many entries a stream holds', complexity: O1, route: 'keys',
  }),
  def({
    name: 'xpending', arity: -3, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'stream', 'slow'], tips: ['nondeterministic_output'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Describes the pending entries of a consumer group',
    complexity: 'O(N) with N the number of elements returned.', route: 'keys',
    history: [['6.2.0', 'IDLE, and exclusive ranges.']],
  }),
  def({
    name: 'xrange', arity: -4, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'stream', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Returns the entries of a stream within a range of IDs',
    complexity: 'O(N) with N being the number of elements being returned.', route: 'keys',
    history: [['6.2.0', 'Exclusive ranges.']],
  }),
  def({
    name: 'xread', arity: -4, flags: ['readonly', 'blocking', 'movablekeys'],
    acl: ['read', 'stream', 'slow', 'blocking'], keySpecs: [streamsKeys(1)],
    group: 'stream', since: '5.0.0',
    summary: 'Returns entries of several streams after given IDs, waiting for them on request',
    complexity: 'O(N) with N the number of elements returned.', route: 'keys',
  }),
  def({
    name: 'xreadgroup', arity: -7, flags: ['write', 'blocking', 'movablekeys'],
    acl: ['write', 'stream', 'slow', 'blocking'], keySpecs: [streamsKeys(4)],
    group: 'stream', since: '5.0.0',
    summary: 'Reads entries of streams for a consumer of a group, waiting for them on request',
    complexity: 'O(N) with N the number of elements returned.', route: 'keys',
  }),
  def({
    name: 'xrevrange', arity: -4, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'stream', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Returns the entries of a stream within a range of IDs, last first',
    complexity: 'O(N) with N being the number of elements returned.', route: 'keys',
    history: [['6.2.0', 'Exclusive ranges.']],
  }),
  def({
    name: 'xsetid', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY,
    acl: ['write', 'stream', 'fast'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Sets the last ID of a stream (an internal command of replication)',
    complexity: O1, route: 'keys',
    history: [['7.0.0', 'ENTRIESADDED and MAXDELETEDID.']],
  }),
  def({
    name: 'xtrim', arity: -4, flags: ['write'], keys: ONE_KEY,
    acl: ['write', 'stream', 'slow'], tips: ['nondeterministic_output'], keySpecs: [ks(['RW', 'delete'], 1)],
    group: 'stream', since: '5.0.0',
    summary: 'Removes the oldest entries of a stream, down to a length or an ID',
    complexity: 'O(N), with N being the number of evicted entries.', route: 'keys',
    history: [['6.2.0', 'MINID and LIMIT.']],
  }),
];

