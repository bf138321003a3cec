/**
 * Datasets for persistence tests: a random one of every type and encoding
 * (crossing the compact encodings' limits, on several databases), and a
 * comparable picture of what a server holds (type, value and whether each
 * key has a TTL), to compare two servers key by key.
 */
import type { Redis } from 'ioredis';
import { Rng } from './rng.js';

/** Every key of every database: type, value in a comparable form, and whether it has a TTL. */
export async function snapshotOf(c: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < 16; db++) {
    await c.select(db);
    const keys = (await c.keysBuffer('*')).sort(Buffer.compare);
    for (const k of keys) {
      const type = await c.type(k);
      let value: unknown;
      if (type === 'string') value = (await c.getBuffer(k))!.toString('hex');
      else if (type === 'list') value = (await c.lrangeBuffer(k, 0, -1)).map((b) => b.toString('hex'));
      else if (type === 'set') value = (await c.smembersBuffer(k)).map((b) => b.toString('hex')).sort();
      else if (type === 'hash') {
        const flat = (await c.callBuffer('HGETALL', k)) as Buffer[];
        const pairs: string[] = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i].toString('hex')}=${flat[i + 1].toString('hex')}`);
        value = pairs.sort();
      } else if (type === 'zset') value = ((await c.callBuffer('ZRANGE', k, 0, -1, 'WITHSCORES')) as Buffer[]).map((b) => b.toString('latin1'));
      const pttl = await c.pttl(k);
      out[`${db}:${k.toString('hex')}`] = { type, value, ttl: pttl > 0 ? 'yes' : String(pttl) };
    }
  }
  await c.select(0);
  return out;
}

/** A random dataset of every type, crossing the compact encodings' limits, on several databases. */
export async function fill(c: Redis, rng: Rng, keys: number): Promise<void> {
  const member = (): string | Buffer => {
    const r = rng.int(6);
    if (r === 0) return String(rng.int(1000) - 500);
    if (r === 1) return String(rng.range(-(2 ** 40), 2 ** 40));
    if (r === 2) return rng.bytes(rng.int(8));
    if (r === 3) return 'x'.repeat(rng.int(100));
    return rng.string(rng.int(20) + 1);
  };
  const big = (): number => (rng.chance(0.2) ? 130 + rng.int(600) : 1 + rng.int(20));
  for (let i = 0; i < keys; i++) {
    const db = rng.chance(0.7) ? 0 : rng.int(16);
    if (db !== 0) await c.select(db);
    const key = `k:${i}:${rng.string(4)}`;
    const kind = rng.int(6);
    if (kind === 0) await c.set(key, member());
    else if (kind === 1) await c.set(key, rng.chance(0.5) ? 'abc'.repeat(100 + rng.int(1000)) : rng.bytes(rng.int(3000)));
    else if (kind === 2) for (let n = big(), j = 0; j < n; j++) await c.rpush(key, member());
    else if (kind === 3) {
      const ints = rng.chance(0.4);
      for (let n = big(), j = 0; j < n; j++) await c.sadd(key, ints ? String(rng.range(-1e6, 1e6)) : member());
    } else if (kind === 4) for (let n = big(), j = 0; j < n; j++) await c.hset(key, `f${j}:${rng.string(3)}`, member());
    else for (let n = big(), j = 0; j < n; j++) await c.zadd(key, rng.chance(0.1) ? 'inf' : String(rng.range(-1e6, 1e6) / 7), String(member()));
    if (rng.chance(0.2)) await c.pexpire(key, 1_000_000 + rng.int(1_000_000));
    if (db !== 0) await c.select(0);
  }
}

/**
 * A test body with a random seed (SEED=<n> replays one), printed with the
 * command that replays it when the test fails.
 */
export function withSeed(file: string, name: string, body: (rng: Rng) => Promise<void>): () => Promise<void> {
  return async () => {
    const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
    try {
      await body(new Rng(seed));
    } catch (e) {
      (e as Error).message = `[${name}: seed ${seed}; SEED=${seed} npx vitest run ${file}] ${(e as Error).message}`;
      throw e;
    }
  };
}
