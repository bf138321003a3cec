/**
 * Parameters the shards read while running commands (encoding thresholds),
 * as int32 words: the configuration keeps them in step with its values, and
 * each shard keeps a private copy, replaced when an OP_CONFIG frame from
 * CONFIG SET reaches it in ring order (docs/architecture.md). Each word is
 * one parameter; values above 2^31 - 1 are stored as 2^31 - 1 (no collection
 * gets that large).
 */
export const enum Tunable {
  HashMaxListpackEntries = 0,
  HashMaxListpackValue = 1,
  SetMaxIntsetEntries = 2,
  SetMaxListpackEntries = 3,
  SetMaxListpackValue = 4,
  ZsetMaxListpackEntries = 5,
  ZsetMaxListpackValue = 6,
  /** rdbcompression and rdbchecksum (1 = yes): how DUMP payloads and snapshot records are written. */
  RdbCompression = 7,
  RdbChecksum = 8,
  /** list-max-listpack-size: decides when a list is a listpack or a quicklist (types/list.ts). */
  ListMaxListpackSize = 9,
  /** hll-sparse-max-bytes: a sparse HyperLogLog growing past it turns dense. */
  HllSparseMaxBytes = 10,
  /** stream-node-max-bytes and stream-node-max-entries: when a stream starts a new node (types/stream.ts). */
  StreamNodeMaxBytes = 11,
  StreamNodeMaxEntries = 12,
}

export const TUNABLE_COUNT = 13;

/** Config parameter name → tunable word. */
export const TUNABLE_PARAMS: Record<string, Tunable> = {
  'hash-max-listpack-entries': Tunable.HashMaxListpackEntries,
  'hash-max-listpack-value': Tunable.HashMaxListpackValue,
  'set-max-intset-entries': Tunable.SetMaxIntsetEntries,
  'set-max-listpack-entries': Tunable.SetMaxListpackEntries,
  'set-max-listpack-value': Tunable.SetMaxListpackValue,
  'zset-max-listpack-entries': Tunable.ZsetMaxListpackEntries,
  'zset-max-listpack-value': Tunable.ZsetMaxListpackValue,
  rdbcompression: Tunable.RdbCompression,
  rdbchecksum: Tunable.RdbChecksum,
  'list-max-listpack-size': Tunable.ListMaxListpackSize,
  'hll-sparse-max-bytes': Tunable.HllSparseMaxBytes,
  'stream-node-max-bytes': Tunable.StreamNodeMaxBytes,
  'stream-node-max-entries': Tunable.StreamNodeMaxEntries,
};

/** A fresh tunables block with Redis's defaults (what `new Config()` holds too). */
export function newTunables(): Int32Array {
  const t = new Int32Array(TUNABLE_COUNT);
  t[Tunable.HashMaxListpackEntries] = 512;
  t[Tunable.HashMaxListpackValue] = 64;
  t[Tunable.SetMaxIntsetEntries] = 512;
  t[Tunable.SetMaxListpackEntries] = 128;
  t[Tunable.SetMaxListpackValue] = 64;
  t[Tunable.ZsetMaxListpackEntries] = 128;
  t[Tunable.ZsetMaxListpackValue] = 64;
  t[Tunable.RdbCompression] = 1;
  t[Tunable.RdbChecksum] = 1;
  t[Tunable.ListMaxListpackSize] = -2;
  t[Tunable.HllSparseMaxBytes] = 3000;
  t[Tunable.StreamNodeMaxBytes] = 4096;
  t[Tunable.StreamNodeMaxEntries] = 100;
  return t;
}

/** Stores a parameter's numeric value in its word. */
export function storeTunable(t: Int32Array, which: Tunable, value: number): void {
  t[which] = Math.min(value, 0x7fffffff);
}
