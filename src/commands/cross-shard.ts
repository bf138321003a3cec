/**
 * Multi-key commands that read keys of other shards and write (at most)
 * their first key. When their keys span shards, the front runs them as one
 * locked multi-hop transaction: it exports the keys that live elsewhere and
 * runs the command on the first key's shard with those keys attached
 * (REQ_FOREIGN_KEYS), where `Exec.lookup` finds them. A family adding such a
 * command only lists it here; its handler is the single-shard one.
 *
 * Commands that write several shards (SMOVE, LMOVE, RENAME ...) or block
 * (BLPOP, BZPOPMIN ...) have their own multi-hop logic in
 * front/transactions.ts and front/front.ts.
 */
export const FOREIGN_SOURCE_COMMANDS: ReadonlySet<string> = new Set([
  'sinter', 'sunion', 'sdiff', 'sinterstore', 'sunionstore', 'sdiffstore', 'sintercard',
  'zunion', 'zinter', 'zdiff', 'zunionstore', 'zinterstore', 'zdiffstore', 'zintercard', 'zrangestore',
]);
