/**
 * Pub/sub against redis-server 7.0 and across Shoal's threads:
 *  - sessions of SUBSCRIBE and its kin, PUBLISH, PUBSUB, subscribed mode
 *    (RESP2's refusals and PING), RESP3 pushes, RESET, MULTI/EXEC and
 *    scripts byte for byte against redis-server;
 *  - publishers and subscribers on all four threads (the test checks they
 *    are): PUBLISH counts every receiver, every message arrives once, and
 *    each publisher's messages arrive in the order published;
 *  - a subscriber that never reads is disconnected at
 *    client-output-buffer-limit pubsub while the others keep receiving.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { connectSpread, threadsOf } from '../helpers/threads.js';

/** A step of a session: a command and how many replies (pushes included) it produces. */
type Step = [args: string[], replies: number];

const SESSIONS: Record<string, Step[]> = {
  'subscribed mode in RESP2': [
    [['UNSUBSCRIBE'], 1],
    [['PUNSUBSCRIBE'], 1],
    [['SUNSUBSCRIBE'], 1],
    [['SUBSCRIBE', 'a', 'b'], 2],
    [['PING'], 1],
    [['PING', 'x'], 1],
    [['GET', 'k'], 1],
    [['CLIENT', 'ID'], 1],
    [['MULTI'], 1],
    [['SUBSCRIBE', 'a'], 1],
    [['PSUBSCRIBE', 'p*', 'q?'], 2],
    [['SSUBSCRIBE', 's1'], 1],
    [['UNSUBSCRIBE', 'a', 'nope'], 2],
    [['PUNSUBSCRIBE', 'q?'], 1],
    [['SUNSUBSCRIBE', 's1'], 1],
    [['UNSUBSCRIBE', 'b'], 1],
    [['PUNSUBSCRIBE', 'p*'], 1],
    [['PING'], 1],
    [['GET', 'k'], 1],
  ],
  'RESP3 pushes beside replies': [
    [['HELLO', '3'], 1],
    [['UNSUBSCRIBE'], 1],
    [['SUBSCRIBE', 'a'], 1],
    [['PING'], 1],
    [['GET', 'k'], 1],
    [['PUBLISH', 'a', 'to myself'], 2],
    [['PSUBSCRIBE', 'a*'], 1],
    [['PUBLISH', 'a', 'twice'], 3],
    [['UNSUBSCRIBE', 'a', 'b'], 2],
    [['SSUBSCRIBE', 's1'], 1],
    // (SPUBLISH to oneself is left out: it runs on the channel's shard, so the message may follow its reply; docs/compatibility.md.)
    [['SUNSUBSCRIBE'], 1],
    [['PUNSUBSCRIBE'], 1],
  ],
  'RESET leaves every subscription': [
    [['SUBSCRIBE', 'a'], 1],
    [['PSUBSCRIBE', 'x*'], 1],
    [['RESET'], 1],
    [['GET', 'k'], 1],
    [['PUBSUB', 'NUMSUB', 'a'], 1],
    [['PUBSUB', 'NUMPAT'], 1],
  ],
  'PUBSUB introspection and errors': [
    [['PUBSUB', 'NUMSUB', 'a', 'b'], 1],
    [['PUBSUB', 'NUMSUB'], 1],
    [['PUBSUB', 'NUMPAT'], 1],
    [['PUBSUB', 'CHANNELS'], 1],
    [['PUBSUB', 'CHANNELS', 'a', 'b'], 1],
    [['PUBSUB', 'SHARDNUMSUB', 'x'], 1],
    [['PUBSUB', 'SHARDCHANNELS'], 1],
    [['PUBSUB', 'FOO'], 1],
    [['PUBSUB', 'HELP'], 1],
    [['PUBSUB', 'NUMPAT', 'x'], 1],
    [['PUBLISH'], 1],
    [['PUBLISH', 'a', 'b', 'c'], 1],
    [['SUBSCRIBE'], 1],
    [['PUBLISH', 'nobody', 'x'], 1],
    [['SPUBLISH', 'nobody', 'x'], 1],
  ],
  'inside MULTI/EXEC and scripts': [
    [['SUBSCRIBE', 'm'], 1],
    [['UNSUBSCRIBE', 'm'], 1],
    [['MULTI'], 1],
    [['PUBLISH', 'm', 'in a transaction'], 1],
    [['SET', 'k', 'v'], 1],
    [['EXEC'], 1],
    [['EVAL', "return redis.call('PUBLISH', KEYS[1], ARGV[1])", '1', 'm', 'from a script'], 1],
    [['EVAL', "return redis.call('SPUBLISH', KEYS[1], ARGV[1])", '1', 'm', 'from a script'], 1],
    [['EVAL', "return redis.pcall('SUBSCRIBE', 'x')", '0'], 1],
  ],
};

/** Runs a session on a fresh connection; the replies' bytes, step by step. */
async function runSession(port: number, steps: Step[]): Promise<string[]> {
  const c = await rawClient(port);
  try {
    const out: string[] = [];
    for (const [args, n] of steps) {
      await c.write(respMany([args]));
      const got = (await c.readRepliesRaw(n)).toString('latin1');
      // HELLO names the server's version and the connection's id: only the protocol switch matters here.
      out.push(`${args.join(' ')} => ${args[0] === 'HELLO' ? got.slice(0, 2) : got}`);
    }
    return out;
  } finally {
    c.destroy();
  }
}

describe('pub/sub against redis-server 7.0', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  beforeAll(async () => {
    [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  for (const [name, steps] of Object.entries(SESSIONS)) {
    it(`${name}: the same bytes`, async () => {
      expect(await runSession(shoal.port, steps)).toEqual(await runSession(redis.port, steps));
    });
  }

  it('a subscriber of another connection: PUBLISH counts it, the message carries channel and pattern', async () => {
    for (const server of [redis, shoal]) {
      const sub = await rawClient(server.port);
      const pub = await rawClient(server.port);
      try {
        await sub.write(respMany([['SUBSCRIBE', 'news.1'], ['PSUBSCRIBE', 'news.*', 'n[aeiou]ws.?']]));
        await sub.readReplies(3);
        expect(await pub.callText('PUBLISH', 'news.1', 'hello')).toBe(':3\r\n');
        // The message first, then one per matching pattern (in the order of Redis's pattern table: any).
        const got = (await sub.readReplies(3)).map((r) => r.toString('latin1'));
        expect(got[0]).toBe('*3\r\n$7\r\nmessage\r\n$6\r\nnews.1\r\n$5\r\nhello\r\n');
        expect(got.slice(1).sort()).toEqual([
          '*4\r\n$8\r\npmessage\r\n$12\r\nn[aeiou]ws.?\r\n$6\r\nnews.1\r\n$5\r\nhello\r\n',
          '*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$6\r\nnews.1\r\n$5\r\nhello\r\n',
        ]);
        expect(await pub.callText('PUBSUB', 'NUMSUB', 'news.1', 'news.2')).toBe('*4\r\n$6\r\nnews.1\r\n:1\r\n$6\r\nnews.2\r\n:0\r\n');
        expect(await pub.callText('PUBSUB', 'NUMPAT')).toBe(':2\r\n');
        expect(await pub.callText('PUBSUB', 'CHANNELS', 'news*')).toBe('*1\r\n$6\r\nnews.1\r\n');
        expect(await pub.callText('CLIENT', 'LIST', 'TYPE', 'pubsub')).toMatch(/flags=P db=0 sub=1 psub=2 ssub=0/);
      } finally {
        sub.destroy();
        pub.destroy();
      }
    }
  });
});

describe('pub/sub across threads', () => {
  it('every subscriber on every thread gets every message once, in each publisher’s order; PUBLISH counts them all', async () => {
    const shoal = await startShoal({ threads: 4 });
    const held: RawClient[] = [];
    try {
      const subs = await connectSpread(shoal.port, 8, 4);
      const pubs = await connectSpread(shoal.port, 4, 4);
      held.push(...subs.map((s) => s.client), ...pubs.map((p) => p.client));
      expect(threadsOf(subs)).toEqual([0, 1, 2, 3]);
      expect(threadsOf(pubs)).toEqual([0, 1, 2, 3]);
      // Half the subscribers listen on the channel, half through a pattern, one on both.
      for (const [i, s] of subs.entries()) {
        if (i % 2 === 0) await s.client.write(respMany([['SUBSCRIBE', 'feed']]));
        else await s.client.write(respMany([['PSUBSCRIBE', 'fe?d']]));
        await s.client.readReply();
      }
      await subs[1].client.write(respMany([['SUBSCRIBE', 'feed']]));
      await subs[1].client.readReply();
      const receivers = subs.length + 1;
      const PER_PUBLISHER = 200;
      const counts = await Promise.all(
        pubs.map(async (p, w) => {
          const got: string[] = [];
          for (let i = 0; i < PER_PUBLISHER; i += 20) {
            await p.client.write(respMany(Array.from({ length: 20 }, (_, j) => ['PUBLISH', 'feed', `${w}:${i + j}`])));
            for (const r of await p.client.readReplies(20)) got.push(r.toString('latin1'));
          }
          return got;
        }),
      );
      for (const got of counts) expect(got.filter((r) => r !== `:${receivers}\r\n`)).toEqual([]);
      for (const [i, s] of subs.entries()) {
        const deliveries = PER_PUBLISHER * pubs.length * (i === 1 ? 2 : 1);
        const next = new Map<string, number>();
        let wrong = 0;
        for (const raw of await s.client.readReplies(deliveries, 20_000)) {
          const text = raw.toString('latin1');
          const body = text.slice(text.lastIndexOf('$'));
          const [w, n] = body.slice(body.indexOf('\r\n') + 2, -2).split(':');
          const key = `${text.startsWith('*4') ? 'p' : 'm'}${w}`;
          if (Number(n) !== (next.get(key) ?? 0)) wrong++;
          next.set(key, Number(n) + 1);
        }
        expect({ subscriber: i, thread: s.thread, wrong }).toEqual({ subscriber: i, thread: s.thread, wrong: 0 });
      }
      // Unsubscribing is known everywhere once confirmed.
      await subs[0].client.write(respMany([['UNSUBSCRIBE', 'feed']]));
      await subs[0].client.readReply();
      for (const p of pubs) expect(await p.client.callText('PUBLISH', 'feed', 'after')).toBe(`:${receivers - 1}\r\n`);
      expect(await pubs[2].client.callText('PUBSUB', 'NUMSUB', 'feed')).toBe(`*2\r\n$4\r\nfeed\r\n:${subs.length / 2}\r\n`);
    } finally {
      for (const c of held) c.destroy();
      await shoal.stop();
    }
  }, 60_000);

  it('a subscriber that never reads is disconnected at its output limit while the others keep receiving', async () => {
    const shoal = await startShoal({ threads: 4, args: ['--client-output-buffer-limit', 'pubsub 4mb 1mb 60'] });
    const held: RawClient[] = [];
    const stalled = net.createConnection({ port: shoal.port, host: '127.0.0.1' });
    try {
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.on('error', () => {});
      stalled.write(respMany([['SUBSCRIBE', 'big']]));
      // It reads nothing from now on: the kernel's buffers fill, then Shoal's.
      stalled.pause();
      const [reader, pub] = (await connectSpread(shoal.port, 2, 4)).map((s) => s.client);
      held.push(reader, pub);
      await reader.write(respMany([['SUBSCRIBE', 'big']]));
      await reader.readReply();
      const payload = 'x'.repeat(64 * 1024);
      const disconnections = async () => Number(/client_output_buffer_limit_disconnections:(\d+)/.exec(await pub.callText('INFO', 'stats'))![1]);
      let sent = 0;
      let received = 0;
      // Publish until the stalled subscriber is gone (at least 4 MiB past what the kernel holds), reading as we go.
      while (sent < 4000 && (sent % 16 !== 0 || (await disconnections()) === 0)) {
        expect(await pub.callText('PUBLISH', 'big', payload)).toMatch(/^:[12]\r\n$/);
        sent++;
        await reader.readReply(10_000);
        received++;
      }
      expect(await disconnections()).toBe(1);
      expect(sent).toBeGreaterThan(4 * 16);
      expect(received).toBe(sent);
      expect(await pub.callText('PUBLISH', 'big', 'small')).toBe(':1\r\n');
      expect(await pub.callText('INFO', 'stats')).toMatch(/client_output_buffer_limit_disconnections:1\r\n/);
      expect((await pub.callText('CLIENT', 'LIST', 'TYPE', 'pubsub')).match(/\bid=/g)).toHaveLength(1);
    } finally {
      stalled.destroy();
      for (const c of held) c.destroy();
      await shoal.stop();
    }
  }, 60_000);
});
