/**
 * The declarative description of a command: everything a thread needs to
 * check, route and describe it, without its implementation. One entry per
 * command (and per subcommand of container commands such as CLIENT or CONFIG)
 * lives in catalog.ts; the families under commands/ attach the handlers and,
 * for multi-key commands, how they cross shards (commands/across.ts).
 */

/** Where a command runs. */
export type RoutePolicy =
  /** On the client's own thread: it acts on connections or the server, never on keys (PING, CLIENT, CONFIG, MULTI ...). */
  | 'connection'
  /** On the shard(s) owning its keys (GET, MSET, RENAME ...); keys on several shards take the command's cross-shard strategy. */
  | 'keys'
  /** Has no keys but spans the keyspace: every shard (DBSIZE, KEYS, FLUSHALL, SWAPDB, RANDOMKEY), or SCAN's cursor. */
  | 'keyspace';

/** A key specification, as COMMAND INFO reports it (Redis 7 "key_specs"). */
export interface KeySpec {
  flags: string[]; // e.g. ['RO', 'ACCESS'] or ['RW', 'UPDATE']
  beginSearch: { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startFrom: number } | { type: 'unknown' };
  findKeys:
    | { type: 'range'; lastKey: number; step: number; limit: number }
    | { type: 'keynum'; keyNumIdx: number; firstKey: number; step: number }
    | { type: 'unknown' };
  notes?: string;
}

export interface CommandMeta {
  /** Lower-case name; for a subcommand, just the subcommand ("getname" under "client"). */
  name: string;
  /** Redis arity: exact if positive, minimum if negative; counts the command name itself. */
  arity: number;
  /** Redis command flags as COMMAND INFO prints them, e.g. ['write', 'denyoom', 'fast']. */
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories without the '@', e.g. ['write', 'string', 'fast']. */
  acl: string[];
  /** Command tips, e.g. ['request_policy:all_shards', 'nondeterministic_output']. */
  tips: string[];
  keySpecs: KeySpec[];
  /** COMMAND DOCS fields, in Shoal's own words. */
  group: string;
  since: string;
  summary: string;
  complexity: string;
  route: RoutePolicy;
  subcommands?: CommandMeta[];
}
