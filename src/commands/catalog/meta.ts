/**
 * The declarative description of a command: everything the front needs to
 * check, route and describe it, without its implementation. One entry per
 * command (and per subcommand of container commands such as CLIENT or CONFIG)
 * lives in catalog.ts; the families under commands/ attach the handlers.
 */

/** How the front routes a command. */
export type RoutePolicy =
  /** Runs on the front thread; touches no keyspace data (PING, CLIENT, CONFIG ...). */
  | 'front'
  /** Every key of the command is sent to the shard that owns it; one hop (GET, SET, INCR ...).
   *  Keys on several shards are refused with CROSSSLOT-like handling by the router. */
  | 'single'
  /** Keys are split by shard; each shard runs its part at the same point of the global
   *  order and the front merges the parts (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK). */
  | 'multi'
  /** Sent to every shard; the front merges (DBSIZE, KEYS, FLUSHALL, SWAPDB, RANDOMKEY, SCAN ...). */
  | 'all'
  /** Needs to read every involved shard before writing any of them (MSETNX across shards). */
  | 'barrier'
  /** Keys may live on different shards and the command must read one before writing another
   *  (RENAME, RENAMENX, COPY): the front takes intent locks on the keys, runs the hops, then
   *  releases them. */
  | 'multihop';

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
