/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's SHA-1 digest of the dataset,
 * equal to Redis's for the same data, which makes it the quickest way to
 * compare two servers.
 *
 * Redis's construction: a key's digest starts at 20 zero bytes; "mixing" a
 * string xors its SHA-1 into the digest and replaces the digest by its own
 * SHA-1 (order matters); "xoring" only xors the SHA-1 in (order does not).
 * A key mixes its name, its type (a big-endian u32), then its value: a
 * string mixed; list elements mixed in order; set members xored; hash
 * pairs and sorted-set (member, score) pairs each digested apart and xored
 * in; an expiry xors in "!!expire!!". The dataset digest mixes each
 * non-empty database's number, then xors in (the SHA-1s of) its keys'
 * digests — so a
 * shard can xor its keys per database, and the coordinator mixes the
 * database numbers and xors the shards' parts (`combineDigests`).
 */
import { createHash } from 'node:crypto';
import { segOf } from 'native-free-arena';
import { ObjType, type Keyspace } from '../shard/keyspace.js';
import { forEachEntry } from './rdb-stream.js';
import { DB_COUNT } from '../shard/keyspace.js';
import { formatDouble17g } from '../util/numbers.js';
import { readValue } from './values.js';
import { type Hops, bulkOrNull, bytes, withEveryShard } from '../scheduler/transaction.js';

const enc = new TextEncoder();
const EXPIRE_MARK = enc.encode('!!expire!!');

function sha1(data: Uint8Array): Uint8Array {
  return createHash('sha1').update(data).digest();
}

function xorInto(digest: Uint8Array, data: Uint8Array): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) digest[i] ^= h[i];
}

function mixInto(digest: Uint8Array, data: Uint8Array): void {
  xorInto(digest, data);
  digest.set(sha1(digest));
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

/** Redis's type numbers, which the digest mixes in. */
const REDIS_TYPE: Record<number, number> = { [ObjType.String]: 0, [ObjType.List]: 1, [ObjType.Set]: 2, [ObjType.ZSet]: 3, [ObjType.Hash]: 4, [ObjType.Stream]: 6 };

/** The digest of entry h's value, with its type and expiry (Redis's xorObjectDigest on a zero digest, key not included). */
export function valueDigest(ks: Keyspace, h: number): Uint8Array {
  const d = new Uint8Array(20);
  mixValue(ks, h, d);
  return d;
}

function mixValue(ks: Keyspace, h: number, d: Uint8Array): void {
  mixInto(d, u32be(REDIS_TYPE[ks.type(h)] ?? ks.type(h)));
  const v = readValue(ks, h);
  switch (v.type) {
    case 'string':
      mixInto(d, v.value);
      break;
    case 'list':
      for (const e of v.items) mixInto(d, e);
      break;
    case 'set':
      for (const m of v.members) xorInto(d, m);
      break;
    case 'hash':
      for (const [f, x] of v.pairs) {
        const e = new Uint8Array(20);
        mixInto(e, f);
        mixInto(e, x);
        xorInto(d, e);
      }
      break;
    case 'zset':
      for (const [m, score] of v.entries) {
        const e = new Uint8Array(20);
        mixInto(e, m);
        mixInto(e, enc.encode(formatDouble17g(score)));
        xorInto(d, e);
      }
      break;
    case 'stream':
      // Entries only, as Redis's xorObjectDigest: "<ms>.<seq>", then each field and value.
      forEachEntry(v.stream, (id, fields) => {
        mixInto(d, enc.encode(`${id >> 64n}.${id & ((1n << 64n) - 1n)}`));
        for (const f of fields) mixInto(d, f);
      });
      break;
  }
  if (ks.expireAt(h) !== 0) xorInto(d, EXPIRE_MARK);
}

/**
 * A shard's part of the dataset digest: for each database, the xor of the
 * SHA-1s of its live keys' digests (20 bytes each, zero when it has none),
 * and whether it has any key.
 */
export function shardDigest(ks: Keyspace, now: number): { parts: Uint8Array[]; used: boolean[] } {
  const parts: Uint8Array[] = [];
  const used: boolean[] = [];
  for (let db = 0; db < DB_COUNT; db++) {
    const acc = new Uint8Array(20);
    let any = false;
    ks.dbs[db].table.forEach((h) => {
      const exp = ks.expireAt(h);
      if (exp !== 0 && exp <= now) return;
      any = true;
      const d = new Uint8Array(20);
      const o = ks.keyOffset(h);
      mixInto(d, ks.arena.u8[segOf(h)].subarray(o, o + ks.keyLen(h)));
      mixValue(ks, h, d);
      xorInto(acc, d);
    });
    parts.push(acc);
    used.push(any);
  }
  return { parts, used };
}

/** A shard's part on the wire: 16 digests of 20 bytes, then 16 bytes of "has keys" flags. */
export function encodeDigestPart(p: { parts: Uint8Array[]; used: boolean[] }): Uint8Array {
  const out = new Uint8Array(DB_COUNT * 21);
  for (let db = 0; db < DB_COUNT; db++) {
    out.set(p.parts[db], db * 20);
    out[DB_COUNT * 20 + db] = p.used[db] ? 1 : 0;
  }
  return out;
}

export function decodeDigestPart(b: Uint8Array): { parts: Uint8Array[]; used: boolean[] } {
  if (b.length !== DB_COUNT * 21) throw new Error('malformed digest part');
  const parts: Uint8Array[] = [];
  const used: boolean[] = [];
  for (let db = 0; db < DB_COUNT; db++) {
    parts.push(b.subarray(db * 20, db * 20 + 20));
    used.push(b[DB_COUNT * 20 + db] === 1);
  }
  return { parts, used };
}

/** The dataset digest from every shard's parts, as hex (40 zeros for an empty dataset). */
export function combineDigests(shards: Array<{ parts: Uint8Array[]; used: boolean[] }>): string {
  const final = new Uint8Array(20);
  for (let db = 0; db < DB_COUNT; db++) {
    if (!shards.some((s) => s.used[db])) continue;
    mixInto(final, u32be(db));
    for (const s of shards) for (let i = 0; i < 20; i++) final[i] ^= s.parts[db][i];
  }
  return Buffer.from(final).toString('hex');
}

// ---- the saving thread's side: asking the shards -------------------------------

/** DEBUG DIGEST: every shard's part under one keyspace-wide lock, combined as Redis computes it. */
export async function datasetDigest(host: Hops): Promise<string> {
  const replies = await withEveryShard(host, { conn: 0, db: 0, resp3: false }, 0, (tx, shards) => Promise.all(shards.map((s) => tx.call(s, 'digest-part', [], 0))));
  return combineDigests(
    replies.map((r) => {
      const body = bulkOrNull(r);
      if (body === null) throw new Error(Buffer.from(r).toString('latin1').trim());
      return decodeDigestPart(body);
    }),
  );
}

/** DEBUG DIGEST-VALUE: each key's value digest as hex (40 zeros for a missing key). */
export async function valueDigests(host: Hops, db: number, keys: Uint8Array[]): Promise<string[]> {
  const id = host.handlerId('digest-value-part');
  const replies = await Promise.all(keys.map((k) => host.request(host.shardOf(k), id, db, [bytes('digest-value-part'), k], 0, 0)));
  return replies.map((r) => {
    const body = bulkOrNull(r);
    return body === null ? '0'.repeat(40) : Buffer.from(body).toString('hex');
  });
}
