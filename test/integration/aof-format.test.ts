/**
 * The AOF file format against redis-server 7.0 (/usr/bin):
 *
 *  (a) Redis writes, we read: a redis-server with appendonly yes and
 *      aof-timestamp-enabled yes takes a few hundred writes of several types
 *      (binary values, several dbs, MULTI/EXEC), a BGREWRITEAOF, and more
 *      writes. Its manifest parses, and formats back byte for byte; its base
 *      has an RDB preamble holding the keys of the rewrite; its incr file
 *      reads as exactly the writes made after the rewrite, in order, and
 *      with the annotations taken out it is byte for byte what AofBuffer
 *      writes for them.
 *  (b) We write, Redis reads: a base and an incr file written by AofBuffer
 *      pass redis-check-aof, and with a manifest from formatManifest they
 *      load into redis-server with the same contents (every key's value) as
 *      a redis-server that ran the commands. redis-check-aof --fix cuts a
 *      cut file where the reader says it was cut.
 *
 * Workloads are random: the seed is printed on failure, SEED=<n> replays it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AofManifest, baseName, formatManifest, incrName, manifestName, parseManifest } from '../../src/persistence/aof-manifest.js';
import { MultiTracker, hasRdbPreamble, loadableEnd, readAof } from '../../src/persistence/aof-reader.js';
import { AofBuffer, encodeCommand } from '../../src/persistence/aof-writer.js';
import { readRdb } from '../../src/persistence/rdb-reader.js';
import { type RawClient, type Reply, type ServerHandle, parseOne, rawClient, respMany, sleep, startRedis } from '../helpers/servers.js';
import { scratch } from '../helpers/scratch.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';

const REDIS_CHECK_AOF = process.env.REDIS_CHECK_AOF ?? '/usr/bin/redis-check-aof';
const DBS = 3;

const { root: tmpRoot, servers, clients } = scratch('shoal-aof-');

/** A write that Redis logs as it is sent: one command, or a transaction of two or more (wrapped in MULTI/EXEC). */
interface Step {
  db: number;
  cmds: Uint8Array[][];
}

const b = (s: string) => Buffer.from(s, 'latin1');

/** Random writes that Redis propagates to the AOF verbatim (every SADD/ZADD member is new, so none is a no-op). */
function workload(rng: Rng, n: number, tag: string): Step[] {
  let unique = 0;
  const value = () => (rng.chance(0.05) ? rng.bytes(2000 + rng.int(3000)) : rng.bytes(rng.int(30)));
  const command = (): Uint8Array[] => {
    switch (rng.int(7)) {
      case 0:
        return [b('SET'), b(`s:${rng.int(20)}`), value()];
      case 1:
        return [b('APPEND'), b(`s:${rng.int(20)}`), value()];
      case 2:
        return [b('RPUSH'), b(`l:${rng.int(5)}`), value(), value()];
      case 3:
        return [b('HSET'), b(`h:${rng.int(5)}`), b(`f${rng.int(50)}`), value()];
      case 4:
        return [b('SADD'), b(`set:${rng.int(5)}`), b(`${tag}m${unique++}`)];
      case 5:
        return [b('ZADD'), b(`z:${rng.int(5)}`), b(String(rng.int(1000) - 500)), b(`${tag}m${unique++}`)];
      default:
        return [b('INCR'), b(`c:${rng.int(5)}`)];
    }
  };
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) {
    const db = rng.chance(0.7) ? 0 : rng.int(DBS);
    const cmds = rng.chance(0.1) ? Array.from({ length: 2 + rng.int(3) }, command) : [command()];
    steps.push({ db, cmds });
  }
  return steps;
}

/** Sends the steps on one connection (SELECT when the db changes, MULTI/EXEC around transactions), pipelined. */
async function send(c: RawClient, steps: Step[], state: { db: number }): Promise<void> {
  const out: Uint8Array[][] = [];
  for (const s of steps) {
    if (s.db !== state.db) {
      out.push([b('SELECT'), b(String(s.db))]);
      state.db = s.db;
    }
    if (s.cmds.length > 1) out.push([b('MULTI')], ...s.cmds, [b('EXEC')]);
    else out.push(s.cmds[0]!);
  }
  for (let i = 0; i < out.length; i += 200) {
    const batch = out.slice(i, i + 200);
    await c.write(respMany(batch));
    const replies = await c.readReplies(batch.length, 10_000);
    for (const r of replies) expect(r[0], r.toString('latin1')).not.toBe(0x2d /* - */);
  }
}

/** One step as Redis 7.0 appends it: a transaction of several commands as MULTI … EXEC. */
function appendStep(buf: AofBuffer, s: Step, now?: number): void {
  if (s.cmds.length > 1) {
    buf.append(s.db, ['MULTI'], now);
    for (const c of s.cmds) buf.append(s.db, c, now);
    buf.append(s.db, ['EXEC'], now);
  } else {
    buf.append(s.db, s.cmds[0]!, now);
  }
}

/** What Redis 7.0 appends for the steps to a fresh incr file (a SELECT goes before the MULTI of a transaction). */
function expectedAof(steps: Step[], timestamps = false, now?: number): AofBuffer {
  const buf = new AofBuffer({ timestamps });
  buf.startNewFile();
  for (const s of steps) appendStep(buf, s, now);
  return buf;
}

async function info(c: RawClient, field: string): Promise<string> {
  const text = (await c.call('INFO', 'persistence')).toString('latin1');
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text);
  if (!m) throw new Error(`INFO persistence has no ${field}:\n${text}`);
  return m[1]!.trim();
}

async function waitNoRewrite(c: RawClient): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await info(c, 'aof_rewrite_in_progress')) !== '0' || (await info(c, 'aof_rewrite_scheduled')) !== '0') {
    if (Date.now() > deadline) throw new Error('the AOF rewrite did not finish within 10 s');
    await sleep(50);
  }
}

async function startAofRedis(dir: string, extra: string[] = []): Promise<{ srv: ServerHandle; c: RawClient }> {
  const srv = await startRedis({ args: ['--appendonly', 'yes', '--appenddirname', 'aofdir', '--dir', dir, '--loglevel', 'notice', ...extra] });
  servers.push(srv);
  const c = await rawClient(srv.port);
  clients.push(c);
  return { srv, c };
}

/**
 * A key's type and value, members sorted where the order is not the
 * value's (DUMP would not do: a hashtable's order follows the process's
 * random hash seed).
 */
async function contents(c: RawClient, key: string): Promise<{ type: string; value: string[] }> {
  const type = (await c.callText('TYPE', b(key))).slice(1, -2);
  const read: Record<string, Array<string | Uint8Array>> = {
    string: ['GET', b(key)],
    list: ['LRANGE', b(key), '0', '-1'],
    hash: ['HGETALL', b(key)],
    set: ['SMEMBERS', b(key)],
    zset: ['ZRANGE', b(key), '0', '-1', 'WITHSCORES'],
  };
  const cmd = read[type];
  if (!cmd) throw new Error(`unexpected type ${type} of ${key}`);
  const r = parseOne(await c.call(...cmd));
  const items = r.type === 'array' ? r.value ?? [] : [r];
  let value = items.map((x) => (x as Extract<Reply, { type: 'bulk' }>).value!.toString('hex'));
  if (type === 'hash') {
    const pairs: string[] = [];
    for (let i = 0; i < value.length; i += 2) pairs.push(`${value[i]}=${value[i + 1]}`);
    value = pairs.sort();
  } else if (type === 'set') {
    value.sort();
  }
  return { type, value };
}

const printable = (args: Uint8Array[]) => args.map((a) => Buffer.from(a).toString('latin1')).join(' ');

describe('AOF format against redis-server 7.0', () => {
  const [seed] = seedsFromEnv(1);
  const tagged = (name: string) => `${name} (SEED=${seed})`;

  it(tagged('reads the manifest, base and incr files that Redis writes'), async () => {
    const rng = new Rng(seed!);
    const dir = path.join(tmpRoot, 'redis-writes');
    fs.mkdirSync(dir);
    const { c } = await startAofRedis(dir, ['--aof-timestamp-enabled', 'yes']);
    await waitNoRewrite(c); // Redis 7.0 writes a first base at startup
    const state = { db: 0 };
    await send(c, workload(rng, 250, 'a'), state);

    const sizes: number[] = [];
    for (let db = 0; db < DBS; db++) {
      await c.call('SELECT', String(db));
      sizes.push(parseInt((await c.callText('DBSIZE')).slice(1), 10));
    }
    state.db = DBS - 1;
    expect((await c.callText('BGREWRITEAOF')).toLowerCase()).toContain('started');
    const after = workload(rng, 250, 'b');
    await send(c, after.slice(0, 125), state);
    // Redis annotates when the second changes: let one pass.
    await sleep(1100);
    await send(c, after.slice(125), state);
    await waitNoRewrite(c);

    const aofDir = path.join(dir, 'aofdir');
    const manifestBytes = fs.readFileSync(path.join(aofDir, manifestName('appendonly.aof')));
    const m = parseManifest(manifestBytes);
    expect(formatManifest(m)).toBe(manifestBytes.toString('latin1'));
    expect(m.base?.name).toMatch(/^appendonly\.aof\.\d+\.base\.rdb$/);
    expect(m.base?.name).toBe(baseName('appendonly.aof', m.base!.seq, true));
    expect(m.incr).toHaveLength(1);
    expect(m.incr[0]!.name).toBe(incrName('appendonly.aof', m.incr[0]!.seq));
    expect(m.history).toEqual([]);

    // The base: an RDB (the preamble of a rewrite) with the keys as they were when the rewrite started.
    const base = fs.readFileSync(path.join(aofDir, m.base!.name));
    expect(hasRdbPreamble(base)).toBe(true);
    expect(readAof(base, () => {}).rdbPreamble).toBe(true);
    expect(base.length).toBeGreaterThan(9);
    const perDb = new Array<number>(DBS).fill(0);
    readRdb(base, (e) => perDb[e.db]!++);
    expect(perDb).toEqual(sizes);

    // The incr file: the writes made after BGREWRITEAOF, in order, with #TS annotations between.
    const incr = fs.readFileSync(path.join(aofDir, m.incr[0]!.name));
    expect(hasRdbPreamble(incr)).toBe(false);
    const got: Uint8Array[][] = [];
    const annotations: Array<[number, number]> = [];
    const tracker = new MultiTracker();
    const result = readAof(
      incr,
      (args, off) => {
        got.push(args);
        tracker.observe(args, off);
      },
      { onAnnotation: (text, at) => annotations.push([at, at + 1 + text.length + 2]) },
    );
    expect(result).toEqual({ rdbPreamble: false, end: incr.length, truncatedAt: null });
    expect(tracker.openMultiAt).toBeNull();
    expect(loadableEnd(result, tracker)).toBe(incr.length);
    expect(annotations.length).toBeGreaterThan(0);
    for (const [at] of annotations) expect(incr.toString('latin1', at, at + 4)).toBe('#TS:');

    const expected = expectedAof(after).take();
    const want: Uint8Array[][] = [];
    readAof(expected, (args) => want.push(args));
    expect(got.map(printable)).toEqual(want.map(printable));
    // Byte for byte, once the annotations are taken out.
    const pieces: Buffer[] = [];
    let from = 0;
    for (const [at, end] of annotations) {
      pieces.push(incr.subarray(from, at));
      from = end;
    }
    pieces.push(incr.subarray(from));
    expect(Buffer.concat(pieces).equals(Buffer.from(expected))).toBe(true);
  }, 20_000);

  it(tagged('writes files that redis-check-aof accepts and redis-server loads'), async () => {
    const rng = new Rng(seed! ^ 0x5a5a5a);
    const dir = path.join(tmpRoot, 'shoal-writes');
    const aofDir = path.join(dir, 'aofdir');
    fs.mkdirSync(aofDir, { recursive: true });
    const steps = workload(rng, 300, 'c');
    const baseSteps = steps.slice(0, 120);
    const incrSteps = steps.slice(120);

    const baseFile = baseName('appendonly.aof', 1, false);
    const incrFile = incrName('appendonly.aof', 1);
    fs.writeFileSync(path.join(aofDir, baseFile), expectedAof(baseSteps).take());
    // The incr file is written in batches, as a server appends it.
    const buf = new AofBuffer({ timestamps: true });
    const fd = fs.openSync(path.join(aofDir, incrFile), 'w');
    let now = 1_700_000_000;
    for (const [i, s] of incrSteps.entries()) {
      appendStep(buf, s, now);
      if (i % 7 === 0) now++;
      if (buf.pending > 4096) fs.writeSync(fd, buf.take());
    }
    fs.writeSync(fd, buf.take());
    fs.closeSync(fd);
    const manifest: AofManifest = {
      base: { name: baseFile, seq: 1, type: 'b' },
      incr: [{ name: incrFile, seq: 1, type: 'i' }],
      history: [],
    };
    const manifestPath = path.join(aofDir, manifestName('appendonly.aof'));
    fs.writeFileSync(manifestPath, formatManifest(manifest));

    for (const file of [path.join(aofDir, incrFile), path.join(aofDir, baseFile), manifestPath]) {
      const r = spawnSync(REDIS_CHECK_AOF, [file], { encoding: 'latin1' });
      expect(r.status, `redis-check-aof ${file}:\n${r.stdout}${r.stderr}`).toBe(0);
    }

    // A copy cut inside a command (not a transaction): --fix cuts it where the reader says.
    const incrBytes = fs.readFileSync(path.join(aofDir, incrFile));
    const tracker = new MultiTracker();
    let cut = -1;
    readAof(incrBytes, (args, off) => {
      tracker.observe(args, off);
      // Half-way through the file, outside a transaction, where a command (not an annotation) follows.
      if (cut < 0 && off > incrBytes.length / 2 && tracker.openMultiAt === null && incrBytes[off] === 0x2a) cut = off + 5;
    });
    expect(cut).toBeGreaterThan(0);
    const cutPath = path.join(dir, 'cut.aof');
    fs.writeFileSync(cutPath, incrBytes.subarray(0, cut));
    const cutResult = readAof(incrBytes.subarray(0, cut), () => {});
    expect(cutResult.truncatedAt).not.toBeNull();
    expect(spawnSync(REDIS_CHECK_AOF, [cutPath]).status).not.toBe(0);
    const fix = spawnSync(REDIS_CHECK_AOF, ['--fix', cutPath], { input: 'y\n', encoding: 'latin1' });
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);
    expect(fs.statSync(cutPath).size).toBe(cutResult.truncatedAt);

    // Redis loads the directory, and holds what a server that ran the commands holds.
    const { srv, c: loaded } = await startAofRedis(dir);
    const ref = await startRedis();
    servers.push(ref);
    const rc = await rawClient(ref.port);
    clients.push(rc);
    await send(rc, steps, { db: 0 });
    expect(srv.output()).not.toMatch(/Truncat|short read|Bad file format/i);
    let keys = 0;
    for (let db = 0; db < DBS; db++) {
      await loaded.call('SELECT', String(db));
      await rc.call('SELECT', String(db));
      const names = async (cl: RawClient) =>
        ((parseOne(await cl.call('KEYS', '*')) as Extract<Reply, { type: 'array' }>).value ?? [])
          .map((r) => (r as Extract<Reply, { type: 'bulk' }>).value!.toString('latin1'))
          .sort();
      const want = await names(rc);
      expect(await names(loaded)).toEqual(want);
      for (const k of want) expect(await contents(loaded, k), `db ${db} key ${k}`).toEqual(await contents(rc, k));
      keys += want.length;
    }
    expect(keys).toBeGreaterThan(20);
  }, 20_000);
});

// Keeps the encoder honest on its own too: what Redis would append for one command.
it('encodeCommand writes what redis-check-aof reads', () => {
  const file = path.join(tmpRoot, 'one.aof');
  fs.writeFileSync(file, Buffer.concat([encodeCommand(['SET', 'k', new Uint8Array([0, 255, 13, 10])]), encodeCommand(['DEL', 'k'])]));
  expect(spawnSync(REDIS_CHECK_AOF, [file]).status).toBe(0);
});
