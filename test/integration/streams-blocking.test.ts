/**
 * Blocking XREAD and XREADGROUP, run as the same scenario against
 * redis-server and Shoal (4 threads), with the transcripts compared: who is
 * served and in what order (clients on different threads), what a timeout
 * answers, a group destroyed or a stream deleted or retyped while clients
 * wait, `$` meaning the last ID when the client blocked, MULTI. Keys of
 * one command share a {tag}; the multi-key cases put them on different
 * shards.
 */
import { describe, expect, it } from 'vitest';
import { waitForBlocked, waitForUnblocked } from '../helpers/blocked.js';
import { type RawClient, resp } from '../helpers/servers.js';
import { serverPair } from '../helpers/pair.js';
import { oneKeyPerShard } from '../helpers/shards.js';

const pair = serverPair();
const { connect, same } = pair;

/** Blocks each waiter in turn (in that order) with its command. */
async function blockInOrder(admin: RawClient, waiters: RawClient[], command: string[]): Promise<void> {
  let n = 0;
  for (const w of waiters) {
    await w.write(resp(...command));
    await waitForBlocked(admin, ++n);
  }
}

describe('stream keys found after STREAMS, redis-server vs Shoal', () => {
  it('a group or consumer named "streams" is not taken for the keyword, on every shard', async () => {
    await same(async (port) => {
      const c = await connect(port);
      const out: string[] = [];
      // Keys on every shard, named like the keyword too; the words before STREAMS on their own shards.
      for (const k of [...oneKeyPerShard('st:', 4), 'STREAMS', 'streams']) {
        await c.callText('DEL', k);
        out.push(await c.callText('XADD', k, '1-1', 'f', k));
        out.push(await c.callText('XGROUP', 'CREATE', k, 'streams', '0'));
        out.push((await c.call('XREADGROUP', 'GROUP', 'streams', 'STREAMS', 'STREAMS', k, '>')).toString('latin1'));
        out.push((await c.call('XREADGROUP', 'GROUP', 'streams', 'streams', 'COUNT', '5', 'STREAMS', k, '0')).toString('latin1'));
        out.push((await c.call('XREAD', 'COUNT', '1', 'STREAMS', k, '0')).toString('latin1'));
      }
      return out;
    });
  });
});

describe('blocking stream reads, redis-server vs Shoal', () => {
  it('XREAD BLOCK $ serves every waiter the entry that arrives, and only that', async () => {
    const t = await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{x}s');
      await admin.callText('XADD', '{x}s', '1-1', 'old', '1');
      const waiters = await Promise.all([connect(port), connect(port), connect(port)]);
      await blockInOrder(admin, waiters, ['XREAD', 'BLOCK', '0', 'STREAMS', '{x}s', '$']);
      const added = await admin.callText('XADD', '{x}s', '2-1', 'new', '2');
      const replies = await Promise.all(waiters.map((w) => w.readReply(3000)));
      return [added, ...replies.map((r) => r.toString())];
    });
    expect(t[1]).toBe('*1\r\n*2\r\n$4\r\n{x}s\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$3\r\nnew\r\n$1\r\n2\r\n');
  });

  it('XREADGROUP BLOCK > serves the consumers in the order they blocked, one entry each', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{g}s');
      await admin.callText('XGROUP', 'CREATE', '{g}s', 'grp', '$', 'MKSTREAM');
      const waiters = await Promise.all([connect(port), connect(port), connect(port)]);
      let n = 0;
      for (const [i, w] of waiters.entries()) {
        await w.write(resp('XREADGROUP', 'GROUP', 'grp', `c${i}`, 'BLOCK', '0', 'STREAMS', '{g}s', '>'));
        await waitForBlocked(admin, ++n);
      }
      const out: string[] = [];
      for (let k = 0; k < 3; k++) {
        out.push(await admin.callText('XADD', '{g}s', `${k + 1}-1`, 'n', String(k)));
        out.push((await waiters[k]!.readReply(3000)).toString());
        await waitForUnblocked(admin, 2 - k);
      }
      out.push((await admin.call('XPENDING', '{g}s', 'grp')).toString());
      return out;
    });
  });

  it('a timeout answers a null array', async () => {
    const t = await same(async (port) => {
      const c = await connect(port);
      return [
        (await c.call('XREAD', 'BLOCK', '50', 'STREAMS', '{t}nothing', '$')).toString(),
        (await c.call('XREAD', 'BLOCK', '-1', 'STREAMS', '{t}nothing', '$')).toString(),
        (await c.call('XREAD', 'BLOCK', 'x', 'STREAMS', '{t}nothing', '$')).toString(),
      ];
    });
    expect(t[0]).toBe('*-1\r\n');
  });

  it('a group destroyed while its consumers wait answers NOGROUP', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{d}s');
      await admin.callText('XGROUP', 'CREATE', '{d}s', 'grp', '$', 'MKSTREAM');
      const w = await connect(port);
      await blockInOrder(admin, [w], ['XREADGROUP', 'GROUP', 'grp', 'c', 'BLOCK', '0', 'STREAMS', '{d}s', '>']);
      const destroyed = await admin.callText('XGROUP', 'DESTROY', '{d}s', 'grp');
      return [destroyed, (await w.readReply(3000)).toString()];
    });
  });

  it('a stream deleted or retyped while clients wait keeps them waiting until a new stream gets an entry', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{r}s');
      await admin.callText('XADD', '{r}s', '5-1', 'a', '1');
      const w = await connect(port);
      await blockInOrder(admin, [w], ['XREAD', 'BLOCK', '0', 'STREAMS', '{r}s', '$']);
      const out = [await admin.callText('DEL', '{r}s'), await admin.callText('SET', '{r}s', 'x'), await admin.callText('DEL', '{r}s')];
      await waitForBlocked(admin, 1);
      // The ID it waits for is still 5-1 (what $ was when it blocked).
      out.push(await admin.callText('XADD', '{r}s', '3-1', 'b', '2'));
      out.push(await admin.callText('XADD', '{r}s', '6-1', 'c', '3'));
      out.push((await w.readReply(3000)).toString());
      return out;
    });
  });

  it('inside MULTI, BLOCK does not block', async () => {
    await same(async (port) => {
      const c = await connect(port);
      await c.callText('DEL', '{m}s');
      await c.callText('MULTI');
      await c.callText('XREAD', 'BLOCK', '0', 'STREAMS', '{m}s', '$');
      await c.callText('XADD', '{m}s', '1-1', 'a', 'b');
      return [(await c.call('EXEC')).toString()];
    });
  });

  it('XREAD with streams on different shards: entries now, or the first stream that gets one', async () => {
    const [k0, k1, k2] = oneKeyPerShard('xs:', 4);
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', k0!, k1!, k2!);
      await admin.callText('XADD', k1!, '1-1', 'a', '1');
      await admin.callText('XADD', k2!, '2-1', 'b', '2');
      const out = [(await admin.call('XREAD', 'COUNT', '5', 'STREAMS', k0!, k1!, k2!, '0', '0', '0')).toString()];
      out.push((await admin.call('XREAD', 'STREAMS', k0!, k1!, k2!, '$', '$', '$')).toString());
      const w = await connect(port);
      await blockInOrder(admin, [w], ['XREAD', 'BLOCK', '0', 'STREAMS', k0!, k1!, k2!, '$', '$', '$']);
      out.push(await admin.callText('XADD', k2!, '3-1', 'c', '3'));
      out.push((await w.readReply(3000)).toString());
      await waitForUnblocked(admin, 0);
      return out;
    });
  });

  it('XREADGROUP with streams on different shards: checked first, then served from the first stream that gets an entry', async () => {
    const [k0, k1] = oneKeyPerShard('xg:', 4);
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', k0!, k1!);
      await admin.callText('XGROUP', 'CREATE', k0!, 'grp', '$', 'MKSTREAM');
      const out = [(await admin.call('XREADGROUP', 'GROUP', 'grp', 'c', 'STREAMS', k0!, k1!, '>', '>')).toString()];
      await admin.callText('XGROUP', 'CREATE', k1!, 'grp', '$', 'MKSTREAM');
      await admin.callText('XADD', k0!, '1-1', 'a', '1');
      out.push((await admin.call('XREADGROUP', 'GROUP', 'grp', 'c', 'STREAMS', k0!, k1!, '>', '$')).toString());
      out.push((await admin.call('XPENDING', k0!, 'grp')).toString());
      const w = await connect(port);
      // 1-1 is there to be read: served at once.
      out.push((await w.call('XREADGROUP', 'GROUP', 'grp', 'c', 'BLOCK', '0', 'STREAMS', k0!, k1!, '>', '>')).toString());
      await w.write(resp('XREADGROUP', 'GROUP', 'grp', 'c', 'BLOCK', '0', 'STREAMS', k0!, k1!, '>', '>'));
      await waitForBlocked(admin, 1);
      out.push(await admin.callText('XADD', k1!, '2-1', 'b', '2'));
      out.push((await w.readReply(3000)).toString());
      await waitForUnblocked(admin, 0);
      out.push((await admin.call('XPENDING', k1!, 'grp')).toString());
      return out;
    });
  });

  it('CLIENT UNBLOCK ends a blocked read with a null reply, or the UNBLOCKED error', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{u}s');
      const out: string[] = [];
      for (const how of [[], ['ERROR']]) {
        const w = await connect(port);
        const id = (await w.callText('CLIENT', 'ID')).slice(1, -2);
        await blockInOrder(admin, [w], ['XREAD', 'BLOCK', '0', 'STREAMS', '{u}s', '$']);
        out.push(await admin.callText('CLIENT', 'UNBLOCK', id, ...how));
        out.push((await w.readReply(3000)).toString());
        await waitForUnblocked(admin, 0);
      }
      return out;
    });
  });
});
