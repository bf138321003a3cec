/**
 * The list encodings of Redis 7.2 (OBJECT ENCODING `listpack` / `quicklist`),
 * which the 7.0 oracle cannot show: random list commands drive lists across
 * both sides of the thresholds of several list-max-listpack-size values
 * (byte fills -1, -2, -5, -9 and count fills 0, 1, 5, 12), and after every
 * command the encodings are checked against a plain model of 7.2's rules
 * written here from t_list.c and listpack.c:
 *
 *  - a new list is a listpack; before elements are added (pushes, LINSERT and
 *    LSET before they look for their pivot or index, the push of LMOVE) a
 *    listpack whose lpBytes plus the added strings' lengths, or whose count
 *    plus the added count, exceeds the node limit becomes a quicklist
 *    (quicklistNodeExceedsLimit: a negative fill caps bytes at 4096 << (-fill-1),
 *    at most 65536; a positive fill caps the count, and bytes at 8192);
 *  - after removals (pops, LMPOP, LTRIM, LREM, LSET, LMOVE's source) a
 *    quicklist that is one node within half the limits becomes a listpack
 *    (Shoal: "one node" = the whole list fits in one, docs/types/lists.md);
 *  - a loaded list (DEBUG RELOAD, RESTORE, a restart) is a listpack when it
 *    fits one node;
 *  - LMOVE within a shard counts no bytes for an integer popped from a
 *    quicklist (7.2 pops it as an integer object); across shards Shoal
 *    pushes it as LPUSH would (its bytes count);
 *  - RENAME (across shards too) keeps the encoding; CONFIG SET changes no
 *    encoding until the list is next written.
 *
 * lpBytes is computed with listpack's entry sizes (string2ll integers in
 * 1/2/3/4/5/9 bytes, strings with a 1/2/5-byte header, a 1..5-byte backlen,
 * 7 bytes of header and end). Keys live on all 4 shards. Also: the
 * parameter's CONFIG SET / GET against redis-server, DEBUG OBJECT's ql_
 * fields, and the integer rule of LMOVE.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, rawClient, resp, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { type Reply, parseOne } from '../helpers/resp.js';
import type { RawClient } from '../helpers/raw-client.js';
import { keysOnEveryShard, shardOf, shardsTouched } from '../helpers/shards.js';
import { withSeed } from '../helpers/dataset.js';
import type { Rng } from '../helpers/rng.js';

const FILE = 'test/integration/list-encodings.test.ts';
const OPS_PER_FILL = Number(process.env.LIST_ENC_OPS ?? 300);

// ---- the model ---------------------------------------------------------------

type Enc = 'listpack' | 'quicklist';
interface MList {
  items: Buffer[];
  enc: Enc;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The integer listpack stores these bytes as (string2ll's rules), or null for a string. */
function lpInt(b: Buffer): bigint | null {
  if (b.length === 0 || b.length > 20) return null;
  const s = b.toString('latin1');
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** Bytes of one listpack entry (encoding, data, backlen). */
function lpEntrySize(b: Buffer): number {
  const v = lpInt(b);
  let l: number;
  if (v !== null) {
    const fits = (bits: number): boolean => v >= -(2n ** BigInt(bits - 1)) && v < 2n ** BigInt(bits - 1);
    l = v >= 0n && v <= 127n ? 1 : fits(13) ? 2 : fits(16) ? 3 : fits(24) ? 4 : fits(32) ? 5 : 9;
  } else {
    l = (b.length < 64 ? 1 : b.length < 4096 ? 2 : 5) + b.length;
  }
  return l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
}

function lpBytes(items: readonly Buffer[]): number {
  return items.reduce((n, b) => n + lpEntrySize(b), 7);
}

function byteLimit(fill: number): number {
  return [4096, 8192, 16384, 32768, 65536][Math.min(-fill, 5) - 1]!;
}

function exceeds(fill: number, bytes: number, count: number): boolean {
  if (fill < 0) return bytes > byteLimit(fill);
  return bytes > 8192 || count > Math.max(fill, 1);
}

class Model {
  readonly lists = new Map<string, MList>();
  fill = -2;
  /** Conversions the model made: to quicklist by growth, to listpack by shrinking, to listpack on a load. */
  readonly seen = { grew: 0, shrank: 0, loadedPacked: 0, loadedQuick: 0 };

  /** listTypeTryConversionAppend. */
  growing(l: MList, bytes: number, count: number): void {
    if (l.enc === 'listpack' && exceeds(this.fill, lpBytes(l.items) + bytes, l.items.length + count)) {
      l.enc = 'quicklist';
      this.seen.grew++;
    }
  }

  /** listTypeTryConvertQuicklist after removals (or, with shrinking false, after a load). */
  settle(l: MList, shrinking: boolean): void {
    if (l.enc !== 'quicklist') return;
    const bytes = lpBytes(l.items);
    const n = l.items.length;
    if (exceeds(this.fill, bytes, n)) return;
    if (shrinking && (this.fill < 0 ? bytes > Math.floor(byteLimit(this.fill) / 2) : n > Math.floor(Math.max(this.fill, 1) / 2))) return;
    l.enc = 'listpack';
    this.seen.shrank++;
  }

  /** After removals from key k: deleted when empty, else settled. */
  removed(k: string): void {
    const l = this.lists.get(k)!;
    if (l.items.length === 0) this.lists.delete(k);
    else this.settle(l, true);
  }

  loaded(items: Buffer[]): MList {
    const quick = exceeds(this.fill, lpBytes(items), items.length);
    quick ? this.seen.loadedQuick++ : this.seen.loadedPacked++;
    return { items, enc: quick ? 'quicklist' : 'listpack' };
  }
}

// ---- the driver ------------------------------------------------------------------

/** Six keys: one per shard and a hash-tagged pair that shares a shard. */
const KEYS = [...keysOnEveryShard('le:', 4), '{le}a', '{le}b'];

let redis: ServerHandle;
let shoal: ServerHandle;
let c: RawClient;

beforeAll(async () => {
  [redis, shoal] = await startAll(startRedis(), startShoal({ shards: 4 }));
  c = await rawClient(shoal.port);
});

afterAll(async () => {
  c?.destroy();
  await Promise.all([redis?.stop(), shoal?.stop()]);
});

async function send(cmds: (string | Buffer)[][]): Promise<Reply[]> {
  await c.write(Buffer.concat(cmds.map((a) => resp(...a))));
  return (await c.readReplies(cmds.length, 20_000)).map((r) => parseOne(r));
}

function text(r: Reply): string {
  if (r.type === 'bulk' && r.value !== null) return r.value.toString('latin1');
  if (r.type === 'simple' || r.type === 'error') return r.value;
  return JSON.stringify(r);
}

/** An element, sized to cross the byte limits of `fill` and listpack's encoding boundaries. */
function element(rng: Rng, fill: number): Buffer {
  const big = fill < 0 ? byteLimit(fill) : 8192;
  const kind = rng.weighted<() => string>([
    [4, () => rng.string(rng.range(1, 8))],
    [2, () => String(rng.range(0, 127))],
    [2, () => String(rng.range(-4096, 4095))],
    [1, () => String(rng.range(-8388608, 8388607))],
    [1, () => String(BigInt(rng.range(-(2 ** 30), 2 ** 30)) * 4_000_000_000n)],
    [1, () => rng.pick(['-0', '007', '+5', '9223372036854775808', '-9223372036854775808', ' 1'])],
    [2, () => rng.string(rng.range(55, 70))],
    [1, () => rng.string(rng.range(120, 135))],
    [4, () => rng.string(rng.range(big >> 6, big >> 3))],
    [1.5, () => rng.string(rng.range((big >> 1) - 40, (big >> 1) + 20))],
    [0.3, () => rng.string(rng.range(4090, 4100))],
  ]);
  return Buffer.from(kind(), 'latin1');
}

/** One random command: what to send, and its effect on the model. Returns the keys it touched. */
function step(rng: Rng, m: Model): { cmd: (string | Buffer)[]; touched: string[] } {
  const fill = m.fill;
  const k = rng.pick(KEYS);
  const l = m.lists.get(k);
  const existing = (): Buffer => (l && l.items.length > 0 && rng.chance(0.8) ? rng.pick(l.items) : element(rng, fill));
  const op = rng.weighted<string>([
    [12, 'push'],
    [2, 'pushx'],
    [4, 'pop'],
    [2, 'popcount'],
    [1.5, 'lmpop'],
    [2, 'ltrim'],
    [3, 'lrem'],
    [3, 'lset'],
    [3, 'linsert'],
    [4, 'lmove'],
    [0.4, 'reload'],
    [1.5, 'restore'],
    [1.5, 'rename'],
  ]);
  switch (op) {
    case 'push':
    case 'pushx': {
      const left = rng.chance(0.5);
      const vals = Array.from({ length: rng.range(1, 5) }, () => element(rng, fill));
      const name = (left ? 'LPUSH' : 'RPUSH') + (op === 'pushx' ? 'X' : '');
      let t = l;
      if (t === undefined && op === 'push') m.lists.set(k, (t = { items: [], enc: 'listpack' }));
      if (t !== undefined) {
        m.growing(t, vals.reduce((n, v) => n + v.length, 0), vals.length);
        for (const v of vals) left ? t.items.unshift(v) : t.items.push(v);
      }
      return { cmd: [name, k, ...vals], touched: [k] };
    }
    case 'pop':
    case 'popcount':
    case 'lmpop': {
      const left = rng.chance(0.5);
      const n = op === 'pop' ? 1 : rng.range(1, 12);
      if (l !== undefined) {
        for (let i = 0; i < n && l.items.length > 0; i++) left ? l.items.shift() : l.items.pop();
        m.removed(k);
      }
      if (op === 'pop') return { cmd: [left ? 'LPOP' : 'RPOP', k], touched: [k] };
      if (op === 'popcount') return { cmd: [left ? 'LPOP' : 'RPOP', k, String(n)], touched: [k] };
      return { cmd: ['LMPOP', '1', k, left ? 'LEFT' : 'RIGHT', 'COUNT', String(n)], touched: [k] };
    }
    case 'ltrim': {
      const len = l?.items.length ?? 0;
      let start = rng.range(0, Math.max(0, len >> 2));
      let stop = rng.chance(0.2) ? rng.range(-3, -1) : rng.range(start, Math.max(start, len));
      const cmd = ['LTRIM', k, String(start), String(stop)];
      if (l !== undefined) {
        if (stop < 0) stop += len;
        if (start > stop || start >= len) l.items = [];
        else l.items = l.items.slice(start, Math.min(stop, len - 1) + 1);
        m.removed(k);
      }
      return { cmd, touched: [k] };
    }
    case 'lrem': {
      const v = existing();
      const count = rng.range(-2, 2);
      if (l !== undefined) {
        const idx: number[] = [];
        l.items.forEach((x, i) => x.equals(v) && idx.push(i));
        const chosen = count === 0 ? idx : count > 0 ? idx.slice(0, count) : idx.slice(count).reverse();
        if (chosen.length > 0) {
          const drop = new Set(chosen);
          l.items = l.items.filter((_, i) => !drop.has(i));
          m.removed(k);
        }
      }
      return { cmd: ['LREM', k, String(count), v], touched: [k] };
    }
    case 'lset': {
      const len = l?.items.length ?? 0;
      const index = rng.chance(0.9) ? rng.range(-len, Math.max(0, len - 1)) : len + rng.range(0, 3);
      const v = element(rng, fill);
      if (l !== undefined) {
        m.growing(l, v.length, 1);
        const i = index < 0 ? index + len : index;
        if (i >= 0 && i < len) {
          l.items[i] = v;
          m.settle(l, true);
        }
      }
      return { cmd: ['LSET', k, String(index), v], touched: [k] };
    }
    case 'linsert': {
      const pivot = existing();
      const v = element(rng, fill);
      const before = rng.chance(0.5);
      if (l !== undefined) {
        m.growing(l, v.length, 1);
        const i = l.items.findIndex((x) => x.equals(pivot));
        if (i >= 0) l.items.splice(before ? i : i + 1, 0, v);
      }
      return { cmd: ['LINSERT', k, before ? 'BEFORE' : 'AFTER', pivot, v], touched: [k] };
    }
    case 'lmove': {
      const d = rng.chance(0.3) ? rng.pick(['{le}a', '{le}b']) : rng.pick(KEYS);
      const s = rng.chance(0.3) ? rng.pick(['{le}a', '{le}b']) : k;
      const rpoplpush = rng.chance(0.3);
      const fromLeft = rpoplpush ? false : rng.chance(0.5);
      const toLeft = rpoplpush ? true : rng.chance(0.5);
      const src = m.lists.get(s);
      if (src !== undefined) {
        const fromQuicklist = src.enc === 'quicklist';
        const value = (fromLeft ? src.items.shift() : src.items.pop())!;
        let dst = m.lists.get(d);
        if (dst === undefined) m.lists.set(d, (dst = { items: [], enc: 'listpack' }));
        const sameShard = shardOf(s) === shardOf(d);
        m.growing(dst, fromQuicklist && sameShard && lpInt(value) !== null ? 0 : value.length, 1);
        toLeft ? dst.items.unshift(value) : dst.items.push(value);
        m.removed(s);
      }
      const cmd = rpoplpush ? ['RPOPLPUSH', s, d] : ['LMOVE', s, d, fromLeft ? 'LEFT' : 'RIGHT', toLeft ? 'LEFT' : 'RIGHT'];
      return { cmd, touched: [s, d] };
    }
    case 'reload': {
      for (const [key, t] of m.lists) m.lists.set(key, m.loaded(t.items));
      return { cmd: ['DEBUG', 'RELOAD'], touched: KEYS };
    }
    case 'restore': {
      // DUMP is sent first by the caller; here: RESTORE of that payload to another key.
      return { cmd: ['RESTORE-FROM', k, rng.pick(KEYS)], touched: [] };
    }
    default: {
      const d = rng.pick(KEYS);
      if (l !== undefined) {
        m.lists.delete(k);
        m.lists.set(d, l);
      }
      return { cmd: ['RENAME', k, d], touched: [k, d] };
    }
  }
}

async function checkKeys(m: Model, keys: string[], where: string, full: boolean): Promise<void> {
  const uniq = [...new Set(keys)];
  const cmds: string[][] = [];
  for (const k of uniq) cmds.push(['OBJECT', 'ENCODING', k], ['LLEN', k]);
  if (full) for (const k of uniq) cmds.push(['LRANGE', k, '0', '-1'], ['DEBUG', 'OBJECT', k]);
  const replies = await send(cmds);
  uniq.forEach((k, i) => {
    const l = m.lists.get(k);
    const enc = replies[2 * i]!;
    const len = replies[2 * i + 1]!;
    const bytes = l === undefined ? 0 : lpBytes(l.items);
    const info = `${where}: ${k} (${l?.items.length ?? 0} elements, lpBytes ${bytes}, fill ${m.fill})`;
    expect(len, info).toEqual({ type: 'integer', value: BigInt(l?.items.length ?? 0) });
    expect(enc, info).toEqual({ type: 'bulk', value: l === undefined ? null : Buffer.from(l.enc) });
  });
  if (!full) return;
  const base = 2 * uniq.length;
  uniq.forEach((k, i) => {
    const l = m.lists.get(k);
    const range = replies[base + 2 * i]!;
    const debug = text(replies[base + 2 * i + 1]!);
    const got = range.type === 'array' ? range.value!.map((r) => (r.type === 'bulk' ? r.value!.toString('latin1') : '?')) : [];
    expect(got, `${where}: LRANGE ${k}`).toEqual((l?.items ?? []).map((b) => b.toString('latin1')));
    if (l === undefined) return;
    // 7.2's DEBUG OBJECT has quicklist figures for quicklists only; ql_listpack_max is the fill.
    expect(debug, `${where}: DEBUG OBJECT ${k}`).toContain(`encoding:${l.enc} `);
    if (l.enc === 'quicklist') expect(debug, `${where}: DEBUG OBJECT ${k}`).toContain(` ql_listpack_max:${m.fill} `);
    else expect(debug, `${where}: DEBUG OBJECT ${k}`).not.toContain('ql_nodes');
  });
}

/**
 * Pushes small elements one at a time onto a new list until it is a
 * quicklist, then pops them one at a time until it is a listpack again (or
 * gone: fills 0 and 1 never convert back), checking the encoding each time.
 */
async function walk(rng: Rng, m: Model, k: string): Promise<void> {
  const l: MList = { items: [], enc: 'listpack' };
  m.lists.set(k, l);
  const small = (): Buffer => Buffer.from(rng.chance(0.3) ? String(rng.range(-100000, 100000)) : rng.string(rng.range(1, m.fill < 0 ? byteLimit(m.fill) >> 5 : 40)));
  for (let i = 0; l.enc === 'listpack'; i++) {
    const v = small();
    m.growing(l, v.length, 1);
    l.items.push(v);
    await send([['RPUSH', k, v]]);
    await checkKeys(m, [k], `walk up ${i} (fill ${m.fill})`, false);
  }
  for (let i = 0; m.lists.has(k) && l.enc === 'quicklist'; i++) {
    l.items.pop();
    m.removed(k);
    await send([['RPOP', k]]);
    await checkKeys(m, [k], `walk down ${i} (fill ${m.fill})`, false);
  }
  await send([['DEL', k]]);
  m.lists.delete(k);
}

describe('list encodings (Redis 7.2 rules, 4 shards)', () => {
  it('the keys span every shard', () => {
    expect(shardsTouched(KEYS)).toBe(4);
    expect(shardOf('{le}a')).toBe(shardOf('{le}b'));
  });

  it(
    'random list commands across the thresholds of several list-max-listpack-size values',
    withSeed(FILE, 'list encodings', async (rng) => {
      const m = new Model();
      expect(text((await send([['FLUSHALL']]))[0]!)).toBe('OK');
      for (const fill of [-2, 5, -1, 0, -5, 12, -9, 1]) {
        // Lists keep their encodings through CONFIG SET, until their next write.
        expect(text((await send([['CONFIG', 'SET', 'list-max-listpack-size', String(fill)]]))[0]!)).toBe('OK');
        m.fill = fill;
        const before = { ...m.seen };
        await checkKeys(m, KEYS, `after CONFIG SET ${fill}`, true);
        await walk(rng, m, `walk:${fill}`);
        for (let i = 0; i < OPS_PER_FILL; i++) {
          const { cmd, touched } = step(rng, m);
          const where = `fill ${fill}, step ${i}: ${cmd.map((a) => (a.length > 20 ? `<${a.length} bytes>` : a.toString())).join(' ')}`;
          if (cmd[0] === 'RESTORE-FROM') {
            const [, from, to] = cmd as string[];
            const [dump] = await send([['DUMP', from!]]);
            if (dump!.type !== 'bulk' || dump!.value === null) continue;
            expect(text((await send([['RESTORE', to!, '0', dump!.value, 'REPLACE']]))[0]!), where).toBe('OK');
            m.lists.set(to!, m.loaded([...m.lists.get(from!)!.items]));
            await checkKeys(m, [from!, to!], where, false);
            continue;
          }
          const [reply] = await send([cmd]);
          if (reply!.type === 'error' && !/index out of range|no such key/.test(reply!.value)) throw new Error(`${where}: ${reply!.value}`);
          await checkKeys(m, touched, where, i % 40 === 39);
        }
        await checkKeys(m, KEYS, `end of fill ${fill}`, true);
        // The phase crossed the thresholds both ways (the walk makes sure of it).
        expect(m.seen.grew - before.grew, `fill ${fill}: conversions to quicklist`).toBeGreaterThan(0);
        if (fill < 0 || fill >= 2) expect(m.seen.shrank - before.shrank, `fill ${fill}: conversions back to listpack`).toBeGreaterThan(0);
      }
    }),
    180_000,
  );

  it('LMOVE within a shard counts no bytes for an integer popped from a quicklist, as 7.2', async () => {
    const fill = '100';
    const filler = 'x'.repeat(8175); // one entry of 5 + 8175 + 2 bytes: lpBytes 8189
    for (const [value, want] of [
      ['123456789', 'listpack'], // an integer: 0 bytes counted, 8189 fits 8192
      ['abcdefghi', 'quicklist'], // a string: 8189 + 9 > 8192
    ] as const) {
      const replies = await send([
        ['FLUSHALL'],
        ['CONFIG', 'SET', 'list-max-listpack-size', fill],
        ['RPUSH', '{mv}dst', filler],
        ['RPUSH', '{mv}src', ...Array.from({ length: 101 }, (_, i) => `e${i}`)],
        ['RPUSH', '{mv}src', value],
        ['OBJECT', 'ENCODING', '{mv}src'],
        ['OBJECT', 'ENCODING', '{mv}dst'],
        ['RPOPLPUSH', '{mv}src', '{mv}dst'],
        ['OBJECT', 'ENCODING', '{mv}dst'],
      ]);
      expect(replies.slice(5).map(text)).toEqual(['quicklist', 'listpack', value, want]);
    }
    await send([['CONFIG', 'SET', 'list-max-listpack-size', '-2']]);
  });

  it('a restart loads each list as 7.2 does: a listpack when it fits one node of the limit it starts with', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-list-enc-'));
    const [k2, k3, k4, shrunk] = keysOnEveryShard('rs:', 4);
    const big = 'b'.repeat(3000);
    const encodings = async (port: number): Promise<string[]> => {
      const r = await rawClient(port);
      try {
        await r.write(Buffer.concat([k2, k3, k4, shrunk].map((k) => resp('OBJECT', 'ENCODING', k!))));
        return (await r.readReplies(4, 10_000)).map((b) => text(parseOne(b)));
      } finally {
        r.destroy();
      }
    };
    const first = await startShoal({ shards: 4, args: ['--dir', dir, '--list-max-listpack-size', '3'] });
    try {
      const r = await rawClient(first.port);
      await r.write(
        Buffer.concat([
          resp('RPUSH', k2!, 'a', 'b'),
          resp('RPUSH', k3!, 'a', 'b', 'c'),
          resp('RPUSH', k4!, 'a', 'b', 'c', big),
          // Four elements make a quicklist; back at two it stays one (half of 3 is 1).
          resp('RPUSH', shrunk!, '1', '2', '3', '4'),
          resp('RPOP', shrunk!, '2'),
          resp('SAVE'),
        ]),
      );
      await r.readReplies(6, 10_000);
      r.destroy();
      expect(await encodings(first.port)).toEqual(['listpack', 'listpack', 'quicklist', 'quicklist']);
    } finally {
      await first.stop();
    }
    for (const [fill, want] of [
      ['3', ['listpack', 'listpack', 'quicklist', 'listpack']],
      ['-1', ['listpack', 'listpack', 'listpack', 'listpack']],
      ['1', ['quicklist', 'quicklist', 'quicklist', 'quicklist']],
    ] as const) {
      const again = await startShoal({ shards: 4, args: ['--dir', dir, '--list-max-listpack-size', fill] });
      try {
        expect(await encodings(again.port), `restarted with fill ${fill}`).toEqual(want);
      } finally {
        await again.stop();
      }
    }
  }, 60_000);

  it('list-max-listpack-size takes any int, as redis-server does (CONFIG SET errors, CONFIG GET, the old name)', async () => {
    const r = await rawClient(redis.port);
    try {
      const cmds = [
        ['CONFIG', 'SET', 'list-max-listpack-size', '-6'],
        ['CONFIG', 'GET', 'list-max-listpack-size'],
        ['CONFIG', 'SET', 'list-max-ziplist-size', '100000'],
        ['CONFIG', 'GET', 'list-max-ziplist-size'],
        ['CONFIG', 'SET', 'list-max-listpack-size', '2147483648'],
        ['CONFIG', 'SET', 'list-max-listpack-size', '-2147483649'],
        ['CONFIG', 'SET', 'list-max-listpack-size', '-2147483648'],
        ['CONFIG', 'SET', 'list-max-listpack-size', '1.5'],
        ['CONFIG', 'SET', 'list-max-listpack-size', 'abc'],
        ['CONFIG', 'SET', 'list-max-listpack-size', ''],
        ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
        ['CONFIG', 'GET', 'list-max-listpack-size'],
      ];
      await r.write(Buffer.concat(cmds.map((a) => resp(...a))));
      const want = await r.readReplies(cmds.length, 10_000);
      await c.write(Buffer.concat(cmds.map((a) => resp(...a))));
      const got = await c.readReplies(cmds.length, 10_000);
      expect(got.map((b) => b.toString('latin1'))).toEqual(want.map((b) => b.toString('latin1')));
    } finally {
      r.destroy();
    }
  });
});
