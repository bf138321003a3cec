/**
 * The pub/sub family's connection commands: SUBSCRIBE and its kin change
 * the connection's subscriptions in the thread's hub (pubsub/hub.ts) and
 * answer once every thread knows; PUBSUB reads the hub's directory, which
 * covers every thread. PUBLISH and SPUBLISH run on shards
 * (commands/pubsub.ts).
 */
import { SubKind, type SubscriptionKind } from '../pubsub/hub.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { FrontCall, FrontHandler } from './front-call.js';

function change(f: FrontCall, kind: SubscriptionKind, subscribe: boolean): void {
  const hub = f.thread.pubsub;
  const c = f.conn;
  const names: Uint8Array[] = [];
  for (let i = 1; i < f.argc; i++) names.push(f.argBytes(i));
  const w = new ReplyWriter(256);
  w.resp3 = c.resp === 3;
  const known = subscribe ? hub.subscribe(c, kind, names, w) : hub.unsubscribe(c, kind, names.length === 0 ? null : names, w);
  const bytes = w.buf.subarray(0, w.len);
  f.later(known, (out) => out.raw(bytes));
}

function listNames(f: FrontCall, kind: SubKind): void {
  if (f.argc > 3) return f.error(`ERR unknown subcommand or wrong number of arguments for '${f.arg(1)}'. Try PUBSUB HELP.`);
  const names = f.thread.pubsub.names(kind, f.argc === 3 ? f.argBytes(2) : null);
  f.w.array(names.length);
  for (const n of names) f.w.bulkBytes(n);
}

function countSubscribers(f: FrontCall, kind: SubKind): void {
  f.w.array((f.argc - 2) * 2);
  for (let i = 2; i < f.argc; i++) {
    const name = f.argBytes(i);
    f.w.bulkBytes(name);
    f.w.int(f.thread.pubsub.numsub(kind, name));
  }
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

export const pubsubFrontHandlers: Record<string, FrontHandler> = {
  subscribe: (f) => change(f, SubKind.Channel, true),
  unsubscribe: (f) => change(f, SubKind.Channel, false),
  psubscribe: (f) => change(f, SubKind.Pattern, true),
  punsubscribe: (f) => change(f, SubKind.Pattern, false),
  ssubscribe: (f) => change(f, SubKind.Shard, true),
  sunsubscribe: (f) => change(f, SubKind.Shard, false),
  'pubsub|channels': (f) => listNames(f, SubKind.Channel),
  'pubsub|shardchannels': (f) => listNames(f, SubKind.Shard),
  'pubsub|numsub': (f) => countSubscribers(f, SubKind.Channel),
  'pubsub|shardnumsub': (f) => countSubscribers(f, SubKind.Shard),
  'pubsub|numpat': (f) => f.w.int(f.thread.pubsub.names(SubKind.Pattern, null).length),
  'pubsub|help': (f) => {
    f.w.array(PUBSUB_HELP.length);
    for (const line of PUBSUB_HELP) f.w.simple(line);
  },
};
