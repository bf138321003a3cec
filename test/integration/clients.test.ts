/**
 * Real client libraries against Shoal (4 shards): ioredis and node-redis
 * with their default settings (their handshakes included: ioredis' INFO
 * ready-check, node-redis' CLIENT SETINFO), keys spread over every shard,
 * long pipelines, a 100 MB value, and INFO shards.
 */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { RESP_TYPES, createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../helpers/rng.js';
import { type ServerHandle, startShoal } from '../helpers/servers.js';

type NodeRedis = ReturnType<typeof createClient>;

const SHARDS = 4;
const SHARD_LINE = /^shard_(\d+):keys=(\d+),arena_used=(\d+),heap_used=(\d+),heap_committed=(\d+),heap_malloced=(\d+),arena_reserved=(\d+),commands=(\d+)$/;

interface ShardInfo {
  index: number;
  keys: number;
  arenaUsed: number;
  heapUsed: number;
  heapCommitted: number;
  arenaReserved: number;
  commands: number;
}

/** Parses the shard_<i> lines of `INFO shards`; fails on any malformed shard_ line. */
function parseShards(info: string): ShardInfo[] {
  const lines = info.split('\r\n').filter((l) => l.startsWith('shard_'));
  return lines.map((l) => {
    const m = SHARD_LINE.exec(l);
    if (!m) throw new Error(`malformed INFO shards line: ${JSON.stringify(l)}`);
    const [index, keys, arenaUsed, heapUsed, heapCommitted, , arenaReserved, commands] = m.slice(1).map(Number);
    return { index, keys, arenaUsed, heapUsed, heapCommitted, arenaReserved, commands };
  });
}

function sha256(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** Labels a failure (or a hang, via the clients' command timeouts) with the step it happened in. */
async function step<T>(label: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new Error(`${label}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

describe(`client libraries against Shoal (${SHARDS} shards)`, () => {
  let shoal: ServerHandle;
  let io: Redis;
  let nr: NodeRedis;
  const ioClients: Redis[] = [];
  const nrClients: NodeRedis[] = [];

  /** ioredis with default settings, except a command timeout so a hang fails the test instead of stalling it. */
  async function newIo(commandTimeout = 20_000): Promise<Redis> {
    const c = new Redis({ port: shoal.port, host: shoal.host, lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout });
    c.on('error', () => {
      /* surfaced through the commands */
    });
    ioClients.push(c);
    await c.connect();
    return c;
  }

  async function newNr(): Promise<NodeRedis> {
    const c = createClient({ socket: { port: shoal.port, host: shoal.host, reconnectStrategy: false } });
    c.on('error', () => {
      /* surfaced through the commands */
    });
    nrClients.push(c);
    await c.connect();
    return c;
  }

  beforeAll(async () => {
    shoal = await startShoal({ shards: SHARDS });
    io = await newIo();
    nr = await newNr();
  });

  afterAll(async () => {
    for (const c of ioClients) c.disconnect();
    await Promise.all(nrClients.map((c) => c.destroy()));
    await shoal?.stop();
  });

  it('ioredis: connects with defaults, SET/GET/MGET across shards', async () => {
    expect(await io.ping()).toBe('PONG');
    const keys = Array.from({ length: 200 }, (_, i) => `io:key:${i}`);
    for (const k of keys) expect(await io.set(k, `v-${k}`)).toBe('OK');
    for (const k of keys.slice(0, 20)) expect(await io.get(k)).toBe(`v-${k}`);
    expect(await io.mget(...keys, 'io:missing')).toEqual([...keys.map((k) => `v-${k}`), null]);
    expect(await io.mset(Object.fromEntries(keys.map((k) => [k, `w-${k}`])))).toBe('OK');
    expect(await io.mget(...keys)).toEqual(keys.map((k) => `w-${k}`));
    expect(await io.del(...keys, 'io:missing')).toBe(keys.length);
    expect(await io.exists(...keys)).toBe(0);
  });

  it('node-redis: connects with defaults, SET/GET/MGET across shards', async () => {
    expect(await nr.ping()).toBe('PONG');
    const keys = Array.from({ length: 200 }, (_, i) => `nr:key:${i}`);
    for (const k of keys) expect(await nr.set(k, `v-${k}`)).toBe('OK');
    for (const k of keys.slice(0, 20)) expect(await nr.get(k)).toBe(`v-${k}`);
    expect(await nr.mGet([...keys, 'nr:missing'])).toEqual([...keys.map((k) => `v-${k}`), null]);
    expect(await nr.del(keys)).toBe(keys.length);
  });

  /** 1000 commands over keys of every shard, with the replies a local model predicts. */
  function pipelinePlan(seed: number, prefix: string) {
    const rng = new Rng(seed);
    const model = new Map<string, string>();
    const plan: Array<{ cmd: string; args: string[]; expect: unknown }> = [];
    for (let i = 0; i < 1000; i++) {
      const k = `${prefix}:${rng.int(150)}`;
      const r = rng.int(5);
      if (r === 0) {
        const v = `v${i}`;
        model.set(k, v);
        plan.push({ cmd: 'set', args: [k, v], expect: 'OK' });
      } else if (r === 1) {
        plan.push({ cmd: 'get', args: [k], expect: model.get(k) ?? null });
      } else if (r === 2) {
        const c = `${prefix}:ctr:${rng.int(20)}`;
        const n = Number(model.get(c) ?? '0') + 1;
        model.set(c, String(n));
        plan.push({ cmd: 'incr', args: [c], expect: n });
      } else if (r === 3) {
        const v = `+${i}`;
        const nv = (model.get(k) ?? '') + v;
        model.set(k, nv);
        plan.push({ cmd: 'append', args: [k, v], expect: nv.length });
      } else {
        const existed = model.has(k);
        model.delete(k);
        plan.push({ cmd: 'del', args: [k], expect: existed ? 1 : 0 });
      }
    }
    return plan;
  }

  it('ioredis: a 1000-command pipeline over every shard keeps reply order', async () => {
    const plan = pipelinePlan(1, 'iop');
    const p = io.pipeline();
    for (const s of plan) p.call(s.cmd, ...s.args);
    const res = await p.exec();
    expect(res).not.toBeNull();
    expect(res!.map(([err]) => err)).toEqual(plan.map(() => null));
    expect(res!.map(([, v]) => v)).toEqual(plan.map((s) => s.expect));
  });

  it('node-redis: 1000 concurrent commands (auto-pipelined) and a 1000-command batch keep reply order', async () => {
    const plan = pipelinePlan(2, 'nrp');
    const res = await Promise.all(plan.map((s) => nr.sendCommand([s.cmd.toUpperCase(), ...s.args])));
    expect(res).toEqual(plan.map((s) => s.expect));

    const plan2 = pipelinePlan(3, 'nrq');
    const multi = nr.multi();
    for (const s of plan2) multi.addCommand([s.cmd.toUpperCase(), ...s.args]);
    expect(await multi.execAsPipeline()).toEqual(plan2.map((s) => s.expect));
  });

  it('a 100 MB value round-trips through both clients', async () => {
    // Own connections, so that a stuck big transfer cannot stall the other tests.
    const bigIo = await newIo(50_000);
    const bigNr = await newNr();
    const value = crypto.randomBytes(100 * 1024 * 1024);
    const digest = sha256(value);
    expect(await step('ioredis SET of 100 MB', bigIo.set('big:value', value))).toBe('OK');
    expect(await step('STRLEN', bigIo.strlen('big:value'))).toBe(value.length);

    const viaIo = await step('ioredis GET of 100 MB', bigIo.getBuffer('big:value'));
    expect(viaIo?.length).toBe(value.length);
    expect(sha256(viaIo!)).toBe(digest);

    const viaNr = await step('node-redis GET of 100 MB', bigNr.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get('big:value'));
    expect(Buffer.isBuffer(viaNr)).toBe(true);
    expect((viaNr as Buffer).length).toBe(value.length);
    expect(sha256(viaNr as Buffer)).toBe(digest);

    expect(await step('DEL', bigIo.del('big:value'))).toBe(1);
  }, 180_000);

  it(`INFO shards: ${SHARDS} well-formed lines, and 1000 random keys reach every shard`, async () => {
    const io = await newIo();
    const text = await io.info('shards');
    const before = parseShards(text);
    expect(before.map((s) => s.index), `shard_<i> lines of INFO shards:\n${text}`).toEqual(Array.from({ length: SHARDS }, (_, i) => i));

    await io.flushall();
    const rng = new Rng(Date.now() >>> 0);
    const p = io.pipeline();
    const written = new Set<string>();
    while (written.size < 1000) {
      const k = `info:${rng.string(12)}`;
      if (!written.has(k)) {
        written.add(k);
        p.set(k, rng.string(rng.range(1, 64)));
      }
    }
    await p.exec();
    expect(await io.dbsize()).toBe(1000);

    const after = parseShards(await io.info('shards'));
    expect(after).toHaveLength(SHARDS);
    for (const s of after) expect(s.keys, `keys on shard_${s.index}`).toBeGreaterThan(0);
    expect(after.reduce((n, s) => n + s.keys, 0)).toBeGreaterThanOrEqual(1000);
    for (const s of after) expect(s.commands, `commands on shard_${s.index}`).toBeGreaterThan(0);
    // What a thread's heap and arena hold in RSS is at least what they use.
    for (const s of after) expect(s.heapCommitted).toBeGreaterThanOrEqual(s.heapUsed);
    for (const s of after) expect(s.arenaReserved).toBeGreaterThanOrEqual(s.arenaUsed);
  });
});
