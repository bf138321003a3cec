/** The pub/sub family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta } from './meta.js';
import { ALL_KEYS, BY_SUB, O1, ONE_KEY, def, ks } from './define.js';

const SUB_FLAGS = (): string[] => ['pubsub', 'noscript', 'loading', 'stale'];
const INTROSPECT_FLAGS = (): string[] => ['pubsub', 'loading', 'stale'];

const pubsubSub = (name: string, arity: number, summary: string, complexity: string, flags = INTROSPECT_FLAGS(), acl = ['pubsub', 'slow']): CommandMeta =>
  def({ name, arity, flags, acl, group: 'pubsub', since: name.startsWith('shard') ? '7.0.0' : '2.8.0', summary, complexity, route: 'connection' });

export const PUBSUB: CommandMeta[] = [
  def({
    name: 'publish', arity: 3, flags: ['pubsub', 'loading', 'stale', 'fast'], acl: ['pubsub', 'fast'],
    group: 'pubsub', since: '2.0.0',
    summary: 'Posts a message to a channel',
    complexity: 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
    // No keys: it runs on the shard of the client's own thread.
    route: 'keys',
  }),
  def({
    name: 'spublish', arity: 3, flags: ['pubsub', 'loading', 'stale', 'fast'], acl: ['pubsub', 'fast'],
    keys: ONE_KEY, keySpecs: [ks(['not_key'], 1, 0)],
    group: 'pubsub', since: '7.0.0',
    summary: 'Posts a message to a shard channel',
    complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
    route: 'keys',
  }),
  def({
    name: 'subscribe', arity: -2, flags: SUB_FLAGS(), acl: ['pubsub', 'slow'],
    group: 'pubsub', since: '2.0.0',
    summary: 'Listens for messages published to channels',
    complexity: 'O(N) where N is the number of channels to subscribe to.',
    route: 'connection',
  }),
  def({
    name: 'unsubscribe', arity: -1, flags: SUB_FLAGS(), acl: ['pubsub', 'slow'],
    group: 'pubsub', since: '2.0.0',
    summary: 'Stops listening to messages posted to channels',
    complexity: 'O(N) where N is the number of channels to unsubscribe.',
    route: 'connection',
  }),
  def({
    name: 'psubscribe', arity: -2, flags: SUB_FLAGS(), acl: ['pubsub', 'slow'],
    group: 'pubsub', since: '2.0.0',
    summary: 'Listens for messages published to channels that match one or more patterns',
    complexity: 'O(N) where N is the number of patterns to subscribe to.',
    route: 'connection',
  }),
  def({
    name: 'punsubscribe', arity: -1, flags: SUB_FLAGS(), acl: ['pubsub', 'slow'],
    group: 'pubsub', since: '2.0.0',
    summary: 'Stops listening to messages published to channels that match one or more patterns',
    complexity: 'O(N) where N is the number of patterns to unsubscribe.',
    route: 'connection',
  }),
  def({
    name: 'ssubscribe', arity: -2, flags: SUB_FLAGS(), acl: ['pubsub', 'slow'],
    keys: ALL_KEYS, keySpecs: [ks(['not_key'], 1, -1)],
    group: 'pubsub', since: '7.0.0',
    summary: 'Listens for messages published to shard channels',
    complexity: 'O(N) where N is the number of shard channels to subscribe to.',
    route: 'connection',
  }),
  def({
    name: 'sunsubscribe', arity: -1, flags: SUB_FLAGS(), acl: ['pubsub', 'slow'],
    keys: ALL_KEYS, keySpecs: [ks(['not_key'], 1, -1)],
    group: 'pubsub', since: '7.0.0',
    summary: 'Stops listening to messages posted to shard channels',
    complexity: 'O(N) where N is the number of shard channels to unsubscribe.',
    route: 'connection',
  }),
  def({
    name: 'pubsub', arity: -2, flags: [], acl: ['slow'],
    group: 'pubsub', since: '2.8.0',
    summary: 'Groups the commands that inspect the pub/sub state',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      pubsubSub('channels', -2, 'Returns the active channels', 'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)'),
      pubsubSub('numsub', -2, 'Returns the count of subscribers of channels', 'O(N) for the NUMSUB subcommand, where N is the number of requested channels'),
      pubsubSub('numpat', 2, 'Returns the count of unique pattern subscriptions', O1),
      pubsubSub('shardchannels', -2, 'Returns the active shard channels', 'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).'),
      pubsubSub('shardnumsub', -2, 'Returns the count of subscribers of shard channels', 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels'),
      { ...pubsubSub('help', 2, 'Returns helpful text about the different subcommands', 'O(1)', ['loading', 'stale'], ['slow']), since: '6.2.0' },
    ],
  }),
];
