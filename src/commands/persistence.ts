/**
 * The persistence family on the shard: DUMP and RESTORE in Redis's
 * serialized format, and `rdb-part`, a shard's share of a snapshot (every
 * live key of every database as RDB records), which SAVE and BGSAVE gather
 * from all shards under one keyspace-wide lock (persistence/snapshot.ts).
 */
import type { ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { DB_COUNT } from '../shard/keyspace.js';
import { parseDumpPayload } from '../persistence/rdb-reader.js';
import { RdbWriter, dumpPayload } from '../persistence/rdb-writer.js';
import { RdbError } from '../persistence/rdb-value.js';
import { limitsOf, readValue, storeValue } from '../persistence/values.js';
import { Tunable } from '../config/tunables.js';

const ERR_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
const ERR_BAD_FORMAT = 'ERR Bad data format';

function writerOptions(x: Exec): { compress: boolean; checksum: boolean; limits: ReturnType<typeof limitsOf> } {
  const t = x.shard.tunables;
  return { compress: t[Tunable.RdbCompression] !== 0, checksum: t[Tunable.RdbChecksum] !== 0, limits: limitsOf(t) };
}

function dump(x: Exec): void {
  const h = x.lookup(1);
  if (h === 0) return x.r.nullBulk();
  const payload = dumpPayload(readValue(x.ks, h), writerOptions(x));
  x.r.bulk(payload, 0, payload.length);
}

/** RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency], checked in Redis's order. */
function restore(x: Exec): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < x.argc; j++) {
    const more = j + 1 < x.argc;
    if (x.argIs(j, 'replace')) replace = true;
    else if (x.argIs(j, 'absttl')) absttl = true;
    else if (x.argIs(j, 'idletime') && more && freq === -1) {
      const v = x.argIntOrReply(++j);
      if (v === null) return;
      if (v < 0) return x.r.error('ERR Invalid IDLETIME value, must be >= 0');
      idle = Number(v);
    } else if (x.argIs(j, 'freq') && more && idle === -1) {
      const v = x.argIntOrReply(++j);
      if (v === null) return;
      if (v < 0 || v > 255) return x.r.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
      freq = Number(v);
    } else return x.r.error(ERR_SYNTAX);
  }
  const ttlArg = x.argInt64(2);
  if (ttlArg === null) return x.r.error(ERR_NOT_INT);
  if (ttlArg < 0) return x.r.error('ERR Invalid TTL value, must be >= 0');
  const existing = x.lookup(1);
  if (existing !== 0 && !replace) return x.r.error('BUSYKEY Target key name already exists.');
  let value;
  try {
    value = parseDumpPayload(x.u8.subarray(x.off[3], x.off[3] + x.len[3]));
  } catch (err) {
    return x.r.error(err instanceof RdbError && err.message.startsWith('DUMP payload') ? ERR_PAYLOAD : ERR_BAD_FORMAT);
  }
  let ttl = Number(ttlArg);
  if (ttl !== 0 && !absttl) ttl += x.now;
  // Already expired: Redis deletes what REPLACE would have replaced and answers OK.
  if (ttl !== 0 && ttl <= x.now) {
    if (existing !== 0) x.ks.removeEntry(x.db, existing);
    return x.r.ok();
  }
  let h: number;
  try {
    h = storeValue(x.ks, x.shard.tunables, x.db, x.u8, x.off[1], x.len[1], existing, value, x.lru);
  } catch {
    return x.r.error(ERR_BAD_FORMAT);
  }
  if (h === 0) return x.r.error(ERR_BAD_FORMAT);
  if (ttl !== 0) x.ks.setExpire(x.db, h, ttl);
  if (idle >= 0) x.ks.touch(h, (x.lru - idle) & 0xffffff);
  x.ks.modified(h);
  x.r.ok();
}

/**
 * This shard's share of a snapshot, as one bulk string: for each database
 * with live keys, a 16-byte header (u32 LE: db, keys, keys with an expiry,
 * byte length) and then the RDB records of its keys. The snapshot's writer
 * puts SELECTDB and RESIZEDB with the totals of all shards before them.
 */
function rdbPart(x: Exec): void {
  const opts = writerOptions(x);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let db = 0; db < DB_COUNT; db++) {
    const table = x.ks.dbs[db].table;
    if (table.size === 0) continue;
    const w = new RdbWriter(opts);
    let keys = 0;
    let expires = 0;
    table.forEach((h) => {
      const exp = x.ks.expireAt(h);
      if (exp !== 0 && exp <= x.now) return;
      const key = x.bytesOf(h).subarray(x.ks.keyOffset(h), x.ks.keyOffset(h) + x.ks.keyLen(h));
      w.entry(key, readValue(x.ks, h), exp === 0 ? -1 : exp);
      keys++;
      if (exp !== 0) expires++;
    });
    if (keys === 0) continue;
    const body = w.take();
    const head = new Uint8Array(16);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, db, true);
    dv.setUint32(4, keys, true);
    dv.setUint32(8, expires, true);
    dv.setUint32(12, body.length, true);
    parts.push(head, body);
    total += 16 + body.length;
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  x.r.bulk(out, 0, out.length);
}

export const persistenceHandlers: Record<string, ShardHandler> = {
  dump,
  restore,
  'rdb-part': rdbPart,
};
