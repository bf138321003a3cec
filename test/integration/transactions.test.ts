/**
 * Transactions and key-moving commands against redis-server 7.0 and Shoal
 * (4 shards): MULTI, EXEC, DISCARD, WATCH, UNWATCH, RENAME, RENAMENX, COPY,
 * MOVE. Every command goes to both servers over a pair of connections driven
 * in lock step (test/helpers/twin.ts) and the replies are compared byte for
 * byte; only KEYS / RANDOMKEY order and TTL values get a comparator.
 *
 * Several simulated clients are several twins; in the WATCH cases client
 * "b" modifies what client "a" watches. Where the outcome is subtle (does
 * this write invalidate a WATCH?) the test also asserts redis-server's own
 * reply, so the file documents what Redis 7.0 does and checks the harness.
 *
 * Keys: "a", "b", "c", "d" land on shards 3, 0, 1, 2 (of 4), "{x}…" on 3,
 * "{y}…" on 2; S[0..3] (below) are one key per shard, by construction.
 *
 * Validate the test itself with a second redis-server in Shoal's place:
 *   SHOAL_CMD=redis npx vitest run test/integration/transactions.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameShape, unordered } from '../helpers/differential.js';
import { Rng } from '../helpers/rng.js';
import { type Arg, type ServerHandle, sleep, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { keysOnEveryShard, oneKeyPerShard, shardOf, shardsTouched } from '../helpers/shards.js';
import { Twin, TwinLog, arrayWith, positiveInt, sameType } from '../helpers/twin.js';

const SHARDS = 4;
/** One key per shard: S[i] lives on shard i. */
const S = oneKeyPerShard('s:', SHARDS);
/** Twelve keys, three per shard. */
const K12 = keysOnEveryShard('m:', 12, SHARDS);

const OK = '+OK\r\n';
const QUEUED = '+QUEUED\r\n';
const NIL_ARRAY = '*-1\r\n';
const EXECABORT = '-EXECABORT Transaction discarded because of previous errors.\r\n';

let redis: ServerHandle;
let shoal: ServerHandle;
const opened: Twin[] = [];

/** Opens one twin per client name, sharing a log labelled `label`. */
async function session(label: string, ...who: string[]): Promise<Twin[]> {
  const log = new TwinLog(label);
  const twins = await Promise.all(who.map((w) => Twin.open(redis.port, shoal.port, w, log, ['redis', shoal.name])));
  opened.push(...twins);
  return twins;
}

/** A new twin "a" on an empty server (FLUSHALL first). */
async function fresh(label: string): Promise<Twin> {
  const [a] = await session(label, 'a');
  await a!.do(['FLUSHALL'], { expect: OK });
  return a!;
}

/** Runs commands one at a time (one round trip each) on a twin. */
async function run(t: Twin, commands: Arg[][]): Promise<void> {
  for (const c of commands) await t.do(c);
}

beforeAll(async () => {
  [redis, shoal] = await startAll(startRedis(), startShoal({ shards: SHARDS }));
});

afterAll(async () => {
  for (const t of opened) t.destroy();
  await Promise.all([redis?.stop(), shoal?.stop()]);
});

describe('key placement used by these tests', () => {
  it('spreads the test keys over all 4 shards', () => {
    expect(['b', 'c', 'd', 'a'].map((k) => shardOf(k, SHARDS))).toEqual([0, 1, 2, 3]);
    expect([shardOf('{x}1'), shardOf('{x}2'), shardOf('{y}1')]).toEqual([3, 3, 2]);
    expect(S.map((k) => shardOf(k, SHARDS))).toEqual([0, 1, 2, 3]);
    expect(shardsTouched(K12, SHARDS)).toBe(4);
  });
});

describe('MULTI / EXEC / DISCARD', () => {
  it('queues commands and answers EXEC with the array of their replies', async () => {
    const a = await fresh('multi-basics');
    await a.do(['MULTI'], { expect: OK });
    await a.do(['SET', 'a', '1'], { expect: QUEUED });
    await a.do(['INCR', 'a'], { expect: QUEUED });
    await run(a, [['GET', 'a'], ['GET', 'nosuch'], ['PING'], ['PING', 'hi'], ['ECHO', 'x\r\ny'], ['EXISTS', 'a', 'b'], ['DEL', 'a']]);
    await a.do(['EXEC'], { expect: '*9\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n+PONG\r\n$2\r\nhi\r\n$4\r\nx\r\ny\r\n:1\r\n:1\r\n' });
    await a.do(['EXISTS', 'a'], { expect: ':0\r\n' });
    // An empty transaction.
    await a.do(['MULTI'], { expect: OK });
    await a.do(['EXEC'], { expect: '*0\r\n' });
    // EXEC and DISCARD outside MULTI.
    await a.do(['EXEC'], { expect: '-ERR EXEC without MULTI\r\n' });
    await a.do(['DISCARD'], { expect: '-ERR DISCARD without MULTI\r\n' });
    // DISCARD drops the queue and leaves MULTI.
    await run(a, [['MULTI'], ['SET', 'c', '1'], ['INCR', 'c']]);
    await a.do(['DISCARD'], { expect: OK });
    await a.do(['GET', 'c'], { expect: '$-1\r\n' });
    await a.do(['EXEC'], { expect: '-ERR EXEC without MULTI\r\n' });
    // Argument checks of the transaction commands themselves.
    await run(a, [['MULTI', 'x'], ['EXEC', 'x'], ['DISCARD', 'x'], ['WATCH'], ['UNWATCH', 'x'], ['multi'], ['exec'], ['Multi'], ['eXeC']]);
    // EXEC refused for its arity discards the transaction (Redis answers EXECABORT, naming the reason).
    await run(a, [['MULTI'], ['SET', 'e', '1']]);
    await a.do(['EXEC', 'now'], { expect: "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n" });
    await a.do(['EXEC'], { expect: '-ERR EXEC without MULTI\r\n' });
    await a.do(['EXISTS', 'e'], { expect: ':0\r\n' });
    await run(a, [['MULTI'], ['SET', 'e', '1'], ['DISCARD', 'now'], ['EXEC'], ['GET', 'e']]);
  });

  it('refuses nested MULTI and WATCH inside MULTI, as Redis does', async () => {
    const a = await fresh('multi-nesting');
    await a.do(['MULTI'], { expect: OK });
    await a.do(['SET', 'a', '1'], { expect: QUEUED });
    await a.do(['MULTI'], { expect: '-ERR MULTI calls can not be nested\r\n' });
    await a.do(['SET', 'b', '2'], { expect: QUEUED });
    await a.do(['WATCH', 'a'], { expect: '-ERR WATCH inside MULTI is not allowed\r\n' });
    await a.do(['UNWATCH'], { expect: QUEUED });
    await a.do(['EXEC']);
    await run(a, [['GET', 'a'], ['GET', 'b']]);
    // Nested MULTI then DISCARD.
    await run(a, [['MULTI'], ['MULTI'], ['SET', 'c', '3'], ['DISCARD'], ['GET', 'c']]);
  });

  it('runs QUIT and RESET at once inside MULTI, dropping the transaction', async () => {
    const [a, b, c] = await session('quit-reset', 'a', 'b', 'c');
    await b!.do(['FLUSHALL'], { expect: OK });
    // QUIT is not queued: it answers +OK and closes; nothing queued runs.
    await run(a!, [['MULTI'], ['SET', 'q', '1']]);
    await a!.do(['QUIT'], { expect: OK });
    const [refClosed, tgtClosed] = await Promise.all([a!.ref.waitClosed(3000), a!.tgt.waitClosed(3000)]);
    expect({ refClosed, tgtClosed }).toEqual({ refClosed: true, tgtClosed: true });
    await b!.do(['EXISTS', 'q'], { expect: ':0\r\n' });
    // RESET is not queued either: it discards the queue, the WATCHes, the SELECT and RESP3.
    await b!.do(['SET', 'w', '1'], { expect: OK });
    await c!.each(['HELLO', '3']);
    await c!.do(['WATCH', 'w'], { expect: OK });
    await c!.do(['SELECT', '2'], { expect: OK });
    await run(c!, [['MULTI'], ['SET', 'r', '1']]);
    await c!.do(['RESET'], { expect: '+RESET\r\n' });
    await c!.do(['EXEC'], { expect: '-ERR EXEC without MULTI\r\n' });
    await b!.do(['SET', 'w', '2'], { expect: OK });
    await run(c!, [['MULTI'], ['GET', 'w'], ['GET', 'nosuch']]);
    await c!.do(['EXEC'], { expect: '*2\r\n$1\r\n2\r\n$-1\r\n' });
    await run(b!, [['EXISTS', 'r'], ['SELECT', '2'], ['EXISTS', 'r']]);
  });

  it('handles a large transaction and a large EXEC reply over every shard', async () => {
    const a = await fresh('large-transaction');
    const keys = keysOnEveryShard('big:', 64, SHARDS);
    const tx: Arg[][] = [['MULTI']];
    for (let i = 0; i < 3000; i++) {
      const k = keys[i % keys.length]!;
      tx.push(i % 3 === 0 ? ['SET', k, `v${i}`.repeat(1 + (i % 7))] : i % 3 === 1 ? ['APPEND', k, '+'] : ['GET', k]);
    }
    tx.push(['MGET', ...keys], ['EXEC']);
    await a.pipeline(tx, { timeoutMs: 20_000 });
    await a.do(['MGET', ...keys]);
    await a.do(['DBSIZE'], { expect: ':64\r\n' });
  });

  it('aborts at EXEC when a command was refused while queueing', async () => {
    const a = await fresh('queue-errors');
    await run(a, [['SET', 'keep', 'old']]);
    // Unknown command.
    await a.do(['MULTI'], { expect: OK });
    await a.do(['SET', 'keep', 'new'], { expect: QUEUED });
    await a.do(['NOSUCHCOMMAND', 'x', 'y'], { expect: /^-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' 'y' \r\n$/ });
    await a.do(['SET', 'other', '1'], { expect: QUEUED });
    await a.do(['EXEC'], { expect: EXECABORT });
    await a.do(['GET', 'keep'], { expect: '$3\r\nold\r\n' });
    await a.do(['EXISTS', 'other'], { expect: ':0\r\n' });
    // The connection is out of MULTI afterwards.
    await a.do(['EXEC'], { expect: '-ERR EXEC without MULTI\r\n' });
    await a.do(['PING'], { expect: '+PONG\r\n' });
    // Wrong arity, of plain commands and of subcommands.
    for (const bad of [['GET'], ['SET', 'k'], ['GET', 'a', 'b'], ['RENAME', 'a'], ['COPY', 'a'], ['MOVE', 'a'], ['MSET', 'a'], ['OBJECT', 'ENCODING'], ['OBJECT', 'NOSUCHSUB', 'k'], ['CLIENT', 'NOSUCHSUB']] as Arg[][]) {
      await a.do(['MULTI'], { expect: OK });
      await a.do(['INCR', 'counter'], { expect: QUEUED });
      await a.do(bad, { expect: /^-ERR / });
      await a.do(['INCR', 'counter'], { expect: QUEUED });
      await a.do(['EXEC'], { expect: EXECABORT });
    }
    await a.do(['GET', 'counter'], { expect: '$-1\r\n' });
    // An error first, then DISCARD: +OK, nothing runs.
    await run(a, [['MULTI'], ['NOPE'], ['SET', 'keep', 'x']]);
    await a.do(['DISCARD'], { expect: OK });
    await a.do(['GET', 'keep'], { expect: '$3\r\nold\r\n' });
    // An error, then a nested MULTI, then EXEC.
    await run(a, [['MULTI'], ['GET'], ['MULTI'], ['EXEC'], ['GET', 'keep']]);
    // Argument-level errors are runtime errors, not queueing errors: they do not abort.
    await run(a, [['MULTI'], ['SET', 'keep', 'v', 'EX', 'abc'], ['SET', 'keep', 'v2'], ['EXEC'], ['GET', 'keep']]);
  });

  it('reports runtime errors as elements of the EXEC array and runs the other commands', async () => {
    const a = await fresh('runtime-errors');
    await run(a, [['SET', 's', 'abc'], ['SET', 'n', '10']]);
    await a.do(['MULTI'], { expect: OK });
    const queued: Arg[][] = [
      ['INCR', 's'],
      ['SET', 't', '1'],
      ['INCRBY', 't', 'x'],
      ['APPEND', 's', 'def'],
      ['INCRBYFLOAT', 's', '1'],
      ['SET', 'u', 'v', 'EX', '0'],
      ['SET', 'u', 'v', 'EX', 'abc'],
      ['SET', 'u', 'v', 'NX', 'XX'],
      ['SETRANGE', 's', '-1', 'x'],
      ['GETEX', 's', 'EX', '-5'],
      ['EXPIRE', 'n', '10', 'NX', 'XX'],
      ['RENAME', 'nosuch', 'x'],
      ['INCR', 'n'],
      ['DECRBY', 'n', '9223372036854775807'],
      ['INCRBY', 'n', '9223372036854775807'],
      ['SELECT', '99'],
      ['GET', 's'],
      ['GET', 'n'],
    ];
    for (const c of queued) await a.do(c, { expect: QUEUED });
    const reply = await a.text(['EXEC']);
    expect(reply.startsWith(`*${queued.length}\r\n`)).toBe(true);
    expect(reply).toContain('-ERR value is not an integer or out of range\r\n');
    await run(a, [['GET', 's'], ['GET', 't'], ['GET', 'n'], ['EXISTS', 'u']]);
    // MSET with an odd number of arguments passes the arity check (-3): it fails at EXEC, alone.
    await run(a, [['MULTI'], ['SET', 'v', '1'], ['MSET', 'a', '1', 'b'], ['MSETNX', 'a', '1', 'b']]);
    await a.do(['EXEC'], { expect: "*3\r\n+OK\r\n-ERR wrong number of arguments for 'mset' command\r\n-ERR wrong number of arguments for 'msetnx' command\r\n" });
    await run(a, [['MGET', 'v', 'a', 'b']]);
  });

  it('applies SELECT queued inside MULTI to the commands after it and to the connection', async () => {
    const a = await fresh('select-in-multi');
    await run(a, [['SET', 'k', 'db0'], ['SELECT', '3'], ['SET', 'k', 'db3'], ['SELECT', '0']]);
    await run(a, [['MULTI'], ['GET', 'k'], ['SELECT', '3'], ['GET', 'k'], ['SET', 'j', 'in3'], ['SELECT', '0'], ['GET', 'k'], ['SELECT', '3']]);
    await a.do(['EXEC'], { expect: '*7\r\n$3\r\ndb0\r\n+OK\r\n$3\r\ndb3\r\n+OK\r\n+OK\r\n$3\r\ndb0\r\n+OK\r\n' });
    await a.do(['GET', 'k'], { expect: '$3\r\ndb3\r\n' });
    await a.do(['GET', 'j'], { expect: '$3\r\nin3\r\n' });
    // A bad SELECT inside EXEC is an error element; the database does not change.
    await run(a, [['MULTI'], ['SELECT', '99'], ['SELECT', 'x'], ['SELECT', '-1'], ['GET', 'k'], ['EXEC'], ['GET', 'k']]);
    // A SELECT queued then discarded never happens.
    await run(a, [['MULTI'], ['SELECT', '0'], ['DISCARD'], ['GET', 'k']]);
    // A SELECT queued in an aborted transaction never happens either.
    await run(a, [['MULTI'], ['SELECT', '0'], ['NOPE'], ['EXEC'], ['GET', 'k']]);
    // SWAPDB inside MULTI, with the connection's database involved.
    await run(a, [['MULTI'], ['SWAPDB', '0', '3'], ['GET', 'k'], ['SELECT', '0'], ['GET', 'k'], ['GET', 'j'], ['EXEC'], ['GET', 'j']]);
    await run(a, [['SELECT', '3'], ['GET', 'k'], ['DBSIZE']]);
  });

  it('runs commands that touch every shard inside MULTI (DBSIZE, KEYS, FLUSHDB, FLUSHALL, MSET, MGET, DEL, EXISTS)', async () => {
    const a = await fresh('all-shard-commands');
    await a.do(['MSET', ...K12.flatMap((k, i) => [k, `v${i}`])], { expect: OK });
    await run(a, [['SELECT', '1'], ['SET', 'in1', 'x'], ['SELECT', '0']]);
    await run(a, [
      ['MULTI'],
      ['DBSIZE'],
      ['KEYS', '*'],
      ['KEYS', 'm:1*'],
      ['MGET', ...K12, 'nosuch'],
      ['EXISTS', ...K12, K12[0]!, 'nosuch'],
      ['DEL', K12[0]!, K12[1]!, K12[2]!, K12[3]!, 'nosuch'],
      ['DBSIZE'],
      ['RANDOMKEY'],
      ['MSETNX', K12[0]!, 'n0', K12[5]!, 'n5'],
      ['MSETNX', K12[0]!, 'n0', K12[1]!, 'n1'],
      ['MGET', K12[0]!, K12[1]!, K12[5]!],
      ['TOUCH', ...K12],
      ['UNLINK', K12[4]!, K12[6]!],
      ['DBSIZE'],
      ['FLUSHDB'],
      ['DBSIZE'],
      ['KEYS', '*'],
      ['MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4'],
      ['DBSIZE'],
      ['SELECT', '1'],
      ['DBSIZE'],
      ['SELECT', '0'],
    ]);
    await a.do(['EXEC'], { cmp: arrayWith({ 1: unordered, 2: unordered, 7: sameShape }) });
    await run(a, [['DBSIZE'], ['MGET', 'a', 'b', 'c', 'd']]);
    // FLUSHALL inside MULTI empties every database of every shard.
    await run(a, [['MULTI'], ['SET', 'x', '1'], ['FLUSHALL'], ['DBSIZE'], ['SELECT', '1'], ['DBSIZE'], ['SET', 'after', '1'], ['SELECT', '0'], ['EXEC']]);
    await run(a, [['DBSIZE'], ['SELECT', '1'], ['KEYS', '*'], ['SELECT', '0']]);
  });

  it('runs transactions over keys on 4 shards, with and without hash tags, pipelined or not', async () => {
    const a = await fresh('four-shards');
    const tx: Arg[][] = [
      ['MULTI'],
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['SET', 'c', 'three'],
      ['SET', 'd', '4', 'EX', '1000'],
      ['SET', '{x}1', 'x1'],
      ['SET', '{x}2', 'x2'],
      ['SET', '{y}1', 'y1'],
      ['INCR', 'a'],
      ['INCRBY', 'b', '40'],
      ['APPEND', 'c', '!'],
      ['GETSET', 'd', 'four'],
      ['TTL', 'd'],
      ['MSET', 'a', '10', '{y}1', 'Y1', 'c', 'C'],
      ['MGET', 'a', 'b', 'c', 'd', '{x}1', '{x}2', '{y}1'],
      ['GETDEL', '{x}2'],
      ['SETRANGE', '{x}1', '5', 'tail'],
      ['STRLEN', '{x}1'],
      ['EXPIRE', 'b', '500'],
      ['PERSIST', 'b'],
      ['SETNX', 'a', 'no'],
      ['MSETNX', 'e', '5', 'f', '6'],
      ['LCS', 'c', '{y}1'],
      ['GETRANGE', '{x}1', '0', '-1'],
      ['EXISTS', 'a', 'b', 'c', 'd', 'e', 'f', '{x}1', '{x}2', '{y}1'],
      ['EXEC'],
    ];
    // One round trip per command ...
    await run(a, tx);
    await run(a, [['MGET', 'a', 'b', 'c', 'd', 'e', 'f', '{x}1', '{x}2', '{y}1'], ['TTL', 'b']]);
    await a.do(['TTL', 'd'], { expect: ':-1\r\n' });
    // ... and the whole transaction in one write.
    await a.do(['FLUSHDB'], { expect: OK });
    await a.pipeline(tx);
    await a.pipeline([['MGET', 'a', 'b', 'c', 'd', 'e', 'f', '{x}1', '{x}2', '{y}1'], ['DBSIZE']]);
    // Many transactions back to back in one pipeline, every key on every shard.
    const many: Arg[][] = [];
    for (let i = 0; i < 50; i++) {
      many.push(['MULTI'], ...S.map((k) => ['INCR', k]), ['MGET', ...S], ['EXEC'], ['GET', S[i % 4]!]);
    }
    await a.pipeline(many);
  });

  it('is not isolated from other clients before EXEC, and applies the whole queue at EXEC', async () => {
    const [a, b] = await session('no-watch-interleaving', 'a', 'b');
    await a!.do(['FLUSHALL'], { expect: OK });
    await a!.do(['SET', 'n', '1']);
    await a!.do(['MULTI'], { expect: OK });
    await a!.do(['INCR', 'n'], { expect: QUEUED });
    await a!.do(['GET', 'b'], { expect: QUEUED });
    await b!.do(['SET', 'n', '10'], { expect: OK });
    await b!.do(['SET', 'b', 'from-b'], { expect: OK });
    await b!.do(['GET', 'n'], { expect: '$2\r\n10\r\n' });
    await a!.do(['EXEC'], { expect: '*2\r\n:11\r\n$6\r\nfrom-b\r\n' });
    // b's commands run immediately while a is inside MULTI (a's queue is invisible to b).
    await a!.do(['MULTI'], { expect: OK });
    await a!.do(['SET', 'n', '100'], { expect: QUEUED });
    await b!.do(['GET', 'n'], { expect: '$2\r\n11\r\n' });
    await b!.do(['MULTI'], { expect: OK });
    await b!.do(['INCR', 'n'], { expect: QUEUED });
    await a!.do(['EXEC'], { expect: '*1\r\n+OK\r\n' });
    await b!.do(['EXEC'], { expect: '*1\r\n:101\r\n' });
  });

  it('speaks RESP3 inside transactions (HELLO 3)', async () => {
    const [a, b] = await session('resp3', 'a', 'b');
    await a!.do(['FLUSHALL'], { expect: OK });
    const [hr, hs] = await a!.each(['HELLO', '3']);
    expect(hr[0]).toBe(0x25 /* % */);
    expect(hs[0]).toBe(0x25);
    await run(a!, [['SET', 'a', '1'], ['SET', 's', 'str']]);
    await run(a!, [['MULTI'], ['GET', 'a'], ['GET', 'nosuch'], ['INCR', 's'], ['INCRBYFLOAT', 'a', '0.5'], ['MGET', 'a', 'b', 'c', 'd'], ['EXISTS', ...S], ['TTL', 'a'], ['PING'], ['EXEC']]);
    await run(a!, [['MULTI'], ['NOPE'], ['EXEC']]);
    await run(a!, [['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['WATCH', 'a'], ['DISCARD']]);
    // A WATCH-aborted EXEC is the RESP3 null.
    await a!.do(['WATCH', 'a', 'c'], { expect: OK });
    await b!.do(['SET', 'c', 'x'], { expect: OK });
    await a!.do(['MULTI'], { expect: OK });
    await a!.do(['GET', 'a'], { expect: QUEUED });
    await a!.do(['EXEC'], { expect: '_\r\n' });
    // And RESP2 stays *-1 on the other connection.
    await b!.do(['WATCH', 'a'], { expect: OK });
    await a!.do(['SET', 'a', '2'], { expect: OK });
    await b!.do(['MULTI'], { expect: OK });
    await b!.do(['EXEC'], { expect: NIL_ARRAY });
    await a!.do(['HELLO', '2'], { cmp: sameType });
    await a!.do(['WATCH', 'a'], { expect: OK });
    await b!.do(['DEL', 'a'], { expect: ':1\r\n' });
    await run(a!, [['MULTI'], ['EXEC']]);
  });
});

// ---- WATCH -------------------------------------------------------------------

interface WatchCase {
  name: string;
  /** Run by "b" before the WATCH (default: SET k 1). */
  setup?: Arg[][];
  /** Pause after the setup, before the WATCH. */
  sleepBeforeWatchMs?: number;
  /** Keys "a" watches (default: k). */
  watch?: string[];
  /** Run by "b" (another connection) after the WATCH. */
  by?: Arg[][];
  /** Run by "a" itself after the WATCH, outside MULTI. */
  self?: Arg[][];
  /** Pause after the modifications, before MULTI. */
  sleepMs?: number;
  /** Whether EXEC is aborted (nil) — asserted on redis-server, compared with Shoal. */
  aborts: boolean;
}

const K = 'k';
const WATCH_CASES: WatchCase[] = [
  // Writes that change the watched key abort.
  { name: 'SET to another value', by: [['SET', K, '2']], aborts: true },
  { name: 'SET to the same value', by: [['SET', K, '1']], aborts: true },
  { name: 'SET ... KEEPTTL', by: [['SET', K, '1', 'KEEPTTL']], aborts: true },
  { name: 'SET ... GET', by: [['SET', K, '2', 'GET']], aborts: true },
  { name: 'SETEX', by: [['SETEX', K, '100', '1']], aborts: true },
  { name: 'GETSET', by: [['GETSET', K, '1']], aborts: true },
  { name: 'DEL', by: [['DEL', K]], aborts: true },
  { name: 'UNLINK', by: [['UNLINK', K]], aborts: true },
  { name: 'GETDEL', by: [['GETDEL', K]], aborts: true },
  { name: 'DEL then SET back to the same value', by: [['DEL', K], ['SET', K, '1']], aborts: true },
  { name: 'EXPIRE', by: [['EXPIRE', K, '100']], aborts: true },
  { name: 'PEXPIRE', by: [['PEXPIRE', K, '100000']], aborts: true },
  { name: 'EXPIRE in the past (deletes)', by: [['EXPIRE', K, '-1']], aborts: true },
  { name: 'PEXPIREAT in the past (deletes)', by: [['PEXPIREAT', K, '1']], aborts: true },
  { name: 'PERSIST of a key with a TTL', setup: [['SET', K, '1', 'EX', '100']], by: [['PERSIST', K]], aborts: true },
  { name: 'GETEX with EX', by: [['GETEX', K, 'EX', '100']], aborts: true },
  { name: 'GETEX PERSIST of a key with a TTL', setup: [['SET', K, '1', 'EX', '100']], by: [['GETEX', K, 'PERSIST']], aborts: true },
  { name: 'INCR', by: [['INCR', K]], aborts: true },
  { name: 'INCRBY 0', by: [['INCRBY', K, '0']], aborts: true },
  { name: 'DECRBY 0', by: [['DECRBY', K, '0']], aborts: true },
  { name: 'INCRBYFLOAT 0', by: [['INCRBYFLOAT', K, '0']], aborts: true },
  { name: 'APPEND', by: [['APPEND', K, 'x']], aborts: true },
  { name: 'APPEND of nothing', by: [['APPEND', K, '']], aborts: true },
  { name: 'APPEND creating the key', setup: [], by: [['APPEND', K, 'x']], aborts: true },
  { name: 'SETRANGE', by: [['SETRANGE', K, '0', '9']], aborts: true },
  { name: 'SETNX creating the key', setup: [], by: [['SETNX', K, 'x']], aborts: true },
  { name: 'MSET with the key among others', by: [['MSET', 'a', '1', K, '2', 'b', '3']], aborts: true },
  { name: 'MSETNX creating the key across shards', setup: [], by: [['MSETNX', 'a', '1', K, '2', 'b', '3']], aborts: true },
  { name: 'RENAME onto it', setup: [['SET', K, '1'], ['SET', 'src', 'v']], by: [['RENAME', 'src', K]], aborts: true },
  { name: 'RENAME onto it from another shard', setup: [['SET', K, '1'], ['SET', 'a', 'v']], by: [['RENAME', 'a', K]], aborts: true },
  { name: 'RENAME onto it when it did not exist', setup: [['SET', '{x}1', 'v']], by: [['RENAME', '{x}1', K]], aborts: true },
  { name: 'RENAME it away', by: [['RENAME', K, 'elsewhere']], aborts: true },
  { name: 'RENAMENX onto it when it did not exist', setup: [['SET', 'c', 'v']], by: [['RENAMENX', 'c', K]], aborts: true },
  { name: 'COPY ... REPLACE onto it', setup: [['SET', K, '1'], ['SET', 'd', '1']], by: [['COPY', 'd', K, 'REPLACE']], aborts: true },
  { name: 'COPY onto it when it did not exist', setup: [['SET', 'b', '1']], by: [['COPY', 'b', K]], aborts: true },
  { name: 'COPY ... DB 0 from another database', setup: [['SELECT', '2'], ['SET', 'b', '1']], by: [['SELECT', '2'], ['COPY', 'b', K, 'DB', '0']], aborts: true },
  { name: 'MOVE it to another database', by: [['MOVE', K, '1']], aborts: true },
  { name: 'MOVE into it from another database', setup: [['SELECT', '1'], ['SET', K, 'one']], by: [['SELECT', '1'], ['MOVE', K, '0']], aborts: true },
  { name: 'FLUSHDB', by: [['FLUSHDB']], aborts: true },
  { name: 'FLUSHALL', by: [['FLUSHALL']], aborts: true },
  { name: 'FLUSHALL ASYNC', by: [['FLUSHALL', 'ASYNC']], aborts: true },
  { name: 'SWAPDB with the key in the watched database', by: [['SWAPDB', '0', '1']], aborts: true },
  { name: 'SWAPDB bringing the key into the watched database', setup: [['SELECT', '4'], ['SET', K, 'four']], by: [['SWAPDB', '4', '0']], aborts: true },
  { name: 'the watching client itself (SET)', self: [['SET', K, '2']], aborts: true },
  { name: 'the watching client itself (DEL)', self: [['DEL', K]], aborts: true },
  { name: 'one of keys on 4 shards', setup: [['MSET', ...S.flatMap((s) => [s, '1'])]], watch: S, by: [['INCR', S[2]!]], aborts: true },
  { name: 'one of keys watched by two WATCH calls', watch: ['a', K], by: [['SET', 'a', 'x']], aborts: true },
  { name: 'a missing watched key being created', setup: [], watch: [K, 'a', '{x}1'], by: [['SET', '{x}1', '0']], aborts: true },
  { name: 'expiry after WATCH (PX 50, then wait)', setup: [['SET', K, '1', 'PX', '50']], sleepMs: 150, aborts: true },
  { name: 'expiry after WATCH, key then read by another client', setup: [['SET', K, '1', 'PX', '50']], sleepMs: 150, by: [['GET', K]], aborts: true },

  // Reads, and writes that change nothing, do not.
  { name: 'reads (GET, MGET, EXISTS, TTL, STRLEN, GETRANGE, TYPE, KEYS, DBSIZE, RANDOMKEY, LCS, OBJECT)', by: [['GET', K], ['MGET', K, 'a', 'b'], ['EXISTS', K], ['TTL', K], ['PTTL', K], ['STRLEN', K], ['GETRANGE', K, '0', '-1'], ['TYPE', K], ['KEYS', '*'], ['DBSIZE'], ['RANDOMKEY'], ['LCS', K, K], ['OBJECT', 'ENCODING', K], ['EXPIRETIME', K]], aborts: false },
  { name: 'TOUCH', by: [['TOUCH', K]], aborts: false },
  { name: 'GETEX without options', by: [['GETEX', K]], aborts: false },
  { name: 'GETEX PERSIST of a key without TTL', by: [['GETEX', K, 'PERSIST']], aborts: false },
  { name: 'PERSIST of a key without TTL', by: [['PERSIST', K]], aborts: false },
  { name: 'EXPIRE ... NX of a key with a TTL', setup: [['SET', K, '1', 'EX', '100']], by: [['EXPIRE', K, '200', 'NX']], aborts: false },
  { name: 'EXPIRE ... XX of a key without TTL', by: [['EXPIRE', K, '200', 'XX']], aborts: false },
  { name: 'SETNX of an existing key', by: [['SETNX', K, 'x']], aborts: false },
  { name: 'SET ... NX of an existing key', by: [['SET', K, 'x', 'NX']], aborts: false },
  { name: 'SET ... XX of a missing key', setup: [], by: [['SET', K, 'x', 'XX']], aborts: false },
  { name: 'MSETNX blocked by another existing key', setup: [['SET', 'a', 'exists']], by: [['MSETNX', 'a', '1', K, '2']], aborts: false },
  { name: 'SETRANGE of nothing', by: [['SETRANGE', K, '0', '']], aborts: false },
  { name: 'SETRANGE of nothing on a missing key', setup: [], by: [['SETRANGE', K, '3', '']], aborts: false },
  { name: 'DEL of a missing key', setup: [], by: [['DEL', K]], aborts: false },
  { name: 'EXPIRE of a missing key', setup: [], by: [['EXPIRE', K, '10']], aborts: false },
  { name: 'RENAMENX onto it when it exists', setup: [['SET', K, '1'], ['SET', 'a', 'v']], by: [['RENAMENX', 'a', K]], aborts: false },
  { name: 'RENAME of it onto itself', by: [['RENAME', K, K]], aborts: false },
  { name: 'RENAME of a missing key onto it (error)', by: [['RENAME', 'nosuch', K]], aborts: false },
  { name: 'COPY onto it when it exists (no REPLACE)', setup: [['SET', K, '1'], ['SET', 'c', 'v']], by: [['COPY', 'c', K]], aborts: false },
  { name: 'COPY of it elsewhere', by: [['COPY', K, 'a'], ['COPY', K, K, 'DB', '3']], aborts: false },
  { name: 'MOVE when the target database has it', setup: [['SET', K, '1'], ['SELECT', '1'], ['SET', K, '1']], by: [['MOVE', K, '1']], aborts: false },
  { name: 'writes to other keys on every shard', setup: [['MSET', ...S.flatMap((s) => [s, '1'])]], watch: S, by: [['SET', 'a', '1'], ['SET', 'b', '1'], ['SET', 'c', '1'], ['SET', 'd', '1'], ['INCR', '{x}1'], ['DEL', '{y}1']], aborts: false },
  { name: 'a write to the same key name in another database', by: [['SELECT', '1'], ['SET', K, '2'], ['DEL', K]], aborts: false },
  { name: 'FLUSHDB of another database', by: [['SELECT', '1'], ['FLUSHDB']], aborts: false },
  { name: 'FLUSHDB when the watched key does not exist', setup: [['SET', 'a', '1']], by: [['FLUSHDB']], aborts: false },
  { name: 'FLUSHALL when the watched key does not exist', setup: [['SET', 'a', '1']], by: [['FLUSHALL']], aborts: false },
  { name: 'SWAPDB of two other databases', setup: [['SET', K, '1'], ['SELECT', '2'], ['SET', K, '2']], by: [['SWAPDB', '2', '3']], aborts: false },
  { name: 'SWAPDB when neither database has the key', setup: [['SET', 'a', '1']], by: [['SWAPDB', '0', '1']], aborts: false },
  { name: 'a key that had expired before WATCH, then read by another client', setup: [['SET', K, '1', 'PX', '1']], sleepBeforeWatchMs: 20, by: [['GET', K]], aborts: false },
  { name: 'a failed command on the key', setup: [['SET', K, 'abc']], by: [['INCR', K], ['INCRBYFLOAT', K, 'x'], ['SET', K, 'v', 'EX', '0']], aborts: false },
];

describe('WATCH', () => {
  for (const c of WATCH_CASES) {
    it(`${c.aborts ? 'aborts EXEC after' : 'does not abort EXEC after'} ${c.name}`, async () => {
      const [a, b] = await session(`watch: ${c.name}`, 'a', 'b');
      await b!.do(['FLUSHALL'], { expect: OK });
      await run(b!, c.setup ?? [['SET', K, '1']]);
      await b!.do(['SELECT', '0'], { expect: OK });
      if (c.sleepBeforeWatchMs) await sleep(c.sleepBeforeWatchMs);
      await a!.do(['WATCH', ...(c.watch ?? [K])], { expect: OK });
      await run(b!, c.by ?? []);
      await run(a!, c.self ?? []);
      if (c.sleepMs) await sleep(c.sleepMs);
      await a!.do(['MULTI'], { expect: OK });
      await a!.do(['SET', 'txn', 'ran'], { expect: QUEUED });
      await a!.do(['EXEC'], { expect: c.aborts ? NIL_ARRAY : '*1\r\n+OK\r\n' });
      await a!.do(['GET', 'txn'], { expect: c.aborts ? '$-1\r\n' : '$3\r\nran\r\n' });
      // The WATCH is gone after EXEC, aborted or not.
      await b!.do(['SET', K, 'later']);
      await run(a!, [['MULTI'], ['GET', K], ['EXEC']]);
    });
  }

  it('is cleared by UNWATCH, DISCARD and EXEC; accumulates over several WATCH calls', async () => {
    const [a, b] = await session('watch-lifecycle', 'a', 'b');
    await b!.do(['FLUSHALL'], { expect: OK });
    await b!.do(['MSET', ...S.flatMap((s) => [s, '0'])], { expect: OK });
    // UNWATCH.
    await a!.do(['WATCH', ...S], { expect: OK });
    await a!.do(['UNWATCH'], { expect: OK });
    await b!.do(['INCR', S[0]!]);
    await run(a!, [['MULTI'], ['INCR', S[1]!]]);
    await a!.do(['EXEC'], { expect: '*1\r\n:1\r\n' });
    // DISCARD.
    await a!.do(['WATCH', S[2]!], { expect: OK });
    await run(a!, [['MULTI'], ['INCR', S[2]!]]);
    await a!.do(['DISCARD'], { expect: OK });
    await b!.do(['INCR', S[2]!]);
    await run(a!, [['MULTI'], ['INCR', S[2]!]]);
    await a!.do(['EXEC'], { expect: '*1\r\n:2\r\n' });
    // Aborted EXEC clears the watch too.
    await a!.do(['WATCH', S[3]!], { expect: OK });
    await b!.do(['INCR', S[3]!]);
    await run(a!, [['MULTI'], ['INCR', S[3]!]]);
    await a!.do(['EXEC'], { expect: NIL_ARRAY });
    await b!.do(['INCR', S[3]!]);
    await run(a!, [['MULTI'], ['INCR', S[3]!]]);
    await a!.do(['EXEC'], { expect: '*1\r\n:3\r\n' });
    // Several WATCH calls add up; watching a key twice is harmless.
    await a!.do(['WATCH', S[0]!], { expect: OK });
    await a!.do(['WATCH', S[1]!, S[1]!], { expect: OK });
    await a!.do(['WATCH', 'nosuch'], { expect: OK });
    await b!.do(['INCR', S[0]!]);
    await run(a!, [['MULTI'], ['GET', S[1]!]]);
    await a!.do(['EXEC'], { expect: NIL_ARRAY });
    // An EXEC aborted by a queueing error clears the watch as well.
    await a!.do(['WATCH', S[1]!], { expect: OK });
    await run(a!, [['MULTI'], ['NOPE']]);
    await a!.do(['EXEC'], { expect: EXECABORT });
    await b!.do(['INCR', S[1]!]);
    await run(a!, [['MULTI'], ['GET', S[1]!], ['EXEC']]);
    // Two clients watching the same key: one's successful EXEC aborts the other's.
    const [c] = await session('watch-lifecycle/c', 'c');
    await a!.do(['WATCH', 'shared'], { expect: OK });
    await c!.do(['WATCH', 'shared'], { expect: OK });
    await run(a!, [['MULTI'], ['SET', 'shared', 'by-a']]);
    await run(c!, [['MULTI'], ['SET', 'shared', 'by-c']]);
    await a!.do(['EXEC'], { expect: '*1\r\n+OK\r\n' });
    await c!.do(['EXEC'], { expect: NIL_ARRAY });
    await a!.do(['GET', 'shared'], { expect: '$4\r\nby-a\r\n' });
    // A WATCH in a selected database watches that database's key.
    await a!.do(['SELECT', '5'], { expect: OK });
    await a!.do(['WATCH', 'w'], { expect: OK });
    await a!.do(['SELECT', '0'], { expect: OK });
    await b!.do(['SET', 'w', 'db0'], { expect: OK });
    await run(a!, [['MULTI'], ['PING']]);
    await a!.do(['EXEC'], { expect: '*1\r\n+PONG\r\n' });
    await a!.do(['WATCH', 'w'], { expect: OK });
    await run(b!, [['SELECT', '5'], ['SET', 'w', 'db5'], ['SELECT', '0']]);
    await run(a!, [['MULTI'], ['PING']]);
    await a!.do(['EXEC'], { expect: '*1\r\n+PONG\r\n' });
  });

  it('guards a read-modify-write over keys on 4 shards (check-and-set)', async () => {
    const [a, b] = await session('watch-cas', 'a', 'b');
    await b!.do(['FLUSHALL'], { expect: OK });
    await b!.do(['MSET', ...S.flatMap((s) => [s, '100'])], { expect: OK });
    for (let round = 0; round < 8; round++) {
      await a!.do(['WATCH', ...S], { expect: OK });
      await a!.do(['MGET', ...S]);
      // Every other round, b sneaks in a write on a different shard each time.
      if (round % 2 === 1) await b!.do(['DECRBY', S[round % 4]!, '1']);
      await a!.do(['MULTI'], { expect: OK });
      for (const s of S) await a!.do(['INCRBY', s, '10'], { expect: QUEUED });
      await a!.do(['EXEC'], { expect: round % 2 === 1 ? NIL_ARRAY : /^\*4\r\n/ });
    }
    await a!.do(['MGET', ...S]);
  });
});

// ---- RENAME / RENAMENX / COPY / MOVE -----------------------------------------

describe('RENAME, RENAMENX, COPY, MOVE', () => {
  it('answer argument and key errors as Redis does', async () => {
    const a = await fresh('keymove-errors');
    await run(a, [['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', '{x}1', '3']]);
    await run(a, [
      ['RENAME'], ['RENAME', 'a'], ['RENAME', 'a', 'b', 'c'],
      ['RENAMENX'], ['RENAMENX', 'a'], ['RENAMENX', 'a', 'b', 'c'],
      ['COPY'], ['COPY', 'a'],
      ['MOVE'], ['MOVE', 'a'], ['MOVE', 'a', '1', '2'],
      ['RENAME', 'nosuch', 'x'], ['RENAME', 'nosuch', 'nosuch'], ['RENAMENX', 'nosuch', 'x'], ['RENAMENX', 'nosuch', 'nosuch'],
      ['RENAME', 'a', 'a'], ['RENAMENX', 'a', 'a'], ['RENAME', '{x}1', '{x}1'],
      ['COPY', 'a', 'a'], ['COPY', 'a', 'a', 'REPLACE'], ['COPY', 'a', 'a', 'DB', '0'], ['COPY', 'nosuch', 'nosuch'],
      ['COPY', 'a', 'z', 'DB'], ['COPY', 'a', 'z', 'DB', 'x'], ['COPY', 'a', 'z', 'DB', '-1'], ['COPY', 'a', 'z', 'DB', '16'],
      ['COPY', 'a', 'z', 'DB', '1.5'], ['COPY', 'a', 'z', 'DB', '99999999999999999999'], ['COPY', 'a', 'z', 'FOO'],
      ['COPY', 'a', 'z', 'REPLACE', 'FOO'], ['COPY', 'a', 'z', 'DB', '1', 'FOO'], ['COPY', 'a', 'z', 'db'],
      ['COPY', 'nosuch', 'z', 'DB', 'x'], ['COPY', 'nosuch', 'z', 'DB', '16'], ['COPY', 'nosuch', 'z', 'FOO'],
      ['MOVE', 'a', '0'], ['MOVE', 'a', '16'], ['MOVE', 'a', '-1'], ['MOVE', 'a', 'x'], ['MOVE', 'a', ''], ['MOVE', 'nosuch', '1'],
      ['MOVE', 'nosuch', '0'], ['MOVE', 'nosuch', '16'],
      ['MGET', 'a', 'b', '{x}1', 'z'],
      ['DBSIZE'],
    ]);
  });

  it('RENAME and RENAMENX move values and TTLs between every pair of shards', async () => {
    const a = await fresh('rename-shards');
    // 16 (source shard, destination shard) pairs, each with a fresh value.
    for (let from = 0; from < SHARDS; from++) {
      for (let to = 0; to < SHARDS; to++) {
        const src = S[from]!;
        const dst = keysOnEveryShard(`r${from}${to}:`, SHARDS)[to]!;
        await run(a, [['SET', src, `v${from}${to}`, 'EX', '1000'], ['RENAME', src, dst], ['EXISTS', src], ['GET', dst]]);
        await a.do(['TTL', dst], { cmp: positiveInt, expect: /^:\d+\r\n$/ });
        await run(a, [['RENAMENX', dst, src], ['GET', src], ['EXISTS', dst]]);
        await a.do(['TTL', src], { cmp: positiveInt, expect: /^:\d+\r\n$/ });
        await a.do(['DEL', src], { expect: ':1\r\n' });
      }
    }
    // Overwriting: the destination takes the source's value and TTL (or no TTL).
    await run(a, [['SET', 'a', 'src'], ['SET', 'b', 'dst', 'EX', '1000'], ['RENAME', 'a', 'b'], ['GET', 'b'], ['TTL', 'b'], ['EXISTS', 'a']]);
    await run(a, [['SET', 'c', 'src', 'PX', '900000'], ['SET', 'd', 'dst'], ['RENAME', 'c', 'd'], ['GET', 'd']]);
    await a.do(['PTTL', 'd'], { cmp: positiveInt, expect: /^:\d+\r\n$/ });
    // RENAMENX refuses an existing destination and leaves both alone.
    await run(a, [['SET', 'a', '1'], ['SET', 'b', '2'], ['RENAMENX', 'a', 'b'], ['MGET', 'a', 'b'], ['RENAMENX', 'a', 'c'], ['MGET', 'a', 'c']]);
    // Hash tags: same shard, and different shards.
    await run(a, [['SET', '{x}1', 'tagged'], ['RENAME', '{x}1', '{x}2'], ['RENAME', '{x}2', '{y}1'], ['RENAMENX', '{y}1', '{x}1'], ['MGET', '{x}1', '{x}2', '{y}1']]);
    // A chain around the shards ends where it started.
    await a.do(['SET', S[0]!, 'token', 'EX', '1000'], { expect: OK });
    for (let i = 0; i < 12; i++) await a.do(['RENAME', S[i % 4]!, S[(i + 1) % 4]!], { expect: OK });
    await run(a, [['EXISTS', ...S], ['GET', S[0]!]]);
    await a.do(['TTL', S[0]!], { cmp: positiveInt });
    // Integer-encoded, embstr and raw values keep their encoding through RENAME.
    await run(a, [
      ['SET', 'a', '12345'], ['RENAME', 'a', 'b'], ['OBJECT', 'ENCODING', 'b'], ['GET', 'b'],
      ['SET', 'a', 'short'], ['RENAME', 'a', 'c'], ['OBJECT', 'ENCODING', 'c'],
      ['SET', 'a', 'x'.repeat(100)], ['RENAME', 'a', 'd'], ['OBJECT', 'ENCODING', 'd'],
      ['SET', 'a', 'ab'], ['APPEND', 'a', 'cd'], ['RENAME', 'a', '{x}1'], ['OBJECT', 'ENCODING', '{x}1'],
      ['DBSIZE'],
    ]);
    // RENAME inside MULTI, across shards, and an error element for a missing source.
    await run(a, [['MULTI'], ['SET', 'a', 'm'], ['RENAME', 'a', 'b'], ['RENAME', 'a', 'c'], ['RENAMENX', 'b', 'c'], ['RENAME', 'c', 'd'], ['GET', 'd'], ['EXISTS', 'a', 'b', 'c'], ['EXEC']]);
  });

  it('COPY copies within and across databases and shards, with REPLACE and TTLs', async () => {
    const a = await fresh('copy');
    await run(a, [
      ['SET', 'a', 'va', 'EX', '1000'],
      ['COPY', 'a', 'b'],
      ['MGET', 'a', 'b'],
      ['COPY', 'a', 'b'],
      ['SET', 'c', 'vc'],
      ['COPY', 'c', 'b'],
      ['GET', 'b'],
      ['COPY', 'c', 'b', 'REPLACE'],
      ['GET', 'b'],
      ['TTL', 'b'],
      ['COPY', 'a', 'b', 'replace'],
      ['GET', 'b'],
    ]);
    await a.do(['TTL', 'b'], { cmp: positiveInt, expect: /^:\d+\r\n$/ });
    // The copy is independent of the source.
    await run(a, [['APPEND', 'b', '-changed'], ['MGET', 'a', 'b'], ['SET', 'n', '10'], ['COPY', 'n', '{y}1'], ['INCR', '{y}1'], ['MGET', 'n', '{y}1'], ['OBJECT', 'ENCODING', '{y}1']]);
    // To other databases.
    await run(a, [
      ['COPY', 'a', 'a', 'DB', '1'],
      ['COPY', 'a', 'a', 'DB', '1'],
      ['COPY', 'c', 'a', 'DB', '1'],
      ['COPY', 'c', 'a', 'DB', '1', 'REPLACE'],
      ['COPY', 'a', 'd', 'REPLACE', 'DB', '2'],
      ['COPY', 'a', 'd', 'db', '2', 'replace'],
      ['COPY', 'nosuch', 'd', 'DB', '2'],
      ['COPY', 'a', 'e', 'DB', '15'],
      ['COPY', 'a', 'f', 'DB', '3', 'DB', '4'],
      ['SELECT', '1'], ['GET', 'a'], ['TTL', 'a'],
      ['SELECT', '2'], ['GET', 'd'],
    ]);
    await a.do(['TTL', 'd'], { cmp: positiveInt, expect: /^:\d+\r\n$/ });
    await run(a, [['SELECT', '15'], ['GET', 'e'], ['SELECT', '3'], ['GET', 'f'], ['SELECT', '4'], ['GET', 'f'], ['SELECT', '0'], ['DBSIZE']]);
    // Every pair of shards.
    for (let from = 0; from < SHARDS; from++) {
      for (let to = 0; to < SHARDS; to++) {
        const dst = keysOnEveryShard(`c${from}${to}:`, SHARDS)[to]!;
        await run(a, [['SET', S[from]!, `copy${from}${to}`], ['COPY', S[from]!, dst], ['MGET', S[from]!, dst], ['COPY', S[from]!, dst], ['SET', S[from]!, 'again'], ['COPY', S[from]!, dst, 'REPLACE'], ['GET', dst]]);
      }
    }
    await a.do(['DBSIZE']);
    // COPY inside MULTI.
    await run(a, [['MULTI'], ['SET', 'p', 'q'], ['COPY', 'p', 'c'], ['COPY', 'p', 'c', 'REPLACE'], ['COPY', 'p', 'r', 'DB', '9'], ['COPY', 'p', 'r', 'DB', '99'], ['COPY', 'p', 'p'], ['MGET', 'p', 'c', 'r'], ['EXEC']]);
  });

  it('MOVE moves keys between databases, keeping the TTL, refusing existing destinations', async () => {
    const a = await fresh('move');
    await run(a, [
      ['SET', 'a', 'va', 'EX', '1000'],
      ['SET', 'b', 'vb'],
      ['MOVE', 'a', '1'],
      ['EXISTS', 'a'],
      ['SELECT', '1'],
      ['GET', 'a'],
    ]);
    await a.do(['TTL', 'a'], { cmp: positiveInt, expect: /^:\d+\r\n$/ });
    await run(a, [
      ['SET', 'b', 'in1'],
      ['SELECT', '0'],
      ['MOVE', 'b', '1'],
      ['GET', 'b'],
      ['SELECT', '1'],
      ['GET', 'b'],
      ['MOVE', 'a', '15'],
      ['SELECT', '15'],
      ['GET', 'a'],
      ['MOVE', 'a', '0'],
      ['SELECT', '0'],
      ['GET', 'a'],
      ['TTL', 'b'],
    ]);
    // Keys on every shard, in a MULTI.
    await run(a, [['MSET', ...S.flatMap((s, i) => [s, `m${i}`])], ['MULTI'], ...S.map((s) => ['MOVE', s, '7']), ['EXISTS', ...S], ['SELECT', '7'], ['MGET', ...S], ['MOVE', S[0]!, '0'], ['SELECT', '0'], ['EXEC'], ['MGET', ...S], ['SELECT', '7'], ['DBSIZE'], ['SELECT', '0'], ['DBSIZE']]);
  });

  it('carries values of every size, binary and 1 MB, through RENAME, COPY and MOVE across shards', async () => {
    const a = await fresh('sizes');
    const rng = new Rng(20240601);
    const sizes = [0, 1, 2, 3, 7, 8, 15, 16, 20, 21, 22, 31, 32, 39, 40, 43, 44, 45, 63, 64, 65, 100, 255, 256, 1000, 1024, 4095, 4096, 8193, 16384, 65535, 65536, 100_000, 262_145];
    const values: Buffer[] = sizes.map((n) => rng.bytes(n));
    values.push(Buffer.from('\r\n$5\r\n*1\r\n\0\0\xff', 'latin1'), Buffer.from('0'), Buffer.from('-1'), Buffer.from('9223372036854775807'), Buffer.from('9223372036854775808'), Buffer.from('007'), Buffer.from('3.14'), Buffer.from('é€😀', 'utf8'));
    values.push(rng.bytes(1024 * 1024), Buffer.alloc(1024 * 1024, 'z'));
    const binKey = Buffer.from('bin\0\r\nkey\xfe', 'latin1');
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const src = S[i % 4]!;
      const mid = S[(i + 1) % 4]!;
      const far = S[(i + 2) % 4]!;
      const big = v.length >= 262_144 ? { timeoutMs: 30_000 } : {};
      await a.do(['SET', src, v], { expect: OK, ...big });
      await a.do(['RENAME', src, mid], { expect: OK });
      await a.do(['GET', mid], big);
      await a.do(['STRLEN', mid], { expect: `:${v.length}\r\n` });
      await a.do(['OBJECT', 'ENCODING', mid]);
      await a.do(['COPY', mid, far], { expect: ':1\r\n' });
      await a.do(['GET', far], big);
      await a.do(['RENAMENX', far, binKey], { expect: ':1\r\n' });
      await a.do(['MOVE', binKey, '2'], { expect: ':1\r\n' });
      await a.do(['COPY', mid, binKey, 'DB', '2'], { expect: ':0\r\n' });
      await a.do(['COPY', mid, binKey, 'DB', '2', 'REPLACE'], { expect: ':1\r\n' });
      await a.do(['SELECT', '2'], { expect: OK });
      await a.do(['GET', binKey], big);
      await a.do(['OBJECT', 'ENCODING', binKey]);
      await a.do(['DEL', binKey], { expect: ':1\r\n' });
      await a.do(['SELECT', '0'], { expect: OK });
      // Into and out of a transaction, in one write.
      await a.pipeline([['MULTI'], ['RENAME', mid, src], ['COPY', src, mid], ['GET', mid], ['STRLEN', src], ['DEL', src, mid], ['EXEC']], big);
    }
    await a.do(['DBSIZE'], { expect: ':0\r\n' });
  });
});
