/**
 * The persistence family on the shard: DUMP and RESTORE in Redis's
 * serialized format, and a shard's part in SAVE and BGSAVE: the barrier
 * (`snapshot-begin`), its records chunk by chunk (`snapshot-chunk`), and
 * giving up (`snapshot-abort`); persistence/snapshot.ts drives them.
 */
import { Notify } from '../util/keyspace-events.js';
import type { ShardHandler } from '../shard/exec.js';
import { ERR_NOT_INT, ERR_SYNTAX, type Exec } from '../shard/exec.js';
import { parseDumpPayload } from '../persistence/rdb-reader.js';
import { dumpPayload, encodeValue } from '../persistence/rdb-writer.js';
import { RdbCursor } from '../persistence/rdb-cursor.js';
import { encodingName, idleSeconds, refcountOf } from './keys.js';
import { RdbError } from '../persistence/rdb-value.js';
import { limitsOf, readValue, storeValue } from '../persistence/values.js';
import { ShardSnapshot } from '../persistence/shard-snapshot.js';
import { loadRdbFile } from '../persistence/load.js';
import { encodeDigestPart, shardDigest, valueDigest } from '../persistence/digest.js';
import { DB_COUNT, Enc, type Keyspace } from '../shard/keyspace.js';
import { keyHashSlot, slotOwner } from '../util/crc16.js';
import { Tunable } from '../config/tunables.js';

const ERR_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
const ERR_BAD_FORMAT = 'ERR Bad data format';

function writerOptions(x: Exec): { compress: boolean; checksum: boolean; limits: ReturnType<typeof limitsOf> } {
  const t = x.shard.tunables;
  return { compress: t[Tunable.RdbCompression] !== 0, checksum: t[Tunable.RdbChecksum] !== 0, limits: limitsOf(t) };
}

/** RESTORE key <expire-at or 0> <payload> REPLACE ABSTTL: entry h made again (ShardCommands.restoreCommand). */
export function restoreCommand(ks: Keyspace, h: number, key: Uint8Array, tunables: Int32Array): (Uint8Array | string)[] {
  const payload = dumpPayload(readValue(ks, h), { compress: tunables[Tunable.RdbCompression] !== 0, limits: limitsOf(tunables) });
  return ['RESTORE', key, String(ks.expireAt(h)), payload, 'REPLACE', 'ABSTTL'];
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
  if (ttl !== 0 && ttl <= x.now && !x.ks.expireSuspended) {
    if (existing !== 0) {
      x.ks.removeEntry(x.db, existing);
      x.propagate('DEL', x.arg(1));
      x.notifyArg(Notify.Generic, 'del', 1);
    } else x.propagateNothing();
    return x.r.ok();
  }
  let h: number;
  try {
    h = storeValue(x.ks, x.shard.tunables, x.db, x.u8, x.off[1], x.len[1], existing, value, x.lru, x.now);
  } catch {
    return x.r.error(ERR_BAD_FORMAT);
  }
  if (h === 0) return x.r.error(ERR_BAD_FORMAT);
  if (ttl !== 0) h = x.ks.setExpire(x.db, h, ttl);
  if (idle >= 0) x.ks.touch(h, (x.lru - idle) & 0xffffff);
  x.ks.modified(h);
  x.notifyArg(Notify.Generic, 'restore', 1);
  // The TTL as an absolute time: replayed later, a relative one would last longer.
  if (ttl !== 0 && !absttl) x.propagate('RESTORE', x.arg(1), String(ttl), x.arg(3), 'REPLACE', 'ABSTTL');
  x.r.ok();
}

/** A snapshot's barrier: this shard marks what the snapshot holds (persistence/shard-snapshot.ts). */
/**
 * Options say what else happens at the barrier of an AOF rewrite (every
 * shard is held there, so nothing runs between the snapshot's instant and
 * these): `rotate`, shard 0 records that the writes after it go to the new
 * incr file; `attach`, every shard starts recording its writes (CONFIG SET
 * appendonly yes: the new base holds everything before).
 */
function snapshotBegin(x: Exec): void {
  const snap = new ShardSnapshot(x.ks, writerOptions(x), x.now);
  x.snapshot = snap;
  x.ks.onChanging = (db, h) => snap.preserve(db, h);
  for (let i = 1; i < x.argc; i++) {
    if (x.argIs(i, 'attach')) x.effects = x.feed;
    else if (x.argIs(i, 'rotate') && x.shard.index === 0) x.effects?.rotate();
  }
  x.r.ok();
}

/**
 * The next chunk of this shard's snapshot (about argument 1 bytes) as a
 * bulk string led by a continuation byte; once all is written, the bytes it
 * wrote ahead of the walk (the copy-on-write analog) as an integer, and the
 * snapshot ends here.
 */
function snapshotChunk(x: Exec): void {
  const snap = x.snapshot;
  if (!(snap instanceof ShardSnapshot)) return x.r.error('ERR no snapshot in progress');
  const { bytes, more } = snap.next(Number(x.argStr(1)));
  if (bytes.length > 0) {
    // First byte: 1 when the next chunk continues this one (a big record in slices).
    const out = new Uint8Array(bytes.length + 1);
    out[0] = more ? 1 : 0;
    out.set(bytes, 1);
    return x.r.bulk(out, 0, out.length);
  }
  endSnapshot(x);
  x.r.int(snap.earlyBytes);
}

/** The saving thread gave up (a disk error): the shard forgets the snapshot. */
function snapshotAbort(x: Exec): void {
  endSnapshot(x);
  x.r.ok();
}

function endSnapshot(x: Exec): void {
  x.snapshot = null;
  x.ks.onChanging = null;
}

/**
 * DEBUG RELOAD's second half, under the lock its save took: the shard
 * empties its databases and loads its keys from the file just written
 * (arguments: dir, dbfilename).
 */
function reloadPart(x: Exec): void {
  for (let db = 0; db < DB_COUNT; db++) x.ks.flushDb(db);
  const { index, count } = x.shard;
  const mine = (key: Uint8Array): boolean => slotOwner(keyHashSlot(key, 0, key.length), count) === index;
  try {
    const res = loadRdbFile(x.argStr(1), x.argStr(2), { ks: x.ks, tunables: x.shard.tunables, mine, now: x.now });
    x.r.int(res === null ? 0 : res.keys);
  } catch (err) {
    x.r.error(`ERR ${(err as Error).message}`);
  }
}

/** DEBUG DIGEST's part: this shard's per-database digests (persistence/digest.ts). */
function digestPart(x: Exec): void {
  const b = encodeDigestPart(shardDigest(x.ks, x.now));
  x.r.bulk(b, 0, b.length);
}

/** DEBUG DIGEST-VALUE for one key of this shard: its 20-byte digest, or nil when missing. */
function digestValuePart(x: Exec): void {
  const h = x.peek(1);
  if (h === 0) return x.r.nullBulk();
  const d = valueDigest(x.ks, h);
  x.r.bulk(d, 0, d.length);
}

/**
 * DEBUG OBJECT's line for one key of this shard (nil when missing): Redis's
 * fields, serializedlength being the length of the value as RDB writes it,
 * and for lists the quicklist figures of that RDB form.
 */
function debugObjectPart(x: Exec): void {
  const h = x.peek(1);
  if (h === 0) return x.r.nullBulk();
  const value = readValue(x.ks, h);
  const opts = writerOptions(x);
  let line =
    `Value at:0x${h.toString(16).padStart(12, '0')} refcount:${refcountOf(x, h)} encoding:${encodingName(x, h)} ` +
    `serializedlength:${encodeValue(value, opts).body.length} lru:${x.ks.lru(h)} lru_seconds_idle:${idleSeconds(x, h)}`;
  // Redis 7.2 gives the quicklist figures of quicklists only (ql_listpack_max: the fill).
  if (value.type === 'list' && x.ks.encoding(h) === Enc.QuickList) {
    const nodes = quicklistNodes(encodeValue(value, { ...opts, compress: false }).body);
    const total = nodes.reduce((a, n) => a + n, 0);
    const fill = x.shard.tunables[Tunable.ListMaxListpackSize];
    line += ` ql_nodes:${nodes.length} ql_avg_node:${(value.items.length / nodes.length).toFixed(2)} ql_listpack_max:${fill} ql_compressed:0 ql_uncompressed_size:${total}`;
  }
  x.r.bulkString(line);
}

/** The byte sizes of a LIST_QUICKLIST_2 body's nodes (written uncompressed). */
function quicklistNodes(body: Uint8Array): number[] {
  const c = new RdbCursor(body, 0);
  const n = c.length('quicklist nodes');
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    c.length('a node container');
    sizes.push(c.string('a node').length);
  }
  return sizes;
}

export const persistenceHandlers: Record<string, ShardHandler> = {
  'debug-object-part': debugObjectPart,
  'digest-part': digestPart,
  'digest-value-part': digestValuePart,
  'debug-reload-part': reloadPart,
  dump,
  restore,
  'snapshot-begin': snapshotBegin,
  'snapshot-chunk': snapshotChunk,
  'snapshot-abort': snapshotAbort,
};
