/**
 * Blocking list commands, run as the same scenario against redis-server and
 * Shoal (4 shards), with the replies compared: who is served first, what a
 * timeout answers and when, a client killed while blocked, the key deleted
 * or given another type while clients wait, MULTI, CLIENT UNBLOCK.
 * Keys of one command share a {tag} (one shard).
 */
import { describe, expect, it } from 'vitest';
import { waitForBlocked, waitForUnblocked } from '../helpers/blocked.js';
import { oneKeyPerShard } from '../helpers/shards.js';
import { resp } from '../helpers/servers.js';
import { serverPair } from '../helpers/pair.js';

const pair = serverPair();
const { connect, same } = pair;

describe('blocking list commands, redis-server vs Shoal', () => {
  it('serves blocked clients first come, first served', async () => {
    const t = await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{q}');
      const waiters = await Promise.all([connect(port), connect(port), connect(port)]);
      let n = 0;
      for (const w of waiters) {
        await w.write(resp('BLPOP', '{q}', '5'));
        await waitForBlocked(admin, ++n); // the order in which they block
      }
      const pushed = await admin.callText('RPUSH', '{q}', 'a', 'b', 'c');
      const replies = await Promise.all(waiters.map((w) => w.readReply(3000)));
      return [pushed, ...replies.map((r) => r.toString())];
    });
    expect(t[1]).toBe('*2\r\n$3\r\n{q}\r\n$1\r\na\r\n');
  });

  it('serves the first non-empty key at once, and keys in order', async () => {
    await same(async (port) => {
      const c = await connect(port);
      await c.callText('DEL', '{m}a', '{m}b', '{m}c');
      await c.callText('RPUSH', '{m}b', 'x', 'y');
      return [
        await c.callText('BLPOP', '{m}a', '{m}b', '{m}c', '1'),
        await c.callText('BRPOP', '{m}a', '{m}b', '1'),
        await c.callText('BLPOP', '{m}a', '{m}b', '0.05'),
        await c.callText('RPUSH', '{m}c', '1', '2', '3'),
        await c.callText('BLMPOP', '1', '2', '{m}a', '{m}c', 'RIGHT', 'COUNT', '2'),
        await c.callText('BLMOVE', '{m}c', '{m}a', 'LEFT', 'RIGHT', '1'),
        await c.callText('BRPOPLPUSH', '{m}a', '{m}b', '1'),
        await c.callText('LRANGE', '{m}b', '0', '-1'),
      ];
    });
  });

  it('answers a timeout with nil after about the timeout, in both protocols', async () => {
    for (const port of [pair.redis.port, pair.shoal.port]) {
      const c = await connect(port);
      await c.callText('DEL', '{t}');
      let t0 = Date.now();
      expect(await c.callText('BLPOP', '{t}', '0.2')).toBe('*-1\r\n');
      let took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(180);
      expect(took).toBeLessThan(1500);
      t0 = Date.now();
      // Every list blocking command times out with a null array (BLMOVE too).
      expect(await c.callText('BLMOVE', '{t}', '{t}x', 'LEFT', 'LEFT', '0.1')).toBe('*-1\r\n');
      took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(80);
      expect(took).toBeLessThan(1500);
      await c.callText('HELLO', '3');
      expect(await c.callText('BRPOP', '{t}', '0.05')).toBe('_\r\n');
    }
  });

  it('checks the timeout argument as Redis does', async () => {
    await same(async (port) => {
      const c = await connect(port);
      const out: string[] = [];
      // Huge and infinite timeouts overflow Redis's cast to milliseconds and read as negative.
      for (const t of ['-1', 'abc', '', ' 1', '1e400', 'inf', '-inf', '9223372036854775807', '92233720368547758']) {
        out.push(await c.callText('BLPOP', '{e}', t));
      }
      out.push(await c.callText('BLMPOP', '0.01', '0', '{e}', 'LEFT'));
      out.push(await c.callText('BLMPOP', '0.01', '1', '{e}', 'UP'));
      out.push(await c.callText('BLMPOP', '0.01', '1', '{e}', 'LEFT', 'COUNT', '0'));
      // The timeout stands first but Redis reads it after numkeys, the direction and COUNT.
      out.push(await c.callText('BLMPOP', 'abc', '1', '{e}', 'LEFT'));
      out.push(await c.callText('BLMPOP', 'abc', '0', '{e}', 'LEFT'));
      out.push(await c.callText('BLMPOP', '-1', '1', '{e}', 'UP'));
      out.push(await c.callText('BZMPOP', '-1', '1', '{e}', 'MIN'));
      out.push(await c.callText('BZMPOP', 'abc', '0', '{e}', 'MIN'));
      out.push(await c.callText('BZMPOP', '-1', '1', '{e}', 'MIN', 'COUNT', '0'));
      await c.callText('SET', '{e}s', 'str');
      out.push(await c.callText('BLPOP', '{e}s', '0.01'));
      return out;
    });
  });

  it('forgets a client killed while blocked', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{k}');
      const doomed = await connect(port);
      await doomed.write(resp('BLPOP', '{k}', '0'));
      await waitForBlocked(admin, 1);
      doomed.destroy();
      await waitForUnblocked(admin, 0);
      const next = await connect(port);
      await next.write(resp('BLPOP', '{k}', '2'));
      await waitForBlocked(admin, 1);
      const pushed = await admin.callText('RPUSH', '{k}', 'v1', 'v2');
      const got = (await next.readReply(3000)).toString();
      return [pushed, got, await admin.callText('LRANGE', '{k}', '0', '-1')];
    });
  });

  it('keeps waiting while the key is deleted or holds another type, then serves', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{d}');
      const w = await connect(port);
      await w.write(resp('BLPOP', '{d}', '3'));
      await waitForBlocked(admin, 1);
      const steps = [await admin.callText('SET', '{d}', 'not a list'), await admin.callText('DEL', '{d}'), await admin.callText('LPUSH', '{d}', 'finally')];
      return [...steps, (await w.readReply(4000)).toString()];
    });
  });

  it('does not block inside MULTI', async () => {
    await same(async (port) => {
      const c = await connect(port);
      await c.callText('DEL', '{x}');
      const out = [await c.callText('MULTI'), await c.callText('BLPOP', '{x}', '0'), await c.callText('BLMOVE', '{x}', '{x}y', 'LEFT', 'LEFT', '0')];
      out.push(await c.callText('RPUSH', '{x}', '1'));
      out.push(await c.callText('BRPOP', '{x}', '0'));
      out.push(await c.callText('EXEC'));
      return out;
    });
  });

  it('lets CLIENT UNBLOCK end a wait with a timeout or an error', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      const out: string[] = [];
      for (const mode of ['TIMEOUT', 'ERROR']) {
        const w = await connect(port);
        const id = (await w.callText('CLIENT', 'ID')).slice(1, -2);
        await w.write(resp('BLPOP', '{u}', '0'));
        await waitForBlocked(admin, 1);
        out.push(await admin.callText('CLIENT', 'UNBLOCK', id, mode));
        out.push((await w.readReply(2000)).toString());
        out.push(await w.callText('PING'));
      }
      out.push(await admin.callText('CLIENT', 'UNBLOCK', '999999'));
      out.push(await admin.callText('CLIENT', 'UNBLOCK', 'x'));
      out.push(await admin.callText('CLIENT', 'UNBLOCK', '1', 'MAYBE'));
      return out;
    });
  });

  it('runs a blocked client\'s later pipelined commands only after it is served', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{p}', '{p}after');
      const w = await connect(port);
      await w.write(Buffer.concat([resp('BLPOP', '{p}', '2'), resp('SET', '{p}after', '1')]));
      await waitForBlocked(admin, 1);
      const before = await admin.callText('EXISTS', '{p}after');
      await admin.callText('RPUSH', '{p}', 'x');
      const replies = await w.readReplies(2, 3000);
      return [before, ...replies.map((r) => r.toString()), await admin.callText('EXISTS', '{p}after')];
    });
  });

  it('serves a blocked client after a transaction, seeing its end state, never in the middle of it', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{x}k');
      const w = await connect(port);
      await w.write(resp('BLPOP', '{x}k', '0.3'));
      await waitForBlocked(admin, 1);
      // RPUSH then LPOP in one EXEC: the element never reaches the waiter.
      const out = [await admin.callText('MULTI'), await admin.callText('RPUSH', '{x}k', 'a'), await admin.callText('LPOP', '{x}k'), await admin.callText('EXEC')];
      out.push((await w.readReply(3000)).toString());
      return out;
    });
  });

  it('tries every client blocked on a key: one waiting for another type does not stop the others', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{t}k');
      const lists = await connect(port);
      const zsets = await connect(port);
      await lists.write(resp('BLPOP', '{t}k', '0.3'));
      await waitForBlocked(admin, 1);
      await zsets.write(resp('BZPOPMIN', '{t}k', '2'));
      await waitForBlocked(admin, 2);
      const out = [await admin.callText('ZADD', '{t}k', '1', 'm')];
      out.push((await zsets.readReply(3000)).toString());
      out.push((await lists.readReply(3000)).toString());
      out.push(await admin.callText('EXISTS', '{t}k'));
      return out;
    });
  });

  describe('with keys on different shards', () => {
    // "a" and "b" hash to different shards of 4 (test/helpers/shards.ts).
    it('pops the first non-empty key at once, in argument order', async () => {
      await same(async (port) => {
        const c = await connect(port);
        await c.callText('DEL', 'a', 'b');
        await c.callText('RPUSH', 'b', 'x', 'y');
        return [
          await c.callText('BLPOP', 'a', 'b', '1'),
          await c.callText('RPUSH', 'a', 'first'),
          await c.callText('BRPOP', 'a', 'b', '1'),
          await c.callText('SET', 'a', 'str'),
          await c.callText('BLPOP', 'a', 'b', '1'),
          await c.callText('DEL', 'a', 'b'),
        ];
      });
    });

    it('serves clients blocked on keys of several shards in order, each once', async () => {
      await same(async (port) => {
        const admin = await connect(port);
        await admin.callText('DEL', 'a', 'b');
        const w1 = await connect(port);
        const w2 = await connect(port);
        await w1.write(resp('BLPOP', 'a', 'b', '5'));
        await waitForBlocked(admin, 1);
        await w2.write(resp('BLPOP', 'b', 'a', '5'));
        await waitForBlocked(admin, 2);
        const out = [await admin.callText('RPUSH', 'b', 'one')];
        out.push((await w1.readReply(3000)).toString());
        out.push(await admin.callText('RPUSH', 'a', 'two', 'three'));
        out.push((await w2.readReply(3000)).toString());
        out.push(await admin.callText('LRANGE', 'a', '0', '-1'));
        out.push(await w1.callText('PING'));
        await admin.callText('DEL', 'a', 'b');
        return out;
      });
    });

    it('runs LMPOP and BLMPOP over keys of several shards', async () => {
      await same(async (port) => {
        const admin = await connect(port);
        await admin.callText('DEL', 'a', 'b', 'c', 'd');
        await admin.callText('RPUSH', 'c', '1', '2', '3');
        const out = [
          await admin.callText('LMPOP', '3', 'a', 'b', 'c', 'LEFT', 'COUNT', '2'),
          await admin.callText('LMPOP', '2', 'a', 'b', 'RIGHT'),
          await admin.callText('BLMPOP', '0.05', '2', 'a', 'b', 'LEFT'),
          await admin.callText('LMPOP', '2', 'a', 'b', 'UP'),
          await admin.callText('BLMPOP', '1', '3', 'a', 'b', 'c', 'RIGHT', 'COUNT', '5'),
        ];
        const w = await connect(port);
        await w.write(resp('BLMPOP', '3', '2', 'a', 'd', 'LEFT', 'COUNT', '2'));
        await waitForBlocked(admin, 1);
        out.push(await admin.callText('RPUSH', 'd', 'x', 'y', 'z'));
        out.push((await w.readReply(3000)).toString());
        out.push(await admin.callText('LRANGE', 'd', '0', '-1'));
        await admin.callText('DEL', 'a', 'b', 'c', 'd');
        return out;
      });
    });

    it('BLMOVE and BRPOPLPUSH move at once, wait, serve in order and time out across shards', async () => {
      await same(async (port) => {
        const admin = await connect(port);
        await admin.callText('DEL', 'a', 'b');
        await admin.callText('RPUSH', 'a', '1', '2');
        const out = [
          await admin.callText('BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '1'),
          await admin.callText('BRPOPLPUSH', 'a', 'b', '1'),
          await admin.callText('BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0.05'),
          await admin.callText('BLMOVE', 'a', 'b', 'UP', 'RIGHT', '1'),
          await admin.callText('BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '-1'),
          await admin.callText('LRANGE', 'b', '0', '-1'),
        ];
        // Two clients wait on "a" (moving to "b"), one more after them.
        const w1 = await connect(port);
        const w2 = await connect(port);
        await w1.write(resp('BLMOVE', 'a', 'b', 'RIGHT', 'LEFT', '5'));
        await waitForBlocked(admin, 1);
        await w2.write(resp('BRPOPLPUSH', 'a', 'b', '5'));
        await waitForBlocked(admin, 2);
        await w1.write(resp('LLEN', 'b')); // pipelined: runs after w1 is served
        out.push(await admin.callText('RPUSH', 'a', 'x'));
        out.push((await w1.readReply(3000)).toString());
        out.push((await w1.readReply(3000)).toString());
        out.push(await admin.callText('RPUSH', 'a', 'y', 'z'));
        out.push((await w2.readReply(3000)).toString());
        out.push(await admin.callText('LRANGE', 'a', '0', '-1'));
        out.push(await admin.callText('LRANGE', 'b', '0', '-1'));
        // The destination turns into a string while a client waits: WRONGTYPE, and the element stays in the source.
        const w3 = await connect(port);
        await admin.callText('DEL', 'a', 'b');
        await w3.write(resp('BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '5'));
        await waitForBlocked(admin, 1);
        out.push(await admin.callText('SET', 'b', 'str'));
        out.push(await admin.callText('RPUSH', 'a', 'v'));
        out.push((await w3.readReply(3000)).toString());
        out.push(await admin.callText('LRANGE', 'a', '0', '-1'));
        // CLIENT UNBLOCK and a disconnect while waiting.
        await admin.callText('DEL', 'a', 'b');
        const w4 = await connect(port);
        const id = (await w4.callText('CLIENT', 'ID')).slice(1, -2);
        await w4.write(resp('BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '0'));
        await waitForBlocked(admin, 1);
        out.push(await admin.callText('CLIENT', 'UNBLOCK', id));
        out.push((await w4.readReply(2000)).toString());
        const w5 = await connect(port);
        await w5.write(resp('BRPOPLPUSH', 'a', 'b', '0'));
        await waitForBlocked(admin, 1);
        w5.destroy();
        await waitForUnblocked(admin, 0);
        out.push(await admin.callText('RPUSH', 'a', 'kept'));
        out.push(await admin.callText('LRANGE', 'a', '0', '-1'));
        out.push(await admin.callText('EXISTS', 'b'));
        await admin.callText('DEL', 'a', 'b');
        return out;
      });
    });

    it('BZPOPMIN, BZPOPMAX, ZMPOP and BZMPOP over sorted sets of several shards', async () => {
      await same(async (port) => {
        const admin = await connect(port);
        await admin.callText('DEL', 'a', 'b', 'c', 'd');
        await admin.callText('ZADD', 'b', '1', 'x', '2', 'y', '3', 'z');
        const out = [
          await admin.callText('BZPOPMIN', 'a', 'b', '1'),
          await admin.callText('BZPOPMAX', 'a', 'b', '1'),
          await admin.callText('ZMPOP', '2', 'a', 'b', 'MIN', 'COUNT', '5'),
          await admin.callText('ZMPOP', '2', 'a', 'b', 'MAX'),
          await admin.callText('BZPOPMIN', 'a', 'b', '0.05'),
          await admin.callText('BZMPOP', '0.05', '2', 'a', 'b', 'MIN'),
          await admin.callText('ZMPOP', '2', 'a', 'b', 'LEFT'),
          await admin.callText('SET', 'a', 'str'),
          await admin.callText('BZPOPMIN', 'a', 'b', '1'),
          await admin.callText('DEL', 'a'),
        ];
        // Two clients wait on keys of several shards; each is served once, in order.
        const w1 = await connect(port);
        const w2 = await connect(port);
        await w1.write(resp('BZPOPMAX', 'a', 'c', '5'));
        await waitForBlocked(admin, 1);
        await w2.write(resp('BZMPOP', '5', '2', 'c', 'd', 'MIN', 'COUNT', '2'));
        await waitForBlocked(admin, 2);
        out.push(await admin.callText('ZADD', 'c', '5', 'p', '6', 'q'));
        out.push((await w1.readReply(3000)).toString());
        out.push((await w2.readReply(3000)).toString());
        out.push(await admin.callText('EXISTS', 'c'));
        await admin.callText('DEL', 'a', 'b', 'c', 'd');
        return out;
      });
    });

    it('a client answered on another shard leaves this one, and the next client here is served', async () => {
      const [x1, x3] = oneKeyPerShard('srv', 4).slice(0, 2);
      await same(async (port) => {
        const admin = await connect(port);
        await admin.callText('DEL', x1!, x3!);
        const w1 = await connect(port);
        const w2 = await connect(port);
        await w1.write(resp('BLPOP', x1!, x3!, '2'));
        await waitForBlocked(admin, 1);
        await w2.write(resp('BLPOP', x3!, '2'));
        await waitForBlocked(admin, 2);
        const out = [await admin.callText('MULTI'), await admin.callText('RPUSH', x1!, 'x'), await admin.callText('RPUSH', x3!, 'y'), await admin.callText('EXEC')];
        out.push((await w1.readReply(3000)).toString());
        out.push((await w2.readReply(3000)).toString());
        out.push(await admin.callText('LLEN', x3!));
        return out;
      });
    });

    it('times out once, and CLIENT UNBLOCK answers once', async () => {
      await same(async (port) => {
        const admin = await connect(port);
        await admin.callText('DEL', 'a', 'b');
        const c = await connect(port);
        const out = [await c.callText('BLPOP', 'a', 'b', '0.1'), await c.callText('PING')];
        const w = await connect(port);
        const id = (await w.callText('CLIENT', 'ID')).slice(1, -2);
        await w.write(resp('BRPOP', 'a', 'b', '0'));
        await waitForBlocked(admin, 1);
        out.push(await admin.callText('CLIENT', 'UNBLOCK', id, 'ERROR'));
        out.push((await w.readReply(2000)).toString());
        out.push(await w.callText('PING'));
        out.push(await admin.callText('RPUSH', 'a', 'kept'));
        out.push(await admin.callText('LRANGE', 'a', '0', '-1'));
        await admin.callText('DEL', 'a', 'b');
        return out;
      });
    });
  });
});
