/**
 * Hash field expiry (HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL, HPTTL,
 * HEXPIRETIME, HPEXPIRETIME, HPERSIST, HGETEX, HSETEX, HGETDEL) in Shoal on 4
 * threads, keys on every shard. The oracle (Redis 7.0) has none of these
 * commands, so random command streams are checked against a plain model of
 * what Redis 7.4 / 8 document (codes -2/0/1/2, -2/-1, conditions, fields
 * gone when their time passes, keys gone with their last field).
 *
 * Times are chosen so that every answer is decidable: already past, far in
 * the future at exact absolute times, or relative far-future times whose
 * window (the time before and after the call) never overlaps another. Fields
 * that expire during the test are given an absolute time a few hundred ms
 * ahead; the test then waits past it (a poll, not a timing assertion) and
 * checks that they are gone — without touching their hash, for the active
 * expiry — and that lazy expiry hides them from every command.
 *
 * Then the field TTLs survive DEBUG RELOAD, a restart from the RDB, and a
 * restart from the AOF; keyspace events and WATCH are checked on their own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { withSeed } from '../helpers/dataset.js';
import type { Rng } from '../helpers/rng.js';
import { scratch } from '../helpers/scratch.js';
import { type ServerHandle, startShoal } from '../helpers/servers.js';
import { keysOnEveryShard } from '../helpers/shards.js';
import { incrCommands } from '../helpers/aof-commands.js';

const FILE = 'test/integration/hash-field-expiry.test.ts';
const box = scratch('shoal-hfe-');
const clients: Redis[] = [];
const servers: ServerHandle[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

let dirs = 0;
function newDir(): string {
  const d = path.join(box.root, `d${++dirs}`);
  fs.mkdirSync(d);
  return d;
}

function client(s: ServerHandle): Redis {
  const c = new Redis({ port: s.port, host: s.host, maxRetriesPerRequest: 1, commandTimeout: 20_000, retryStrategy: () => null });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function shoal(args: string[] = []): Promise<ServerHandle> {
  const s = await startShoal({ threads: 4, args });
  servers.push(s);
  return s;
}

async function stop(s: ServerHandle): Promise<void> {
  await s.stop();
  servers.splice(servers.indexOf(s), 1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds (at most `seconds`): for what the server does in its own time (active expiry). */
async function until(what: string, cond: () => Promise<boolean>, seconds = 10): Promise<void> {
  for (let i = 0; i < seconds * 20; i++) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`still not so after ${seconds} s: ${what}`);
}

/** The reply of a command, or its error as `ERR:<text>`. */
async function run(c: Redis, args: (string | number)[]): Promise<unknown> {
  try {
    return await c.call(String(args[0]), ...args.slice(1).map(String));
  } catch (e) {
    return `ERR:${(e as Error).message}`;
  }
}

// ---- the model --------------------------------------------------------------------

/** An expire-at known to lie in [lo, hi] (lo === hi: exact); 0/0: no TTL. */
interface At {
  lo: number;
  hi: number;
}
interface Field {
  v: string;
  at: At | null;
}
type Hash = Map<string, Field>;

/** A range an integer reply must fall in (for TTLs relative to the server's clock). */
interface Range {
  min: number;
  max: number;
}

function cmp(a: At, b: At): number {
  // One command naming a field twice compares its time with itself.
  if (a === b) return 0;
  if (a.lo > b.hi) return 1;
  if (a.hi < b.lo) return -1;
  if (a.lo === a.hi && b.lo === b.hi && a.lo === b.lo) return 0;
  throw new Error(`undecidable times ${JSON.stringify(a)} ${JSON.stringify(b)}`);
}

class Model {
  readonly keys = new Map<string, Hash>();

  hash(k: string): Hash | undefined {
    return this.keys.get(k);
  }

  /** Drops fields due by `now` (certainly due: hi <= now) and empty hashes. */
  expire(now: number): string[] {
    const emptied: string[] = [];
    for (const [k, h] of this.keys) {
      for (const [f, x] of h) if (x.at !== null && x.at.hi <= now) h.delete(f);
      if (h.size === 0) {
        this.keys.delete(k);
        emptied.push(k);
      }
    }
    return emptied;
  }

  gc(k: string): void {
    if (this.keys.get(k)?.size === 0) this.keys.delete(k);
  }
}

const CONDS = ['', 'NX', 'XX', 'GT', 'LT'] as const;

/** One random command with the model's expected reply (a value, or a checker). */
interface Step {
  args: (string | number)[];
  /** Computes the expected reply (called after the command ran: `tb`/`ta` are the local clock around it). */
  expected: (tb: number, ta: number) => unknown;
}

class Gen {
  private uniq = 0;
  /** Far-future absolute times, whole seconds: several fields share them (GT/LT ties). */
  private readonly far: number;

  constructor(
    private readonly rng: Rng,
    private readonly m: Model,
    private readonly keys: string[],
    base: number,
  ) {
    this.far = Math.ceil((base + 1e8) / 1000) * 1000;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)];
  }
  private field(): string {
    return `f${this.rng.int(7)}`;
  }
  private fields(n: number): string[] {
    return Array.from({ length: n }, () => this.field());
  }
  private value(): string {
    // Mostly integers (HINCRBY), now and then too long for a listpack.
    const r = this.rng.int(20);
    if (r === 0) return '9'.repeat(70);
    return String(this.rng.int(1000) - 100);
  }

  /**
   * An expiry for a command: `ms` the argument in the command's unit,
   * `at(tb, ta)` the expire-at it stands for.
   */
  private time(seconds: boolean, absolute: boolean): { arg: number; at: (tb: number, ta: number) => At } {
    const kind = this.rng.int(4);
    if (kind === 0) {
      // Already past.
      const arg = absolute ? (seconds ? 1 + this.rng.int(1000) : this.rng.int(1_000_000)) : 0;
      return { arg, at: (tb, ta) => (absolute ? exact(seconds ? arg * 1000 : arg) : { lo: tb, hi: ta }) };
    }
    if (absolute) {
      const ms = this.far + this.rng.int(6) * 1e7;
      return { arg: seconds ? ms / 1000 : ms, at: () => exact(ms) };
    }
    // Relative, far, and apart from every other time by far more than the test lasts.
    const ms = 5e7 + ++this.uniq * 1e6 + 5e5;
    return { arg: seconds ? ms / 1000 : ms, at: (tb, ta) => ({ lo: tb + ms, hi: ta + ms }) };
  }

  next(): Step {
    const k = this.pick(this.keys);
    const r = this.rng.int(100);
    if (r < 14) return this.hset(k);
    if (r < 20) return this.hdel(k);
    if (r < 40) return this.hexpire(k);
    if (r < 46) return this.hpersist(k);
    if (r < 56) return this.httl(k);
    if (r < 64) return this.hgetex(k);
    if (r < 74) return this.hsetex(k);
    if (r < 79) return this.hgetdel(k);
    if (r < 83) return this.hincrby(k);
    if (r < 88) return { args: ['HGETALL', k], expected: () => this.all(k) };
    // Whole-hash reads that must not show expired fields either (sorted: a hashtable has no order).
    if (r < 90) return { args: ['HSCAN', k, 0, 'COUNT', 1000], expected: () => this.all(k) };
    if (r < 92) return { args: ['HRANDFIELD', k, 100, 'WITHVALUES'], expected: () => this.all(k) };
    if (r < 95) return { args: ['HLEN', k], expected: () => this.m.hash(k)?.size ?? 0 };
    if (r < 98) {
      const f = this.field();
      return { args: ['HGET', k, f], expected: () => this.m.hash(k)?.get(f)?.v ?? null };
    }
    return { args: ['EXISTS', k], expected: () => (this.m.hash(k) !== undefined ? 1 : 0) };
  }

  /** HGETALL's pairs, sorted (a hashtable has no order to compare). */
  all(k: string): string[] {
    const h = this.m.hash(k);
    return h === undefined ? [] : sortPairs([...h].flatMap(([f, x]) => [f, x.v]));
  }

  private hset(k: string): Step {
    const n = 1 + this.rng.int(3);
    const args: (string | number)[] = ['HSET', k];
    for (let i = 0; i < n; i++) args.push(this.field(), this.value());
    return {
      args,
      expected: () => {
        let h = this.m.hash(k);
        if (h === undefined) this.m.keys.set(k, (h = new Map()));
        let created = 0;
        for (let i = 2; i < args.length; i += 2) {
          if (!h.has(String(args[i]))) created++;
          h.set(String(args[i]), { v: String(args[i + 1]), at: null });
        }
        return created;
      },
    };
  }

  private hdel(k: string): Step {
    const fs = this.fields(1 + this.rng.int(2));
    return {
      args: ['HDEL', k, ...fs],
      expected: () => {
        const h = this.m.hash(k);
        let n = 0;
        for (const f of fs) if (h?.delete(f) === true) n++;
        this.m.gc(k);
        return n;
      },
    };
  }

  private hexpire(k: string): Step {
    const form = this.pick(['HEXPIRE', 'HPEXPIRE', 'HEXPIREAT', 'HPEXPIREAT'] as const);
    const seconds = form === 'HEXPIRE' || form === 'HEXPIREAT';
    const t = this.time(seconds, form.endsWith('AT'));
    const cond = this.pick(CONDS);
    const fs = this.fields(1 + this.rng.int(3));
    const args: (string | number)[] = [form, k, t.arg, ...(cond === '' ? [] : [cond]), 'FIELDS', fs.length, ...fs];
    return {
      args,
      expected: (tb, ta) => {
        const at = t.at(tb, ta);
        const h = this.m.hash(k);
        const out = fs.map((f) => {
          const x = h?.get(f);
          if (x === undefined) return -2;
          const prev = x.at;
          if (cond === 'NX' && prev !== null) return 0;
          if (cond === 'XX' && prev === null) return 0;
          if (cond === 'GT' && (prev === null || cmp(at, prev) <= 0)) return 0;
          if (cond === 'LT' && prev !== null && cmp(at, prev) >= 0) return 0;
          if (at.hi <= tb || (at.lo === tb && at.hi === ta)) {
            h!.delete(f);
            return 2;
          }
          x.at = at;
          return 1;
        });
        this.m.gc(k);
        return out;
      },
    };
  }

  private hpersist(k: string): Step {
    const fs = this.fields(1 + this.rng.int(3));
    return {
      args: ['HPERSIST', k, 'FIELDS', fs.length, ...fs],
      expected: () =>
        fs.map((f) => {
          const x = this.m.hash(k)?.get(f);
          if (x === undefined) return -2;
          if (x.at === null) return -1;
          x.at = null;
          return 1;
        }),
    };
  }

  private httl(k: string): Step {
    const form = this.pick(['HTTL', 'HPTTL', 'HEXPIRETIME', 'HPEXPIRETIME'] as const);
    const fs = this.fields(1 + this.rng.int(3));
    return {
      args: [form, k, 'FIELDS', fs.length, ...fs],
      expected: (tb, ta) =>
        fs.map((f): number | Range => {
          const x = this.m.hash(k)?.get(f);
          if (x === undefined) return -2;
          if (x.at === null) return -1;
          const { lo, hi } = x.at;
          switch (form) {
            case 'HPEXPIRETIME':
              return { min: lo, max: hi };
            case 'HEXPIRETIME':
              return { min: Math.floor((lo + 999) / 1000), max: Math.floor((hi + 999) / 1000) };
            case 'HPTTL':
              return { min: lo - ta, max: hi - tb };
            default:
              return { min: Math.floor((lo + 999 - ta) / 1000), max: Math.floor((hi + 999 - tb) / 1000) };
          }
        }),
    };
  }

  private hgetex(k: string): Step {
    const opt = this.pick(['', 'PERSIST', 'EX', 'PX', 'EXAT', 'PXAT'] as const);
    const fs = this.fields(1 + this.rng.int(3));
    const timed = opt !== '' && opt !== 'PERSIST';
    const t = timed ? this.time(opt === 'EX' || opt === 'EXAT', opt.endsWith('AT')) : null;
    const args: (string | number)[] = ['HGETEX', k, ...(opt === '' ? [] : [opt]), ...(t !== null ? [t.arg] : []), 'FIELDS', fs.length, ...fs];
    return {
      args,
      expected: (tb, ta) => {
        const h = this.m.hash(k);
        const at = t?.at(tb, ta) ?? null;
        const out = fs.map((f) => {
          const x = h?.get(f);
          if (x === undefined) return null;
          if (opt === 'PERSIST') x.at = null;
          else if (at !== null) {
            if (at.hi <= tb || (at.lo === tb && at.hi === ta)) h!.delete(f);
            else x.at = at;
          }
          return x.v;
        });
        this.m.gc(k);
        return out;
      },
    };
  }

  private hsetex(k: string): Step {
    const cond = this.pick(['', '', 'FNX', 'FXX'] as const);
    const opt = this.pick(['', 'KEEPTTL', 'EX', 'PX', 'EXAT', 'PXAT'] as const);
    const timed = opt !== '' && opt !== 'KEEPTTL';
    const t = timed ? this.time(opt === 'EX' || opt === 'EXAT', opt.endsWith('AT')) : null;
    const n = 1 + this.rng.int(2);
    const pairs: string[] = [];
    for (let i = 0; i < n; i++) pairs.push(this.field(), this.value());
    const args: (string | number)[] = ['HSETEX', k, ...(cond === '' ? [] : [cond]), ...(opt === '' ? [] : [opt]), ...(t !== null ? [t.arg] : []), 'FIELDS', n, ...pairs];
    return {
      args,
      expected: (tb, ta) => {
        const h0 = this.m.hash(k);
        const fields = pairs.filter((_, i) => i % 2 === 0);
        const found = fields.filter((f) => h0?.has(f) === true).length;
        if (cond === 'FXX' && (h0 === undefined || found !== fields.length)) return 0;
        if (cond === 'FNX' && found !== 0) return 0;
        let h = h0;
        if (h === undefined) this.m.keys.set(k, (h = new Map()));
        const at = t?.at(tb, ta) ?? null;
        for (let i = 0; i < pairs.length; i += 2) {
          const old = h.get(pairs[i]);
          h.set(pairs[i], { v: pairs[i + 1], at: opt === 'KEEPTTL' ? (old?.at ?? null) : null });
          if (at !== null) {
            if (at.hi <= tb || (at.lo === tb && at.hi === ta)) h.delete(pairs[i]);
            else h.get(pairs[i])!.at = at;
          }
        }
        this.m.gc(k);
        return 1;
      },
    };
  }

  private hgetdel(k: string): Step {
    const fs = this.fields(1 + this.rng.int(3));
    return {
      args: ['HGETDEL', k, 'FIELDS', fs.length, ...fs],
      expected: () => {
        const h = this.m.hash(k);
        const out = fs.map((f) => {
          const x = h?.get(f);
          if (x === undefined) return null;
          h!.delete(f);
          return x.v;
        });
        this.m.gc(k);
        return out;
      },
    };
  }

  private hincrby(k: string): Step {
    const f = this.field();
    const by = this.rng.int(20) - 5;
    return {
      args: ['HINCRBY', k, f, by],
      expected: () => {
        let h = this.m.hash(k);
        const x = h?.get(f);
        let cur = 0n;
        if (x !== undefined) {
          if (!/^-?[1-9][0-9]*$|^0$/.test(x.v) || BigInt(x.v) > 2n ** 63n - 1n || BigInt(x.v) < -(2n ** 63n)) return 'ERR:ERR hash value is not an integer';
          cur = BigInt(x.v);
        }
        const next = String(cur + BigInt(by));
        if (h === undefined) this.m.keys.set(k, (h = new Map()));
        // HINCRBY keeps the field's TTL.
        h.set(f, { v: next, at: x?.at ?? null });
        return Number(next);
      },
    };
  }

  /** Fields to expire a few hundred ms from now: some of a hash, or all of it. */
  soon(now: number): Step[] {
    const out: Step[] = [];
    // Far enough ahead that the commands setting it run before it, on a busy machine.
    const at = now + 800 + this.rng.int(200);
    for (const [k, h] of this.m.keys) {
      if (this.rng.int(3) !== 0) continue;
      const fs = this.rng.int(2) === 0 ? [...h.keys()] : [...h.keys()].filter(() => this.rng.int(2) === 0);
      if (fs.length === 0) continue;
      out.push({
        args: ['HPEXPIREAT', k, at, 'FIELDS', fs.length, ...fs],
        expected: () =>
          fs.map((f) => {
            h.get(f)!.at = exact(at);
            return 1;
          }),
      });
    }
    return out;
  }
}

function exact(t: number): At {
  return { lo: t, hi: t };
}

function sortPairs(flat: string[]): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
  return pairs.sort();
}

/** Whether a reply matches the expectation (ranges for clock-relative integers). */
function matches(got: unknown, want: unknown): boolean {
  if (want !== null && typeof want === 'object' && 'min' in (want as object)) {
    const r = want as Range;
    return typeof got === 'number' && got >= r.min && got <= r.max;
  }
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && want.every((w, i) => matches(got[i], w));
  return got === want;
}

const CLOCK_SLACK_MS = 100;

async function runStep(c: Redis, s: Step, log: string[]): Promise<void> {
  // A shard reads its clock once per batch of commands: on a busy machine, that may be some ms before the command was sent.
  const tb = Date.now() - CLOCK_SLACK_MS;
  let got = await run(c, s.args);
  const ta = Date.now();
  if (s.args[0] === 'HSCAN' && Array.isArray(got)) {
    // Every pair of a whole scan, from cursor 0 back to 0.
    const all: string[] = [];
    let r = got as [string, string[]];
    for (;;) {
      all.push(...r[1]);
      if (r[0] === '0') break;
      r = (await c.call('HSCAN', String(s.args[1]), r[0], 'COUNT', '1000')) as [string, string[]];
    }
    got = sortPairs(all);
  }
  if ((s.args[0] === 'HGETALL' || s.args[0] === 'HRANDFIELD') && Array.isArray(got)) got = sortPairs(got as string[]);
  const want = s.expected(tb, ta);
  log.push(s.args.join(' '));
  if (!matches(got, want)) {
    throw new Error(`${s.args.join(' ')}\n  got      ${JSON.stringify(got)}\n  expected ${JSON.stringify(want)}\n  last commands:\n    ${log.slice(-12).join('\n    ')}`);
  }
}

/** The keys' contents and field expire-at times, as the server reports them. */
async function stateOf(c: Redis, keys: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const k of keys) {
    const flat = (await c.call('HGETALL', k)) as string[];
    if (flat.length === 0) continue;
    const fields = flat.filter((_, i) => i % 2 === 0);
    const times = (await c.call('HPEXPIRETIME', k, 'FIELDS', String(fields.length), ...fields)) as number[];
    out[k] = sortPairs(flat.map((x, i) => (i % 2 === 1 ? `${x}@${times[(i - 1) / 2]}` : x)));
  }
  return out;
}

/** Random commands against the model, with rounds of fields expiring on their own. */
async function exercise(c: Redis, rng: Rng, keys: string[], rounds: number, steps: number): Promise<Model> {
  const m = new Model();
  const g = new Gen(rng, m, keys, Date.now() - 1);
  const log: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < steps; i++) await runStep(c, g.next(), log);
    // Some fields (some whole hashes) expire a few hundred ms from now.
    for (const s of g.soon(Date.now())) await runStep(c, s, log);
    let latest = 0;
    for (const h of m.keys.values()) for (const x of h.values()) if (x.at !== null && x.at.hi < Date.now() + 1e6) latest = Math.max(latest, x.at.hi);
    // Past it by the shard clock's slack too: a batch may run at a time read a little before it arrived.
    while (Date.now() <= latest + CLOCK_SLACK_MS) await sleep(latest + CLOCK_SLACK_MS + 1 - Date.now());
    const emptied = m.expire(Date.now());
    // Hashes that lost every field go without being touched (EXISTS does not reclaim fields): active expiry.
    for (const k of emptied) await until(`${k} expired actively`, async () => (await c.call('EXISTS', k)) === 0);
  }
  return m;
}

describe('hash field expiry', () => {
  const keys = [...keysOnEveryShard('hfe:', 8), '{t}a', '{t}b'];

  it(
    'random HSET / HEXPIRE family / HPERSIST / HTTL family / HGETEX / HSETEX / HGETDEL / HDEL / HINCRBY streams follow the documented semantics',
    withSeed(FILE, 'model', async (rng) => {
      const s = await shoal();
      const c = client(s);
      // Small hashes stay listpacks; a few become hashtables (long values, more fields).
      await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', String(4 + rng.int(4)));
      await exercise(c, rng, keys, 6, 400);
    }),
    120_000,
  );

  it('fields expire without being touched: the active expiry reclaims them (HLEN then counts only live fields)', async () => {
    const s = await shoal();
    const c = client(s);
    // Far enough ahead for every command below to run before it, on a busy machine.
    const at = Date.now() + 1500;
    for (const k of keys) {
      await c.call('HSET', k, 'a', '1', 'b', '2', 'c', '3');
      expect(await c.call('HPEXPIREAT', k, String(at), 'FIELDS', '2', 'a', 'b')).toEqual([1, 1]);
    }
    await c.call('HSET', 'big', ...Array.from({ length: 1200 }, (_, i) => [`f${i}`, `v${i}`]).flat());
    expect(await c.call('OBJECT', 'ENCODING', 'big')).toBe('hashtable');
    await c.call('HPEXPIREAT', 'big', String(at), 'FIELDS', '1000', ...Array.from({ length: 1000 }, (_, i) => `f${i}`));
    // MEMORY USAGE neither reads fields nor reclaims them: the cron must.
    const before = Number(await c.call('MEMORY', 'USAGE', 'big'));
    await until('the fields of big reclaimed', async () => Number(await c.call('MEMORY', 'USAGE', 'big')) < before / 2);
    await until('every hash down to one field', async () => {
      const infos = await Promise.all(keys.map((k) => c.call('MEMORY', 'USAGE', k)));
      return infos.every((x) => x !== null) && (await c.call('INFO', 'stats') as string).includes(`expired_subkeys:${2 * keys.length + 1000}`);
    });
    for (const k of keys) {
      expect(await c.call('HLEN', k)).toBe(1);
      expect(await c.call('HGETALL', k)).toEqual(['c', '3']);
    }
    expect(await c.call('HLEN', 'big')).toBe(200);
  });

  it('the active expiry follows hashes through RENAME (same and other shard), COPY, MOVE, SWAPDB and RESTORE', async () => {
    const s = await shoal();
    const c = client(s);
    const at = Date.now() + 1500;
    const made: Array<[db: number, key: string]> = [];
    const make = async (k: string): Promise<void> => {
      await c.call('HSET', k, 'a', '1', 'b', '2');
      expect(await c.call('HPEXPIREAT', k, String(at), 'FIELDS', '1', 'a')).toEqual([1]);
    };
    await make('{m}1');
    await c.call('RENAME', '{m}1', '{m}2'); // same shard
    made.push([0, '{m}2']);
    await make(keys[0]);
    await c.call('RENAME', keys[0], keys[1]); // another shard
    made.push([0, keys[1]]);
    await make(keys[2]);
    await c.call('COPY', keys[2], keys[3]);
    made.push([0, keys[2]], [0, keys[3]]);
    await make(keys[4]);
    await c.call('MOVE', keys[4], '2');
    made.push([2, keys[4]]);
    await c.call('SELECT', '5');
    await make(keys[5]);
    await c.call('SELECT', '0');
    await c.call('SWAPDB', '5', '6');
    made.push([6, keys[5]]);
    await make(keys[6]);
    const payload = await c.callBuffer('DUMP', keys[6]);
    await c.call('RESTORE', keys[7], '0', payload as Buffer);
    made.push([0, keys[6]], [0, keys[7]]);
    // Nobody touches them: the cron alone reclaims one field of each.
    await until('every copy reclaimed', async () => ((await c.call('INFO', 'stats')) as string).includes(`expired_subkeys:${made.length}\r`));
    for (const [db, k] of made) {
      await c.call('SELECT', String(db));
      expect([db, k, await c.call('HGETALL', k)]).toEqual([db, k, ['b', '2']]);
    }
  });

  it('active defragmentation moves hashes with their TTL tables (packed blocks included); every TTL stays', async () => {
    const s = await shoal();
    const c = client(s);
    const n = 48_000;
    const far = Date.now() + 1e8;
    const infoNum = async (f: string): Promise<number> => Number(new RegExp(`\\r\\n${f}:(\\d+)`).exec((await c.call('INFO', 'everything')) as string)![1]);
    const empty = await infoNum('used_memory_arena_reserved');
    // Listpacks of ~1 KB: enough data for several arena segments per shard.
    await c.call('CONFIG', 'SET', 'hash-max-listpack-value', '1024');
    for (let i = 0; i < n; i += 500) {
      const p = c.pipeline();
      for (let k = i; k < i + 500; k++) {
        // Most with a packed table of 1-3 TTLs; one in 50 with a big one (more than 8).
        const fields = k % 50 === 0 ? 12 : 3;
        p.call('HSET', `df:${k}`, ...Array.from({ length: fields }, (_, f) => [`f${f}`, `v${k}-${f}`.padEnd(300, '.')]).flat());
        const ttl = k % 50 === 0 ? 10 : 1 + (k % 3);
        p.call('HPEXPIREAT', `df:${k}`, String(far + k), 'FIELDS', String(ttl), ...Array.from({ length: ttl }, (_, f) => `f${f}`));
      }
      await p.exec();
    }
    // Keep one in eight: the rest leaves sparse segments.
    for (let i = 0; i < n; i += 500) {
      const gone = Array.from({ length: 500 }, (_, j) => i + j).filter((k) => k % 8 !== 0).map((k) => `df:${k}`);
      await c.call('DEL', ...gone);
    }
    await c.call('MEMORY', 'PURGE');
    const kept = Array.from({ length: n / 8 }, (_, j) => `df:${j * 8}`);
    const state = await stateOf(c, kept);
    const before = await infoNum('used_memory_arena_reserved');
    for (const [k, v] of [['active-defrag-ignore-bytes', '1mb'], ['active-defrag-threshold-lower', '5'], ['active-defrag-cycle-max', '50'], ['activedefrag', 'yes']]) await c.call('CONFIG', 'SET', k, v);
    const report = async (): Promise<string> => `reserved ${empty} empty, ${before} before, ${await infoNum('used_memory_arena_reserved')} now, ${await infoNum('active_defrag_hits')} moved`;
    await until('the sparse segments emptied', async () => (await infoNum('used_memory_arena_reserved')) - empty < (before - empty) * 0.6 && (await infoNum('active_defrag_running')) === 0, 60).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${await report()}`);
    });
    expect(await infoNum('active_defrag_hits')).toBeGreaterThan(0);
    await c.call('CONFIG', 'SET', 'activedefrag', 'no');
    expect(await stateOf(c, kept)).toEqual(state);
    expect(await c.call('OBJECT', 'ENCODING', 'df:8')).toBe('listpackex');
  }, 120_000);

  it('field TTLs survive DEBUG RELOAD, a restart from the RDB and RENAME / COPY / MOVE across shards', withSeed(FILE, 'rdb', async (rng) => {
    const dir = newDir();
    const s = await shoal(['--dir', dir]);
    const c = client(s);
    await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', '5');
    await exercise(c, rng, keys, 1, 400);
    const state = await stateOf(c, keys);
    expect(Object.values(state).some((ps) => ps.some((p) => !p.endsWith('@-1')))).toBe(true);
    expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(await stateOf(c, keys)).toEqual(state);
    // Across shards and databases, the TTLs travel with the hash.
    const moved: string[] = [];
    for (const k of Object.keys(state)) {
      await c.call('COPY', k, `${k}:copy`);
      await c.call('RENAME', `${k}:copy`, `${k}:renamed`);
      moved.push(`${k}:renamed`);
    }
    const renamed = await stateOf(c, moved);
    expect(Object.values(renamed)).toEqual(Object.values(state));
    await c.call('MOVE', moved[0], '3');
    await c.call('SELECT', '3');
    expect((await stateOf(c, [moved[0]]))[moved[0]]).toEqual(state[Object.keys(state)[0]]);
    await c.call('SELECT', '0');
    expect(await c.call('SAVE')).toBe('OK');
    await stop(s);
    const s2 = await shoal(['--dir', dir]);
    expect(await stateOf(client(s2), keys)).toEqual(state);
  }), 120_000);

  it('field TTLs survive a restart from the AOF, and fields that expired stay gone', withSeed(FILE, 'aof', async (rng) => {
    const dir = newDir();
    const s = await shoal(['--dir', dir, '--appendonly', 'yes']);
    const c = client(s);
    await exercise(c, rng, keys, 2, 250);
    // HINCRBYFLOAT on a field with a TTL keeps it (propagated as HSETEX KEEPTTL).
    await c.call('HSET', 'fl', 'x', '1.5');
    await c.call('HPEXPIREAT', 'fl', String(Date.now() + 1e8), 'FIELDS', '1', 'x');
    await c.call('HINCRBYFLOAT', 'fl', 'x', '0.25');
    const state = await stateOf(c, [...keys, 'fl']);
    await stop(s);
    const s2 = await shoal(['--dir', dir, '--appendonly', 'yes']);
    expect(await stateOf(client(s2), [...keys, 'fl'])).toEqual(state);
  }), 120_000);

  it('the AOF gets what Redis 7.4 / 8 propagate: absolute HPEXPIREAT, HPERSIST, HSETEX PXAT, HDEL for deleted and expired fields', async () => {
    const dir = newDir();
    const s = await shoal(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always']);
    const c = client(s);
    const k = keys[3];
    const at = (t: number): string => String(t);
    await c.call('HSET', k, 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    let t0 = Date.now();
    await c.call('HEXPIRE', k, '100', 'NX', 'FIELDS', '3', 'a', 'zz', 'b');
    let t1 = Date.now();
    const hexpireAt = (await c.call('HPEXPIRETIME', k, 'FIELDS', '1', 'a')) as number[];
    expect(hexpireAt[0]).toBeGreaterThanOrEqual(t0 - 5 + 100_000);
    expect(hexpireAt[0]).toBeLessThanOrEqual(t1 + 100_000);
    await c.call('HEXPIRE', k, '100', 'XX', 'FIELDS', '1', 'c'); // not met: nothing
    await c.call('HPEXPIRE', k, '0', 'FIELDS', '2', 'd', 'zz'); // d deleted: HDEL
    await c.call('HPERSIST', k, 'FIELDS', '1', 'b');
    t0 = Date.now();
    await c.call('HGETEX', k, 'EX', '50', 'FIELDS', '1', 'b');
    t1 = Date.now();
    const hgetexAt = ((await c.call('HPEXPIRETIME', k, 'FIELDS', '1', 'b')) as number[])[0];
    expect(hgetexAt).toBeGreaterThanOrEqual(t0 - 5 + 50_000);
    expect(hgetexAt).toBeLessThanOrEqual(t1 + 50_000);
    await c.call('HGETEX', k, 'PERSIST', 'FIELDS', '1', 'b');
    await c.call('HGETEX', k, 'FIELDS', '1', 'b'); // reads only: nothing
    await c.call('HSETEX', k, 'FNX', 'PX', '60000', 'FIELDS', '1', 'e', '5');
    const hsetexAt = ((await c.call('HPEXPIRETIME', k, 'FIELDS', '1', 'e')) as number[])[0];
    await c.call('HSETEX', k, 'FXX', 'FIELDS', '1', 'nope', '1'); // not met: nothing
    await c.call('HGETDEL', k, 'FIELDS', '2', 'c', 'zz');
    await c.call('HINCRBYFLOAT', k, 'e', '1.5');
    await c.call('HINCRBYFLOAT', k, 'b', '1');
    const soon = Date.now() + 1000;
    await c.call('HPEXPIREAT', k, String(soon), 'FIELDS', '1', 'b');
    // b expires without being touched: the cron's HDEL (d, deleted for its past time, counted too, as in Redis).
    await until('b reclaimed', async () => ((await c.call('INFO', 'stats')) as string).includes('expired_subkeys:2\r'));
    expect(incrCommands(dir)).toEqual([
      ['HSET', k, 'a', '1', 'b', '2', 'c', '3', 'd', '4'],
      ['HPEXPIREAT', k, at(hexpireAt[0]), 'NX', 'FIELDS', '2', 'a', 'b'],
      ['HDEL', k, 'd'],
      ['HPERSIST', k, 'FIELDS', '1', 'b'],
      ['HPEXPIREAT', k, at(hgetexAt), 'FIELDS', '1', 'b'],
      ['HPERSIST', k, 'FIELDS', '1', 'b'],
      ['HSETEX', k, 'FNX', 'PXAT', at(hsetexAt), 'FIELDS', '1', 'e', '5'],
      ['HDEL', k, 'c', 'zz'],
      ['HSETEX', k, 'KEEPTTL', 'FIELDS', '1', 'e', '6.5'],
      ['HSET', k, 'b', '3'],
      ['HPEXPIREAT', k, at(soon), 'FIELDS', '1', 'b'],
      ['HDEL', k, 'b'],
    ]);
  });

  it('DUMP / RESTORE keep field TTLs; fields already past are dropped on RESTORE', async () => {
    const s = await shoal();
    const c = client(s);
    await c.call('HSET', 'd', 'a', '1', 'b', '2', 'c', '3');
    const far = Date.now() + 1e8;
    await c.call('HPEXPIREAT', 'd', String(far), 'FIELDS', '1', 'a');
    await c.call('HPEXPIREAT', 'd', String(Date.now() + 300), 'FIELDS', '1', 'b');
    const payload = await c.callBuffer('DUMP', 'd');
    // Redis 7.4's HASH_METADATA type.
    expect((payload as Buffer)[0]).toBe(24);
    await sleep(400);
    expect(await c.call('RESTORE', 'd2', '0', payload as Buffer)).toBe('OK');
    expect(await c.call('HGETALL', 'd2')).toEqual(['a', '1', 'c', '3']);
    expect(await c.call('HPEXPIRETIME', 'd2', 'FIELDS', '2', 'a', 'c')).toEqual([far, -1]);
    expect(await c.call('OBJECT', 'ENCODING', 'd2')).toBe('listpackex');
  });

  it('keyspace events: hexpire, hpersist, hdel (+ del), hexpired (+ del), as Redis 7.4 sends them', async () => {
    const s = await shoal();
    const c = client(s);
    const sub = client(s);
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Eghx');
    const heard: string[] = [];
    sub.on('pmessage', (_p: string, ch: string, msg: string) => heard.push(`${ch.replace('__keyevent@0__:', '')} ${msg}`));
    await sub.psubscribe('__keyevent@0__:*');
    const k = keys[1];
    await c.call('HSET', k, 'a', '1', 'b', '2');
    await c.call('HEXPIRE', k, '100', 'FIELDS', '1', 'a');
    await c.call('HPERSIST', k, 'FIELDS', '1', 'a');
    await c.call('HPEXPIRE', k, '0', 'FIELDS', '1', 'a');
    await c.call('HSETEX', k, 'PX', '1000', 'FIELDS', '1', 'c', '3');
    await c.call('HGETDEL', k, 'FIELDS', '1', 'b');
    await until('hexpired heard', async () => heard.includes(`del ${k}`));
    expect(heard).toEqual([`hset ${k}`, `hexpire ${k}`, `hpersist ${k}`, `hdel ${k}`, `hset ${k}`, `hexpire ${k}`, `hdel ${k}`, `hexpired ${k}`, `del ${k}`]);
  });

  it('HEXPIRE, HPERSIST and a field expiring invalidate a WATCH; a condition not met does not', async () => {
    const s = await shoal();
    const c = client(s);
    const other = client(s);
    const k = keys[2];
    await c.call('HSET', k, 'a', '1', 'b', '2');
    const watched = async (change: () => Promise<unknown>): Promise<unknown> => {
      await c.call('WATCH', k);
      await change();
      await c.call('MULTI');
      await c.call('HLEN', k);
      return c.call('EXEC');
    };
    expect(await watched(() => other.call('HEXPIRE', k, '100', 'FIELDS', '1', 'a'))).toBeNull();
    expect(await watched(() => other.call('HEXPIRE', k, '100', 'NX', 'FIELDS', '1', 'a'))).toEqual([2]);
    expect(await watched(() => other.call('HPERSIST', k, 'FIELDS', '1', 'a'))).toBeNull();
    expect(await watched(() => other.call('HPERSIST', k, 'FIELDS', '1', 'a'))).toEqual([2]);
    expect(await watched(async () => {
      await other.call('HPEXPIRE', k, '1000', 'FIELDS', '1', 'a');
      await c.call('UNWATCH');
      await c.call('WATCH', k);
      await until('a reclaimed', async () => (await other.call('INFO', 'stats') as string).includes('expired_subkeys:1'));
    })).toBeNull();
  });

  it('client-side caching: a tracked hash is invalidated by HEXPIRE, by HPERSIST and by a field expiring on its own', async () => {
    const s = await shoal();
    const reader = client(s);
    const writer = client(s);
    const sub = client(s);
    const heard: string[] = [];
    sub.on('message', (_ch: string, msg: unknown) => heard.push(String(msg)));
    const id = String(await sub.call('CLIENT', 'ID'));
    await sub.subscribe('__redis__:invalidate');
    await reader.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id);
    const k = keys[5];
    await writer.call('HSET', k, 'a', '1', 'b', '2');
    const readThen = async (change: () => Promise<unknown>, what: string): Promise<void> => {
      const before = heard.length;
      await reader.call('HGET', k, 'a');
      await change();
      await until(what, async () => heard.length > before);
      expect(heard.slice(before)).toEqual([k]);
    };
    await readThen(() => writer.call('HEXPIRE', k, '100', 'FIELDS', '1', 'a'), 'invalidated by HEXPIRE');
    await readThen(() => writer.call('HPERSIST', k, 'FIELDS', '1', 'a'), 'invalidated by HPERSIST');
    await readThen(() => writer.call('HPEXPIRE', k, '1000', 'FIELDS', '1', 'b'), 'invalidated by HPEXPIRE');
    // Read again, then nobody touches the key: the active expiry of b invalidates it.
    await readThen(async () => undefined, 'invalidated by b expiring');
    expect(await writer.call('HGETALL', k)).toEqual(['a', '1']);
  });

  it('SORT ... BY / GET hash patterns see no field whose time has passed, on this shard or another', async () => {
    const s = await shoal();
    const c = client(s);
    await c.call('RPUSH', '{s}l', '1', '2', '3');
    for (const i of ['1', '2', '3']) {
      await c.call('HSET', `{s}h${i}`, 'f', String(10 * Number(i)));
      await c.call('HSET', `h${i}`, 'f', String(10 * Number(i)));
    }
    const at = Date.now() + 100;
    await c.call('HPEXPIREAT', '{s}h2', String(at), 'FIELDS', '1', 'f');
    await c.call('HPEXPIREAT', 'h2', String(at), 'FIELDS', '1', 'f');
    // Well past it: a shard may run a batch at a time read a little before the batch arrived.
    await until('past the time', async () => Date.now() > at + 100);
    expect(await c.call('SORT', '{s}l', 'BY', '{s}h*->f', 'GET', '{s}h*->f')).toEqual([null, '10', '30']);
    expect(await c.call('SORT', '{s}l', 'BY', 'nosort', 'GET', 'h*->f')).toEqual(['10', null, '30']);
  });

  it('errors: arity, FIELDS, numfields, expire times, options and WRONGTYPE, with Redis 8 texts', async () => {
    const s = await shoal();
    const c = client(s);
    await c.call('SET', 'str', 'x');
    await c.call('HSET', 'h', 'a', '1');
    const cases: Array<[(string | number)[], unknown]> = [
      [['HEXPIRE', 'h', 10, 'FIELDS', 1], "ERR:ERR wrong number of arguments for 'hexpire' command"],
      [['HEXPIRE', 'str', 'x', 'FIELDS', 1, 'a'], 'ERR:WRONGTYPE Operation against a key holding the wrong kind of value'],
      [['HEXPIRE', 'h', 'x', 'FIELDS', 1, 'a'], 'ERR:ERR value is not an integer or out of range'],
      [['HEXPIRE', 'h', -1, 'FIELDS', 1, 'a'], 'ERR:ERR invalid expire time, must be >= 0'],
      [['HEXPIRE', 'h', 70368744178, 'FIELDS', 1, 'a'], "ERR:ERR invalid expire time in 'hexpire' command"],
      [['HPEXPIREAT', 'h', 70368744177664, 'FIELDS', 1, 'a'], "ERR:ERR invalid expire time in 'hpexpireat' command"],
      [['HPEXPIREAT', 'h', 70368744177663, 'FIELDS', 1, 'a'], [1]],
      [['HEXPIRE', 'h', 10, 'BAD', 'FIELDS', 1, 'a'], 'ERR:ERR Mandatory argument FIELDS is missing or not at the right position'],
      [['HEXPIRE', 'h', 10, 'FIELDS', 0, 'a'], 'ERR:ERR Parameter `numFields` should be greater than 0'],
      [['HEXPIRE', 'h', 10, 'FIELDS', 'x', 'a'], 'ERR:ERR Parameter `numFields` should be greater than 0'],
      [['HEXPIRE', 'h', 10, 'NX', 'FIELDS', 2, 'a'], 'ERR:ERR The `numfields` parameter must match the number of arguments'],
      [['HTTL', 'h', 'NOTFIELDS', 1, 'a'], 'ERR:ERR Mandatory argument FIELDS is missing or not at the right position'],
      [['HTTL', 'h', 'FIELDS', 0, 'a'], 'ERR:ERR Number of fields must be a positive integer'],
      [['HTTL', 'h', 'FIELDS', 1, 'a', 'b'], 'ERR:ERR The `numfields` parameter must match the number of arguments'],
      [['HTTL', 'str', 'FIELDS', 1, 'a'], 'ERR:WRONGTYPE Operation against a key holding the wrong kind of value'],
      [['HTTL', 'missing', 'FIELDS', 2, 'a', 'b'], [-2, -2]],
      [['HPERSIST', 'h', 'FIELDS', 'x', 'a'], 'ERR:ERR Number of fields must be a positive integer'],
      [['HPERSIST', 'missing', 'FIELDS', 1, 'a'], [-2]],
      [['HGETDEL', 'h', 'FIELD', 1, 'a'], 'ERR:ERR Mandatory argument FIELDS is missing or not at the right position'],
      [['HGETDEL', 'h', 'FIELDS', -1, 'a'], 'ERR:ERR Number of fields must be a positive integer'],
      [['HGETDEL', 'missing', 'FIELDS', 1, 'a'], [null]],
      [['HGETEX', 'h', 'EX', 'x', 'FIELDS', 1, 'a'], 'ERR:ERR value is not an integer or out of range'],
      [['HGETEX', 'h', 'EX', 10, 'FIELD', 1, 'a'], 'ERR:ERR Mandatory argument FIELDS is missing or not at the right position'],
      [['HGETEX', 'h', 'PERSIST', 'FIELDS', 2, 'a'], 'ERR:ERR The `numfields` parameter must match the number of arguments'],
      [['HGETEX', 'str', 'PERSIST', 'FIELDS', 1, 'a'], 'ERR:WRONGTYPE Operation against a key holding the wrong kind of value'],
      [['HSETEX', 'h', 'FNX', 'FXX', 'FIELDS', 1, 'a', 1], 'ERR:ERR Only one of FXX or FNX arguments can be specified'],
      [['HSETEX', 'h', 'EX', 1, 'KEEPTTL', 'FIELDS', 1, 'a', 1], 'ERR:ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified'],
      [['HSETEX', 'h', 'FIELDS', 2, 'a', 1], "ERR:ERR wrong number of arguments for 'hsetex' command"],
      [['HSETEX', 'h', 'FIELDS', 0, 'a', 1], 'ERR:ERR invalid number of fields'],
      [['HSETEX', 'h', 'BOGUS', 'FIELDS', 1, 'a', 1], 'ERR:ERR unknown argument: BOGUS'],
      [['HSETEX', 'h', 'FIELDS', 1, 'a', 1, 'b'], "ERR:ERR wrong number of arguments for 'hsetex' command"],
      [['HSETEX', 'str', 'FIELDS', 1, 'a', 1], 'ERR:WRONGTYPE Operation against a key holding the wrong kind of value'],
      [['HSETEX', 'missing', 'FXX', 'FIELDS', 1, 'a', 1], 0],
      [['HGETALL', 'h'], ['a', '1']],
    ];
    for (const [args, want] of cases) expect([args.join(' '), await run(c, args)]).toEqual([args.join(' '), want]);
  });
});
