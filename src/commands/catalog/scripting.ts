/** The scripting family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta, KeySpec } from './meta.js';
import { BY_SUB, O1, def } from './define.js';

/** KEYS come after numkeys (argument 2): the key spec Redis gives EVAL and its forms. */
const scriptKeys = (flags: string[], notes?: string): KeySpec[] => [
  {
    flags,
    beginSearch: { type: 'index', index: 2 },
    findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, step: 1 },
    ...(notes === undefined ? {} : { notes }),
  },
];

const RUNS = 'Depends on the script that is executed.';

const evalForm = (name: string, readonly: boolean, sha: boolean, since: string, summary: string): CommandMeta =>
  def({
    name, arity: -3,
    flags: [...(readonly ? ['readonly'] : []), 'noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'movablekeys'],
    acl: ['slow', 'scripting'],
    keySpecs: sha
      ? scriptKeys(readonly ? ['RO', 'access'] : ['RW', 'access', 'update'])
      : readonly
        ? scriptKeys(['RO', 'access'], 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS')
        : scriptKeys(['RW', 'access', 'update'], 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'),
    group: 'scripting', since, summary, complexity: RUNS, route: 'keys',
  });

const scriptSub = (name: string, arity: number, flags: string[], tips: string[], since: string, summary: string, complexity = O1): CommandMeta =>
  def({ name, arity, flags, acl: ['slow', 'scripting'], tips, group: 'scripting', since, summary, complexity, route: 'connection' });

const functionSub = (name: string, arity: number, flags: string[], tips: string[], summary: string, complexity = O1): CommandMeta =>
  def({
    name, arity, flags, acl: [...(flags.includes('write') ? ['write'] : []), 'slow', 'scripting'], tips,
    group: 'scripting', since: '7.0.0', summary, complexity, route: 'connection',
  });

const fcallForm = (name: string, readonly: boolean, summary: string): CommandMeta =>
  def({
    name, arity: -3,
    flags: [...(readonly ? ['readonly'] : []), 'noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'movablekeys'],
    acl: ['slow', 'scripting'],
    keySpecs: readonly
      ? scriptKeys(['RO', 'access'], 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS')
      : scriptKeys(['RW', 'access', 'update'], 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'),
    group: 'scripting', since: '7.0.0', summary, complexity: 'Depends on the function that is executed.', route: 'keys',
  });

export const SCRIPTING: CommandMeta[] = [
  fcallForm('fcall', false, 'Calls a function of a loaded library'),
  fcallForm('fcall_ro', true, 'Calls a read-only function of a loaded library'),
  def({
    name: 'function', arity: -2, flags: [], acl: ['slow'],
    group: 'scripting', since: '7.0.0',
    summary: 'Groups the subcommands that manage function libraries',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      functionSub('kill', 2, ['noscript', 'allow_busy'], ['request_policy:all_shards', 'response_policy:one_succeeded'], 'Stops the function that is running, if it has not written'),
      functionSub('delete', 3, ['write', 'noscript'], ['request_policy:all_shards', 'response_policy:all_succeeded'], 'Deletes a library and its functions'),
      functionSub('stats', 2, ['noscript', 'allow_busy'], ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'], 'Says which function runs, and how many libraries and functions there are'),
      functionSub('dump', 2, ['noscript'], [], 'Serializes every library into a payload FUNCTION RESTORE takes', 'O(N) where N is the number of functions'),
      functionSub('restore', -3, ['write', 'denyoom', 'noscript'], ['request_policy:all_shards', 'response_policy:all_succeeded'], 'Loads the libraries of a FUNCTION DUMP payload', 'O(N) where N is the number of functions on the payload'),
      functionSub('help', 2, ['loading', 'stale'], [], 'Describes the FUNCTION subcommands'),
      functionSub('flush', -2, ['write', 'noscript'], ['request_policy:all_shards', 'response_policy:all_succeeded'], 'Deletes every library', 'O(N) where N is the number of functions deleted'),
      functionSub('list', -2, ['noscript'], ['nondeterministic_output_order'], 'Lists the libraries and their functions', 'O(N) where N is the number of functions'),
      functionSub('load', -3, ['write', 'denyoom', 'noscript'], ['request_policy:all_shards', 'response_policy:all_succeeded'], 'Loads a library of functions', 'O(1) (considering compilation time is redundant)'),
    ],
  }),
  evalForm('eval', false, false, '2.6.0', 'Runs a Lua script on the server'),
  evalForm('evalsha', false, true, '2.6.0', 'Runs a Lua script the server has cached, by its SHA1 digest'),
  evalForm('eval_ro', true, false, '7.0.0', 'Runs a read-only Lua script on the server'),
  evalForm('evalsha_ro', true, true, '7.0.0', 'Runs a cached read-only Lua script by its SHA1 digest'),
  def({
    name: 'script', arity: -2, flags: [], acl: ['slow'],
    group: 'scripting', since: '2.6.0',
    summary: 'Groups the subcommands that manage the script cache',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      scriptSub('help', 2, ['loading', 'stale'], [], '5.0.0', 'Describes the SCRIPT subcommands'),
      def({
        name: 'flush', arity: -2, flags: ['noscript'], acl: ['slow', 'scripting'],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        group: 'scripting', since: '2.6.0', summary: 'Empties the script cache',
        complexity: 'O(N) with N being the number of scripts in cache', route: 'connection',
        history: [['6.2.0', 'Added the `ASYNC` and `SYNC` flushing mode modifiers.']],
      }),
      scriptSub('kill', 2, ['noscript', 'allow_busy'], ['request_policy:all_shards', 'response_policy:one_succeeded'], '2.6.0', 'Stops the script that is running, if it has not written'),
      scriptSub('exists', -3, ['noscript'], ['request_policy:all_shards', 'response_policy:agg_logical_and'], '2.6.0', 'Says which scripts are in the script cache', 'O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).'),
      scriptSub('load', 3, ['noscript', 'stale'], ['request_policy:all_nodes', 'response_policy:all_succeeded'], '2.6.0', 'Puts a script in the script cache without running it', 'O(N) with N being the length in bytes of the script body.'),
    ],
  }),
];
