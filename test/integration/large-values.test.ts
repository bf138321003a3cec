/**
 * Values of every size through pipelines on 4 threads, checked byte for byte
 * against a model. Large values travel in pooled buffers (query buffers,
 * output buffers handed to the socket, replies that wait for earlier ones),
 * read from one reused buffer per thread, and copied in and out of shared
 * memory (arena, rings): a buffer reused too early, or a copy that goes
 * wrong, shows up here as a wrong reply.
 *
 * Each client owns its keys (a per-client hash tag would pin them to one
 * shard, so they do not have one: its keys spread over all shards), and
 * expects exactly what its own commands imply. The seed is printed on
 * failure; SEED=<n> replays it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawClient, type ServerHandle, resp, startShoal } from '../helpers/servers.js';
import { Rng } from '../helpers/rng.js';
import { connectSpread } from '../helpers/threads.js';

const THREADS = 4;
const CLIENTS = 8;
const ROUNDS = 40;

let shoal: ServerHandle;
beforeAll(async () => {
  shoal = await startShoal({ threads: THREADS });
});
afterAll(async () => {
  await shoal?.stop();
});

/** A value of a size drawn to hit the interesting sizes: tiny, around the pooling bounds, large. */
function value(rng: Rng, tag: number): Buffer {
  const r = rng.next();
  const n =
    r < 0.4 ? rng.int(64) : r < 0.6 ? 16 * 1024 - 8 + rng.int(16) : r < 0.8 ? 1024 + rng.int(60 * 1024) : r < 0.95 ? 64 * 1024 + rng.int(200 * 1024) : 600 * 1024 + rng.int(100 * 1024);
  const b = Buffer.allocUnsafe(n);
  // Bytes that differ by value, by position, and include CR, LF and '$' now and then.
  for (let i = 0; i < n; i++) b[i] = (i * 31 + tag * 7 + (i >> 8)) & 0xff;
  return b;
}

const bulk = (b: Buffer | null): Buffer => (b === null ? Buffer.from('$-1\r\n') : Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]));
const int = (n: number): Buffer => Buffer.from(`:${n}\r\n`);
const array = (items: Buffer[]): Buffer => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items]);

/** One client's run: pipelines of random commands on its own keys, each reply compared with the model's. */
async function run(client: RawClient, id: number, seed: number): Promise<void> {
  const rng = new Rng(seed + id * 1000003);
  const strings = new Map<string, Buffer>();
  const lists = new Map<string, Buffer[]>();
  const key = (kind: string) => `c${id}:${kind}:${rng.int(6)}`;
  for (let round = 0; round < ROUNDS; round++) {
    const sent: Buffer[] = [];
    const expected: Buffer[] = [];
    const depth = 1 + rng.int(12);
    for (let i = 0; i < depth; i++) {
      const op = rng.int(7);
      if (op === 0) {
        const k = key('s');
        const v = value(rng, round * 100 + i);
        sent.push(resp('SET', k, v));
        expected.push(Buffer.from('+OK\r\n'));
        strings.set(k, v);
      } else if (op === 1) {
        const k = key('s');
        sent.push(resp('GET', k));
        expected.push(bulk(strings.get(k) ?? null));
      } else if (op === 2) {
        const k = key('s');
        const v = value(rng, round * 100 + i + 50);
        const next = Buffer.concat([strings.get(k) ?? Buffer.alloc(0), v]);
        sent.push(resp('APPEND', k, v));
        expected.push(int(next.length));
        strings.set(k, next);
      } else if (op === 3) {
        // Keys on several shards: the reply is merged from parts.
        const ks = [key('s'), key('s'), key('s')];
        sent.push(resp('MGET', ...ks));
        expected.push(array(ks.map((k) => bulk(strings.get(k) ?? null))));
      } else if (op === 4) {
        const k = key('l');
        const v = value(rng, round * 100 + i + 70);
        const list = lists.get(k) ?? [];
        list.push(v);
        lists.set(k, list);
        sent.push(resp('RPUSH', k, v));
        expected.push(int(list.length));
      } else if (op === 5) {
        const k = key('l');
        sent.push(resp('LRANGE', k, 0, -1));
        expected.push(array((lists.get(k) ?? []).map((v) => bulk(v))));
      } else {
        const k = rng.int(2) === 0 ? key('s') : key('l');
        const had = strings.delete(k) || lists.delete(k);
        sent.push(resp('DEL', k));
        expected.push(int(had ? 1 : 0));
      }
    }
    void client.write(Buffer.concat(sent));
    const got = await client.readReplies(expected.length, 20000);
    for (let i = 0; i < expected.length; i++) {
      if (Buffer.compare(got[i], expected[i]) !== 0) {
        let at = 0;
        while (at < got[i].length && at < expected[i].length && got[i][at] === expected[i][at]) at++;
        const around = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 20), at + 40).toString('latin1'));
        throw new Error(
          `first difference at byte ${at}: got ${around(got[i])}, expected ${around(expected[i])}; ` +
          `client ${id}, round ${round}, command ${i} of ${expected.length}: ${sent[i].subarray(0, 40).toString('latin1')}...: ` +
            `got ${got[i].length} bytes starting ${JSON.stringify(got[i].subarray(0, 40).toString('latin1'))}, ` +
            `expected ${expected[i].length} bytes starting ${JSON.stringify(expected[i].subarray(0, 40).toString('latin1'))}`,
        );
      }
    }
  }
}

describe('large values', () => {
  it('come back byte for byte through pipelines of clients on every thread, whatever their sizes', async () => {
    const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
    const clients = await connectSpread(shoal.port, CLIENTS, THREADS);
    expect(new Set(clients.map((c) => c.thread)).size).toBe(THREADS);
    try {
      await Promise.all(clients.map((c, i) => run(c.client, i, seed)));
    } catch (e) {
      (e as Error).message = `[seed ${seed}; SEED=${seed} npx vitest run test/integration/large-values.test.ts] ${(e as Error).message}`;
      throw e;
    } finally {
      for (const c of clients) c.client.destroy();
    }
  }, 120_000);
});
