/** Commands that watch the server: MONITOR and SLOWLOG (see catalog/define.ts for the fields). */
import type { CommandMeta } from './meta.js';
import { BY_SUB, O1, def } from './define.js';

const ADMIN = (): string[] => ['admin', 'slow', 'dangerous'];

export const OBSERVABILITY: CommandMeta[] = [
  def({
    name: 'monitor', arity: 1, flags: ['admin', 'noscript', 'loading', 'stale'], acl: ADMIN(),
    group: 'server', since: '1.0.0',
    summary: 'Streams every command the server runs, from every client, as it runs',
    complexity: '', route: 'connection',
  }),
  def({
    name: 'slowlog', arity: -2, flags: [], acl: ['slow'],
    group: 'server', since: '2.2.12',
    summary: 'Groups the commands that read and clear the log of slow commands',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      def({
        name: 'get', arity: -2, flags: ['admin', 'loading', 'stale'], acl: ADMIN(),
        tips: ['request_policy:all_nodes', 'nondeterministic_output'],
        group: 'server', since: '2.2.12', summary: 'Returns the newest entries of the slow log',
        complexity: 'O(N) where N is the number of entries returned', route: 'connection',
        history: [['4.0.0', 'Added client IP address, port and name to the reply.']],
      }),
      def({
        name: 'len', arity: 2, flags: ['admin', 'loading', 'stale'], acl: ADMIN(),
        tips: ['request_policy:all_nodes', 'response_policy:agg_sum', 'nondeterministic_output'],
        group: 'server', since: '2.2.12', summary: 'Returns the number of entries in the slow log', complexity: O1, route: 'connection',
      }),
      def({
        name: 'reset', arity: 2, flags: ['admin', 'loading', 'stale'], acl: ADMIN(),
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        group: 'server', since: '2.2.12', summary: 'Clears the slow log',
        complexity: 'O(N) where N is the number of entries in the slowlog', route: 'connection',
      }),
      def({
        name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'],
        group: 'server', since: '6.2.0', summary: 'Returns helpful text about the different subcommands', complexity: O1, route: 'connection',
      }),
    ],
  }),
  def({
    name: 'latency', arity: -2, flags: [], acl: ['slow'],
    group: 'server', since: '2.8.13',
    summary: 'Groups the commands of the latency monitor and the latency histograms',
    complexity: BY_SUB, route: 'connection',
    subcommands: [
      latencySub('history', 3, 'Returns the samples of one latency event', 'O(1)', ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special']),
      latencySub('reset', -2, 'Forgets the samples of some latency events, or of all', 'O(1)', ['request_policy:all_nodes', 'response_policy:all_succeeded']),
      latencySub('doctor', 2, 'Describes the latency events in words', 'O(1)', ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special']),
      latencySub('latest', 2, 'Returns the latest sample of every latency event', 'O(1)', ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special']),
      { ...latencySub('histogram', -2, 'Returns the cumulative latency distribution of some commands, or of all', 'O(N) where N is the number of commands with latency information being retrieved.', ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special']), since: '7.0.0' },
      latencySub('graph', 3, 'Draws the samples of one latency event', 'O(1)', ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special']),
      def({
        name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'],
        group: 'server', since: '2.8.13', summary: 'Returns helpful text about the different subcommands', complexity: O1, route: 'connection',
      }),
    ],
  }),
];

function latencySub(name: string, arity: number, summary: string, complexity: string, tips: string[]): CommandMeta {
  return def({ name, arity, flags: ['admin', 'noscript', 'loading', 'stale'], acl: ADMIN(), tips, group: 'server', since: '2.8.13', summary, complexity, route: 'connection' });
}
