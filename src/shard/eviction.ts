/**
 * maxmemory on a shard (Redis's evict.c, per shard): before a command that
 * may grow memory (`denyoom`) runs while the process is over maxmemory, the
 * shard evicts keys of its own keyspace, chosen as the policy says, until
 * the whole process is under the limit again or nothing more can go; then
 * the command runs, or answers OOM.
 *
 * What counts (docs/configuration.md): every shard's arena bytes and every
 * thread's JS heap, published in shared memory (each shard its own arena
 * after every command that may have grown it; each thread its heap every
 * cron), so each shard sees the whole process and evicts its share.
 *
 * Candidates are picked as Redis picks them: `maxmemory-samples` keys of
 * consecutive slots after a random point a round, the best kept in a pool of 16 across rounds; the LRU clock
 * and the LFU counter (a logarithmic 8-bit counter that decays every
 * lfu-decay-time minutes, with the minutes of its last decrement, in the
 * 24 bits Redis also shares between them) live in each key's entry.
 */
import type { Keyspace } from './keyspace.js';

export const enum Policy {
  NoEviction,
  AllkeysLru,
  AllkeysLfu,
  AllkeysRandom,
  VolatileLru,
  VolatileLfu,
  VolatileRandom,
  VolatileTtl,
}

const POLICIES: Record<string, Policy> = {
  noeviction: Policy.NoEviction,
  'allkeys-lru': Policy.AllkeysLru,
  'allkeys-lfu': Policy.AllkeysLfu,
  'allkeys-random': Policy.AllkeysRandom,
  'volatile-lru': Policy.VolatileLru,
  'volatile-lfu': Policy.VolatileLfu,
  'volatile-random': Policy.VolatileRandom,
  'volatile-ttl': Policy.VolatileTtl,
};

export function policyOf(name: string): Policy {
  return POLICIES[name] ?? Policy.NoEviction;
}

export function isLfu(p: Policy): boolean {
  return p === Policy.AllkeysLfu || p === Policy.VolatileLfu;
}

function isVolatile(p: Policy): boolean {
  return p === Policy.VolatileLru || p === Policy.VolatileLfu || p === Policy.VolatileRandom || p === Policy.VolatileTtl;
}

export interface EvictionSettings {
  maxmemory: number;
  policy: Policy;
  samples: number;
  /** maxmemory-eviction-tenacity (0–100): how long one command may spend evicting. */
  tenacity: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
}

// ---- LFU (Redis's layout: 16 bits of minutes, 8 bits of counter) ---------------------------

export const LFU_INIT_VAL = 5;

function minutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** A new key's LFU word. */
export function lfuInit(nowMs: number): number {
  return (minutes(nowMs) << 8) | LFU_INIT_VAL;
}

/** The counter after the decay of the minutes since its last decrement (Redis's LFUDecrAndReturn). */
export function lfuDecayed(word: number, nowMs: number, decayTime: number): number {
  const last = word >>> 8;
  const counter = word & 0xff;
  const now = minutes(nowMs);
  const elapsed = now >= last ? now - last : 65535 - last + now;
  const periods = decayTime > 0 ? Math.floor(elapsed / decayTime) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** The word after an access: decayed, then incremented with a probability that falls as it grows (LFULogIncr). */
export function lfuTouched(word: number, nowMs: number, s: EvictionSettings): number {
  let counter = lfuDecayed(word, nowMs, s.lfuDecayTime);
  if (counter < 255) {
    const base = counter - LFU_INIT_VAL;
    const p = 1 / ((base < 0 ? 0 : base) * s.lfuLogFactor + 1);
    if (Math.random() < p) counter++;
  }
  return (minutes(nowMs) << 8) | counter;
}

// ---- choosing ------------------------------------------------------------------------------

/**
 * A sampled key: its entry and the table hash it is filed under. Keys may
 * go, or move to another block, between rounds; a candidate counts only if
 * its table still holds that entry under that hash (a block reused by
 * another key almost never is, and a moved key is just not picked).
 */
interface Candidate {
  db: number;
  h: number;
  hash: number;
  score: number;
}

const POOL_SIZE = 16;

export class Evictor {
  private readonly pool: Candidate[] = [];
  /** Entries sampled in a round (maxmemory-samples is at most 64, eight times that for volatile policies). */
  private readonly sample = new Int32Array(512);

  constructor(private readonly ks: Keyspace) {}

  /** Keys of any database that the policy may evict, sampled and ranked; the best one's entry (0: none left). */
  next(s: EvictionSettings, nowMs: number, lruNow: number): { db: number; h: number } | null {
    const volatile = isVolatile(s.policy);
    const random = s.policy === Policy.AllkeysRandom || s.policy === Policy.VolatileRandom;
    let any = false;
    for (let db = 0; db < this.ks.dbs.length; db++) {
      const d = this.ks.dbs[db];
      if (d.table.size === 0 || (volatile && d.volatile === 0)) continue;
      any = true;
      if (random) {
        for (let tries = 0; tries < 64; tries++) {
          const h = d.table.randomEntry(Math.random);
          if (h !== 0 && (!volatile || this.ks.expireAt(h) !== 0)) return { db, h };
        }
        continue;
      }
      // Consecutive slots after a random point, as Redis's dictGetSomeKeys; volatile policies look
      // at eight times as many keys for ones with a TTL (Redis samples its dict of those).
      const sample = this.sample;
      const n = d.table.sampleEntries(Math.random, Math.min(sample.length, volatile ? s.samples * 8 : s.samples), sample);
      let found = 0;
      for (let i = 0; i < n && found < s.samples; i++) {
        const h = sample[i];
        if (volatile && this.ks.expireAt(h) === 0) continue;
        found++;
        this.offer(db, h, this.score(h, s, nowMs, lruNow));
      }
      // Keys with a TTL too few for random picks to meet them (Redis samples a dict of them): walk the table for some.
      if (found === 0 && volatile) this.walkForVolatile(db, s, nowMs, lruNow);
    }
    if (!any) return null;
    // The best candidate still there, and still one the policy may take (a volatile key may have been made persistent).
    while (this.pool.length > 0) {
      const c = this.pool.pop()!;
      if (this.ks.dbs[c.db].table.find(c.hash, (h) => h === c.h) === 0) continue;
      if (volatile && this.ks.expireAt(c.h) === 0) continue;
      return { db: c.db, h: c.h };
    }
    return null;
  }

  private walkForVolatile(db: number, s: EvictionSettings, nowMs: number, lruNow: number): void {
    const table = this.ks.dbs[db].table;
    let found = 0;
    let cursor = 0;
    do {
      cursor = table.scan(cursor, 256, (h) => {
        if (found >= s.samples || this.ks.expireAt(h) === 0) return;
        found++;
        this.offer(db, h, this.score(h, s, nowMs, lruNow));
      });
    } while (cursor !== 0 && found < s.samples);
  }

  /** Higher is a better candidate: idle seconds (LRU), 255 − counter (LFU), sooner expiry (TTL). */
  private score(h: number, s: EvictionSettings, nowMs: number, lruNow: number): number {
    if (isLfu(s.policy)) return 255 - lfuDecayed(this.ks.lru(h), nowMs, s.lfuDecayTime);
    if (s.policy === Policy.VolatileTtl) return Number.MAX_SAFE_INTEGER - this.ks.expireAt(h);
    const idle = lruNow - this.ks.lru(h);
    return idle < 0 ? idle + (1 << 24) : idle;
  }

  /** Keeps the pool sorted by score (best last), at most POOL_SIZE, without an entry twice. */
  private offer(db: number, h: number, score: number): void {
    const pool = this.pool;
    // A full pool's worst is not displaced by a worse one: no need to read its key.
    if (pool.length >= POOL_SIZE && score <= pool[0].score) return;
    for (const c of pool) if (c.h === h && c.db === db) return;
    const hash = this.ks.hashOf(this.ks.arena.u8[h >>> 19], this.ks.keyOffset(h), this.ks.keyLen(h));
    let i = pool.length;
    while (i > 0 && pool[i - 1].score > score) i--;
    pool.splice(i, 0, { db, h, hash, score });
    if (pool.length > POOL_SIZE) pool.shift();
  }

  /** Policy changed or databases flushed: the pool's keys may no longer be candidates. */
  clear(): void {
    this.pool.length = 0;
  }
}
