/**
 * Which of Shoal's shards a key lives on, computed the way docs/architecture.md
 * describes it (and independently of src/): slot = CRC16/XMODEM of the key, or
 * of its {hash tag}, mod 16384; slots are dealt to N shards in contiguous
 * ranges, shard = floor(slot * N / 16384).
 *
 * Tests use it to pick key sets that provably span every shard, so a test that
 * says "keys on 4 shards" really exercises 4 shards.
 */

function crc16Xmodem(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= bytes[i]! << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** Redis Cluster hash slot (0..16383) of a key, hash tags honoured. */
export function hashSlot(key: string | Uint8Array): number {
  const b = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const open = b.indexOf(0x7b /* { */);
  if (open >= 0) {
    const close = b.indexOf(0x7d /* } */, open + 1);
    if (close > open + 1) return crc16Xmodem(b, open + 1, close) & 0x3fff;
  }
  return crc16Xmodem(b, 0, b.length) & 0x3fff;
}

/** The shard (0..shards-1) that owns a key. */
export function shardOf(key: string | Uint8Array, shards = 4): number {
  return Math.floor((hashSlot(key) * shards) / 16384);
}

/** Number of distinct shards a set of keys touches. */
export function shardsTouched(keys: readonly (string | Uint8Array)[], shards = 4): number {
  return new Set(keys.map((k) => shardOf(k, shards))).size;
}

/**
 * `count` keys named prefix + i (i = 0, 1, ...; or name(prefix, i) when given,
 * e.g. to make hash-tagged names), skipping indices so that the
 * keys go round the shards in turn (key j lands on shard j mod shards). The
 * result is deterministic, and every shard gets ⌊count/shards⌋ or one more.
 */
export function keysOnEveryShard(prefix: string, count: number, shards = 4, name: (prefix: string, i: number) => string = (p, i) => `${p}${i}`): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const k = name(prefix, i);
    if (shardOf(k, shards) === out.length % shards) out.push(k);
    if (i > count * shards * 100) throw new Error(`could not spread keys with prefix ${prefix}`);
  }
  return out;
}

/** One key per shard: key named prefix + i landing on shard s, for s = 0..shards-1. */
export function oneKeyPerShard(prefix: string, shards = 4): string[] {
  return keysOnEveryShard(prefix, shards, shards);
}

/** Like keysOnEveryShard, with hash-tagged names `{<tag><i>}<suffix>`. */
export function taggedKeysOnEveryShard(tag: string, suffix: string, count: number, shards = 4): string[] {
  return keysOnEveryShard(tag, count, shards, (p, i) => `{${p}${i}}${suffix}`);
}
