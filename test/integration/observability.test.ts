/**
 * MONITOR and SLOWLOG against redis-server 7.0, with the monitor, the
 * clients and the keys' shards on different threads of Shoal:
 *  - MONITOR shows every command of every thread in Redis's line format
 *    (escapes, redactions, the database after SELECT, a script's calls as
 *    `lua`, MULTI/EXEC order), admin commands left out;
 *  - SLOWLOG keeps every thread's slow commands as one log: ids newest
 *    first, arguments cut as Redis cuts them, each client's address and
 *    name, LEN, RESET, slowlog-max-len, the count's errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawClient, freePort, rawClient, respMany, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { connectSpread, threadsOf } from '../helpers/threads.js';
import { type Reply, parseOne } from '../helpers/resp.js';

/** A reply as plain values: strings, numbers, arrays. */
function plain(r: Reply): unknown {
  if (r.type === 'array') return r.value === null ? null : r.value.map(plain);
  if (r.type === 'bulk') return r.value === null ? null : r.value.toString('latin1');
  if (r.type === 'integer') return Number(r.value);
  return 'value' in r ? r.value : null;
}

/** What a client sends while a monitor watches. */
const SESSION: string[][] = [
  ['SET', 'a', 'x y'],
  ['AUTH', 'foo', 'bar'],
  ['HELLO', '2', 'AUTH', 'default', 'pw'],
  ['MULTI'],
  ['SET', 'k', 'v'],
  ['GET', 'k'],
  ['EXEC'],
  ['EVAL', "redis.call('SET', KEYS[1], 'w') return redis.call('GET', KEYS[1])", '1', 'k'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['SELECT', '3'],
  ['GET', 'zz'],
  ['PING'],
  ['SET', 'bin', '\x01"\\\n\t\x7f'],
  ['SELECT', '0'],
];

/** The monitor's lines without their time and client address (which differ between runs). */
function normalized(raw: string): string[] {
  return raw
    .split('\r\n')
    .filter((l) => l !== '' && l !== '+OK')
    .map((l) => l.replace(/^\+\d+\.\d{6} \[(\d+) [^\]]+\]/, (_, db: string) => `[${db} ${l.includes(' lua]') ? 'lua' : 'client'}]`));
}

async function monitorSession(server: ServerHandle, monitor: RawClient, clients: RawClient[]): Promise<string[]> {
  await monitor.write(respMany([['MONITOR']]));
  expect((await monitor.readReply()).toString()).toBe('+OK\r\n');
  let raw = '';
  const readUntil = async (marker: string): Promise<void> => {
    while (!raw.includes(marker)) {
      raw += (await monitor.readBytes(1, 5000)).toString('latin1');
      const more = monitor.peek().length;
      if (more > 0) raw += (await monitor.readBytes(more)).toString('latin1');
    }
  };
  // One client after another, each one's lines all in before the next starts: lines of different
  // threads reach the monitor through different rings, so only each one's own order is Redis's.
  for (const [i, c] of clients.entries()) {
    for (const cmd of SESSION) await c.call(...cmd);
    await c.call('SET', 'done', String(i));
    await readUntil(`"done" "${i}"`);
  }
  void server;
  return normalized(raw);
}

describe('MONITOR and SLOWLOG against redis-server 7.0', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  const opened: RawClient[] = [];
  beforeAll(async () => {
    [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
  }, 60_000);
  afterAll(async () => {
    for (const c of opened) c.destroy();
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  it('MONITOR shows the commands of clients on every thread as redis-server shows them', async () => {
    const rc = [await rawClient(redis.port), await rawClient(redis.port), await rawClient(redis.port)];
    const spread = await connectSpread(shoal.port, 3, 4);
    expect(threadsOf(spread)).toHaveLength(3);
    const sc = spread.map((s) => s.client);
    opened.push(...rc, ...sc);
    const expected = await monitorSession(redis, rc[0], rc.slice(1));
    expect(expected.length).toBeGreaterThan(20);
    expect(await monitorSession(shoal, sc[0], sc.slice(1))).toEqual(expected);
  });

  it('SLOWLOG keeps what every thread ran, newest first, as one log', async () => {
    const spread = await connectSpread(shoal.port, 4, 4);
    const cs = spread.map((s) => s.client);
    opened.push(...cs);
    const rs = [await rawClient(redis.port), await rawClient(redis.port), await rawClient(redis.port), await rawClient(redis.port)];
    opened.push(...rs);
    const long = 'x'.repeat(200);
    const many = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const results: Record<string, unknown[]> = { redis: [], shoal: [] };
    for (const [name, clients] of [
      ['redis', rs],
      ['shoal', cs],
    ] as const) {
      const out = results[name];
      const admin = clients[3];
      expect(await admin.callText('CONFIG', 'SET', 'slowlog-log-slower-than', '0')).toBe('+OK\r\n');
      expect(await admin.callText('SLOWLOG', 'RESET')).toBe('+OK\r\n');
      await clients[0].call('CLIENT', 'SETNAME', 'first');
      await clients[0].call('SET', 'key:a', long);
      await clients[1].call('SADD', 'key:b', ...many);
      await clients[2].call('GET', 'key:c');
      const got = plain(parseOne(await admin.call('SLOWLOG', 'GET', '4'))) as unknown[][];
      const ids = got.map((e) => Number(e[0]));
      out.push({
        // Newest first: GET, SADD, SET, CLIENT SETNAME, with consecutive ids.
        consecutive: ids.every((id, i) => i === 0 || id === ids[i - 1] - 1),
        args: got.map((e) => e[3]),
        names: got.map((e) => String(e[5])),
        addrs: got.map((e) => /^127\.0\.0\.1:\d+$/.test(String(e[4]))),
      });
      out.push(await admin.callText('SLOWLOG', 'LEN'));
      out.push(await admin.callText('SLOWLOG', 'GET', '-2'), await admin.callText('SLOWLOG', 'GET', 'x'), await admin.callText('SLOWLOG', 'GET', '1', '2'));
      expect(await admin.callText('CONFIG', 'SET', 'slowlog-max-len', '2')).toBe('+OK\r\n');
      out.push(await admin.callText('SLOWLOG', 'LEN'), (plain(parseOne(await admin.call('SLOWLOG', 'GET', '-1'))) as unknown[]).length);
      expect(await admin.callText('SLOWLOG', 'RESET')).toBe('+OK\r\n');
      expect(await admin.callText('CONFIG', 'SET', 'slowlog-log-slower-than', '-1')).toBe('+OK\r\n');
      await clients[0].call('GET', 'key:a');
      out.push(await admin.callText('SLOWLOG', 'LEN'));
      await admin.call('CONFIG', 'SET', 'slowlog-max-len', '128');
      await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
      await clients[0].call('CLIENT', 'SETNAME', '');
    }
    expect(results.shoal).toEqual(results.redis);
  });
});

describe('INFO stats against redis-server 7.0', () => {
  it('keyspace_hits and keyspace_misses count the reads that found their key and those that did not', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      const counts: Record<string, string[]> = {};
      for (const [name, server] of [
        ['redis', redis],
        ['shoal', shoal],
      ] as const) {
        const cs = name === 'redis' ? [await rawClient(server.port), await rawClient(server.port)] : (await connectSpread(server.port, 2, 4)).map((s) => s.client);
        opened.push(...cs);
        await cs[0].call('MSET', 'a', '1', 'b', '2');
        await cs[0].call('HSET', 'h', 'f', 'v');
        await cs[0].call('RPUSH', 'l', 'x');
        await cs[0].call('CONFIG', 'RESETSTAT');
        const reads = [
          ['GET', 'a'], ['GET', 'nope'], ['MGET', 'a', 'b', 'c'], ['EXISTS', 'a', 'zz'], ['TYPE', 'h'], ['TTL', 'nope'],
          ['HGET', 'h', 'f'], ['HGET', 'hh', 'f'], ['LRANGE', 'l', '0', '-1'], ['STRLEN', 'a'], ['SET', 'c', '1'], ['INCR', 'n'],
          ['SUNIONSTORE', 'd', 'nos1', 'nos2'], ['GETEX', 'a'], ['DUMP', 'a'], ['OBJECT', 'ENCODING', 'a'],
        ];
        for (const [i, cmd] of reads.entries()) await cs[i % 2].call(...cmd);
        const info = await cs[1].callText('INFO', 'stats');
        counts[name] = ['keyspace_hits', 'keyspace_misses'].map((f) => new RegExp(`${f}:(\\d+)`).exec(info)![0]);
      }
      expect(counts.shoal).toEqual(counts.redis);
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);
});

describe('LATENCY and INFO latencystats against redis-server 7.0', () => {
  it('histograms, percentiles, the latency monitor and their errors, with clients on every thread', async () => {
    const [redis, shoal] = await Promise.all([startRedis({ args: ['--enable-debug-command', 'yes'] }), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      const same: Record<string, unknown[]> = { redis: [], shoal: [] };
      for (const [name, server] of [
        ['redis', redis],
        ['shoal', shoal],
      ] as const) {
        const out = same[name];
        const cs = name === 'redis' ? [await rawClient(server.port), await rawClient(server.port)] : (await connectSpread(server.port, 2, 4)).map((s) => s.client);
        opened.push(...cs);
        const [a, b] = cs;
        await a.call('CONFIG', 'RESETSTAT');
        for (let i = 0; i < 20; i++) await cs[i % 2].call('SET', `k${i}`, 'v');
        // A histogram of 20 calls: cumulative counts up to 20, at Redis's bucket labels.
        const h = plain(parseOne(await b.call('LATENCY', 'HISTOGRAM', 'set', 'nosuchcommand'))) as unknown[];
        const buckets = (h[1] as unknown[])[3] as number[];
        const labels = Array.from({ length: 30 }, (_, i) => Math.floor((1024 * 2 ** i + 2 ** Math.max(0, 10 + i - 7) - 1) / 1000));
        out.push(h[0], (h[1] as unknown[]).slice(0, 3), buckets[buckets.length - 1]);
        expect(buckets.filter((_, i) => i % 2 === 0).every((usec) => labels.includes(usec))).toBe(true);
        expect(buckets.filter((_, i) => i % 2 === 1).every((n, i, all) => i === 0 || n > all[i - 1])).toBe(true);
        out.push(await a.callText('LATENCY', 'HISTOGRAM', 'nosuchcommand'));
        // INFO latencystats: the configured percentiles, in µs with three decimals.
        expect(await a.callText('INFO', 'latencystats')).toMatch(/latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n/);
        out.push(await a.callText('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 abc'), await a.callText('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 101'));
        expect(await a.callText('CONFIG', 'SET', 'latency-tracking-info-percentiles', '90')).toBe('+OK\r\n');
        expect(await b.callText('INFO', 'latencystats')).toMatch(/latency_percentiles_usec_set:p90=\d+\.\d{3}\r\n/);
        await a.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
        // latency-tracking no: nothing more is counted.
        await a.call('CONFIG', 'SET', 'latency-tracking', 'no');
        await a.call('CONFIG', 'RESETSTAT');
        await b.call('GET', 'k1');
        out.push(await b.callText('LATENCY', 'HISTOGRAM'));
        await a.call('CONFIG', 'SET', 'latency-tracking', 'yes');
        // The latency monitor: a command of another thread past the threshold is an event.
        await a.call('CONFIG', 'SET', 'latency-monitor-threshold', '5');
        await b.call('DEBUG', 'SLEEP', '0.02');
        const latest = plain(parseOne(await a.call('LATENCY', 'LATEST'))) as unknown[][];
        out.push(latest.length, latest[0][0], Number(latest[0][2]) >= 20, Number(latest[0][3]) >= 20);
        const hist = plain(parseOne(await a.call('LATENCY', 'HISTORY', 'command'))) as unknown[][];
        out.push(hist.length, Number(hist[0][1]) >= 20);
        expect(await a.callText('LATENCY', 'GRAPH', 'command')).toMatch(/^[$=]\d+\r\n(txt:)?command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
        out.push(await a.callText('LATENCY', 'GRAPH', 'nope'), await a.callText('LATENCY', 'HISTORY', 'nope'));
        out.push(await a.callText('LATENCY', 'RESET'), await a.callText('LATENCY', 'RESET'), await a.callText('LATENCY', 'LATEST'));
        out.push(await a.callText('LATENCY', 'HELP'));
        await a.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
      }
      expect(same.shoal).toEqual(same.redis);
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);
});

describe('the Prometheus endpoint', () => {
  it('serves /metrics with redis_exporter names and per-thread figures that agree with INFO', async () => {
    const port = await freePort();
    const shoal = await startShoal({ threads: 4, args: ['--metrics-port', String(port)] });
    const opened: RawClient[] = [];
    try {
      const cs = (await connectSpread(shoal.port, 4, 4)).map((s) => s.client);
      opened.push(...cs);
      for (let i = 0; i < 40; i++) await cs[i % 4].call('SET', `m${i}`, 'v');
      await cs[0].call('GET', 'm1');
      await cs[1].call('GET', 'nope');
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}"|]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(value('redis_up')).toBe(1);
      expect(value('redis_connected_clients')).toBe(4);
      expect(value('redis_db_keys{db="db0"}')).toBe(40);
      expect(value('redis_commands_total{cmd="set"}')).toBe(40);
      expect(value('redis_keyspace_hits_total')).toBe(1);
      expect(value('redis_keyspace_misses_total')).toBe(1);
      for (let t = 0; t < 4; t++) {
        expect(value(`shoal_thread_connections{thread="${t}"}`)).toBe(1);
        expect(value(`shoal_thread_cpu_seconds_total{thread="${t}"}`)).toBeGreaterThan(0);
        expect(value(`shoal_shard_arena_bytes{thread="${t}"}`)).toBeGreaterThan(0);
      }
      expect(text).toMatch(/^# TYPE redis_commands_processed_total gauge$/m);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      for (const c of opened) c.destroy();
      await shoal.stop();
    }
  }, 60_000);
});
