/**
 * Protocol robustness: bad and unusual input sent as raw bytes to
 * redis-server and to Shoal; the reply bytes, whether the connection was
 * closed, and what a follow-up PING on the same connection gets must be the
 * same. After every case, a second (long-lived) client must still be served.
 *
 * Where a case states `redis`, redis-server's own reply is also asserted, so
 * the harness checks itself and the file documents what Redis 7.0 does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RawClient,
  type ServerHandle,
  printable,
  rawClient,
  resp,
  splitReplies,
  startAll,
  startRedis,
  startShoal,
} from '../helpers/servers.js';

type Bytes = string | Buffer;

interface Case {
  name: string;
  /** One write, or several separate writes when an array. */
  input: Bytes | Bytes[];
  /** Pause between separate writes (default: just yield to the event loop). */
  pieceDelayMs?: number;
  /** Expected redis-server reply (latin1), asserted as a harness self-check. */
  redis?: string;
  /** Expected redis-server behaviour: does it close the connection? */
  redisCloses?: boolean;
}

interface Outcome {
  reply: Buffer;
  closed: boolean;
  /** What a PING sent afterwards on the same connection got (if still open). */
  probe: Buffer;
  closedAfterProbe: boolean;
}

const PING = resp('PING');
const ERR = (s: string) => `-ERR Protocol error: ${s}\r\n`;
const big = (n: number, ch = 'x') => Buffer.alloc(n, ch);

function bytes(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
}

function chop(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const BIN_KEY = Buffer.from('bin\r\n\0key\xff', 'latin1');
const BIN_VAL = Buffer.from('\0\r\n$3\r\n*1\r\nval\xfe\0', 'latin1');

const CASES: Case[] = [
  // ---- inline commands ----
  { name: 'inline PING', input: 'PING\r\n', redis: '+PONG\r\n', redisCloses: false },
  { name: 'inline SET then GET with a bare LF', input: 'set a b\r\nGET a\n', redis: '+OK\r\n$1\r\nb\r\n', redisCloses: false },
  { name: 'inline with surrounding spaces', input: '  ping  \r\n', redis: '+PONG\r\n' },
  { name: 'empty lines are ignored', input: '\r\n\r\n\n\r\nPING\r\n', redis: '+PONG\r\n', redisCloses: false },
  { name: 'inline double quotes with escapes', input: 'set "\\x41\\n" "a\\tb"\r\nget "A\\n"\r\n', redis: '+OK\r\n$3\r\na\tb\r\n' },
  { name: 'inline single quotes', input: "set 'k 1' 'v\\'x'\r\nget 'k 1'\r\n", redis: "+OK\r\n$3\r\nv'x\r\n" },
  { name: 'inline quote corner cases', input: 'echo "a\\x4"\r\necho "\\xzz"\r\necho \'\\x41\'\r\necho a"b"\r\necho ""\r\n' },
  { name: 'inline CR inside a line separates arguments', input: 'ping\rx\r\n', redis: '$1\r\nx\r\n' },
  { name: 'inline that looks like a bulk header', input: '$3\r\nfoo\r\n' },
  { name: 'unbalanced double quote', input: 'set "a b\r\n', redis: ERR('unbalanced quotes in request'), redisCloses: true },
  { name: 'unbalanced single quote', input: "set 'a\r\n", redis: ERR('unbalanced quotes in request'), redisCloses: true },
  { name: 'closing quote not followed by a space', input: 'set "a"b c\r\n', redis: ERR('unbalanced quotes in request'), redisCloses: true },
  { name: 'backslash at the end of a quoted argument', input: 'echo "a\\\r\n', redis: ERR('unbalanced quotes in request'), redisCloses: true },
  {
    name: 'inline request over 64 KiB without a newline',
    input: big(70_000),
    redis: ERR('too big inline request'),
    redisCloses: true,
  },
  { name: 'valid inline, then unbalanced quotes: first is answered', input: 'PING\r\necho "x\r\nPING\r\n', redis: '+PONG\r\n' + ERR('unbalanced quotes in request'), redisCloses: true },

  // ---- multibulk framing ----
  { name: 'multibulk length not a number', input: '*abc\r\n', redis: ERR('invalid multibulk length'), redisCloses: true },
  { name: 'multibulk length with trailing junk', input: '*1x\r\n', redis: ERR('invalid multibulk length'), redisCloses: true },
  { name: 'multibulk length with a leading zero', input: '*01\r\n$4\r\nPING\r\n', redis: ERR('invalid multibulk length'), redisCloses: true },
  { name: 'multibulk length with a plus sign', input: '*+1\r\n', redis: ERR('invalid multibulk length'), redisCloses: true },
  { name: 'multibulk length over INT_MAX', input: '*2147483648\r\n', redis: ERR('invalid multibulk length'), redisCloses: true },
  // Redis accepts any count up to INT_MAX and then waits for that many bulks;
  // the probe's '*' where a '$' is expected is the error.
  { name: 'multibulk length 1024^3+1 is accepted (then waits)', input: '*1073741825\r\n', redis: '', redisCloses: false },
  { name: 'zero and negative multibulk lengths are ignored', input: '*0\r\n*-1\r\n*-5\r\nPING\r\n', redis: '+PONG\r\n', redisCloses: false },
  { name: "bulk header without '$'", input: '*1\r\nfoo\r\n', redis: ERR("expected '$', got 'f'"), redisCloses: true },
  { name: 'bulk length not a number', input: '*1\r\n$abc\r\n', redis: ERR('invalid bulk length'), redisCloses: true },
  { name: 'bulk length with trailing junk', input: '*1\r\n$1x\r\n', redis: ERR('invalid bulk length'), redisCloses: true },
  { name: 'bulk length with a leading zero', input: '*1\r\n$04\r\nPING\r\n', redis: ERR('invalid bulk length'), redisCloses: true },
  { name: 'bulk length -1 in a request', input: '*2\r\n$3\r\nGET\r\n$-1\r\n', redis: ERR('invalid bulk length'), redisCloses: true },
  { name: 'bulk length over 512 MB (600000000)', input: '*1\r\n$600000000\r\n', redis: ERR('invalid bulk length'), redisCloses: true },
  { name: 'bulk length 512 MB + 1', input: '*1\r\n$536870913\r\n', redis: ERR('invalid bulk length'), redisCloses: true },
  { name: 'multibulk count line over 64 KiB', input: Buffer.concat([Buffer.from('*'), big(70_000, '1')]), redis: ERR('too big mbulk count string'), redisCloses: true },
  { name: 'bulk count line over 64 KiB', input: Buffer.concat([Buffer.from('*1\r\n$'), big(70_000, '1')]), redis: ERR('too big bulk count string'), redisCloses: true },
  { name: 'fewer bytes than announced, then the next command', input: '*3\r\n$3\r\nfoo\r\n$3\r\na\r\nb\r\n$1\r\nc\r\n', redis: ERR("expected '$', got ' '"), redisCloses: true },
  {
    name: 'good command, bad frame, good command: only the first runs',
    input: '*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n',
    redis: '+PONG\r\n' + ERR('invalid multibulk length'),
    redisCloses: true,
  },
  { name: 'incomplete command stays pending', input: '*2\r\n$4\r\nECHO\r\n$5\r\nhel', redis: '', redisCloses: false },

  // ---- command errors (connection stays open) ----
  { name: 'unknown command (inline) with args', input: 'foo a b\r\n', redis: "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", redisCloses: false },
  { name: 'unknown command (multibulk) without args', input: resp('foo'), redis: "-ERR unknown command 'foo', with args beginning with: \r\n" },
  { name: 'unknown command with a long argument (truncated)', input: resp('foo', 'a'.repeat(200), 'b') },
  { name: 'unknown command with CR LF in an argument', input: resp('foo', 'a\r\nb', 'x'.repeat(200)) },
  { name: 'unknown command with a long name', input: resp('x'.repeat(300), 'a') },
  { name: 'empty command name', input: '*1\r\n$0\r\n\r\n', redis: "-ERR unknown command '', with args beginning with: \r\n" },
  { name: 'wrong arity (inline)', input: 'get\r\n', redis: "-ERR wrong number of arguments for 'get' command\r\n", redisCloses: false },
  { name: 'wrong arity (multibulk)', input: resp('GET'), redis: "-ERR wrong number of arguments for 'get' command\r\n" },
  { name: 'wrong arity, mixed case name', input: resp('sEt', 'k'), redis: "-ERR wrong number of arguments for 'set' command\r\n" },

  // ---- fragmentation and binary safety ----
  {
    name: 'commands split byte by byte',
    input: [...resp('SET', 'split:k', 'v\r\n\0v'), ...resp('GET', 'split:k'), ...Buffer.from('ECHO inline\r\n')].map((b) => Buffer.from([b])),
    pieceDelayMs: 1,
    redis: '+OK\r\n$5\r\nv\r\n\0v\r\n$6\r\ninline\r\n',
  },
  {
    name: 'a 1 MB argument in odd-sized pieces',
    input: chop(Buffer.concat([resp('SET', 'bigsplit', big(1 << 20, 'q')), resp('STRLEN', 'bigsplit'), resp('GETRANGE', 'bigsplit', '-3', '-1')]), 7_777),
    redis: '+OK\r\n:1048576\r\n$3\r\nqqq\r\n',
  },
  {
    name: 'binary key and value with CR LF and NUL',
    input: Buffer.concat([resp('SET', BIN_KEY, BIN_VAL), resp('GET', BIN_KEY), resp('STRLEN', BIN_KEY), resp('MGET', BIN_KEY, 'nope'), resp('EXISTS', BIN_KEY)]),
    redis: `+OK\r\n$${BIN_VAL.length}\r\n${BIN_VAL.toString('latin1')}\r\n:${BIN_VAL.length}\r\n*2\r\n$${BIN_VAL.length}\r\n${BIN_VAL.toString('latin1')}\r\n$-1\r\n:1\r\n`,
  },
];

/**
 * Runs one case on a fresh connection. Without `like` (the reference run),
 * reading stops after 200 ms of silence or at the close. With `like` (the
 * target run), it first waits for at least as many bytes as the reference
 * got (up to 5 s, so a slow target is not misjudged), then 100 ms more to
 * catch extra bytes.
 */
async function runCase(port: number, c: Case, like?: Outcome): Promise<Outcome> {
  // The reference waits for its documented reply, if any, before the quiet period starts.
  const minBytes = like?.reply.length ?? (c.redis !== undefined ? Buffer.byteLength(c.redis, 'latin1') : 0);
  const cl = await rawClient(port);
  try {
    const pieces = Array.isArray(c.input) ? c.input.map(bytes) : [bytes(c.input)];
    await cl.writePieces(pieces, c.pieceDelayMs ?? 0);
    // For the target, wait at least for as many bytes as the reference sent
    // (and a while for a close if the reference closed).
    const quietMs = like ? 100 : 200;
    const reply = await cl.readUntilQuiet({ quietMs, maxMs: 5_000, minBytes });
    let closed = cl.closed;
    if (!closed && like?.closed) closed = await cl.waitClosed(1000);
    let probe: Buffer = Buffer.alloc(0);
    let closedAfterProbe = closed;
    if (!closed) {
      await cl.write(PING);
      probe = await cl.readUntilQuiet({ quietMs, maxMs: 5_000, minBytes: like?.probe.length ?? 0 });
      closedAfterProbe = cl.closed;
      if (!closedAfterProbe && like?.closedAfterProbe) closedAfterProbe = await cl.waitClosed(1000);
    }
    return { reply, closed, probe, closedAfterProbe };
  } finally {
    cl.destroy();
  }
}

function show(o: Outcome): string {
  return `reply=${printable(o.reply, 400)} closed=${o.closed} probe=${printable(o.probe)} closedAfterProbe=${o.closedAfterProbe}`;
}

describe('protocol: redis-server vs Shoal on raw bytes', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  let redisSide: RawClient;
  let shoalSide: RawClient;
  const reference = new Map<Case, Outcome>();

  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis(), startShoal({ shards: 4 }));
    [redisSide, shoalSide] = await Promise.all([rawClient(redis.port), rawClient(shoal.port)]);
    // The reference outcomes do not depend on each other (distinct keys), so
    // they are collected all at once to keep the suite short.
    const outcomes = await Promise.all(CASES.map((c) => runCase(redis.port, c)));
    CASES.forEach((c, i) => reference.set(c, outcomes[i]!));
  });

  afterAll(async () => {
    redisSide?.destroy();
    shoalSide?.destroy();
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  /** The long-lived second client of each server must still be served. */
  async function sideClientsServed(tag: string): Promise<void> {
    for (const [side, server] of [[redisSide, redis], [shoalSide, shoal]] as const) {
      const k = `side:${tag}`;
      const got = Buffer.concat([await side.call('SET', k, tag), await side.call('GET', k), await side.call('DEL', k)]).toString('latin1');
      expect(got, `second client of ${server.name} after "${tag}"`).toBe(`+OK\r\n$${Buffer.byteLength(tag)}\r\n${tag}\r\n:1\r\n`);
    }
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const ref = reference.get(c)!;
      if (c.redis !== undefined) expect(ref.reply.toString('latin1'), 'redis-server reply (harness self-check)').toBe(c.redis);
      if (c.redisCloses !== undefined) expect(ref.closed, 'redis-server closes (harness self-check)').toBe(c.redisCloses);

      const got = await runCase(shoal.port, c, ref);
      expect(show(got), `${shoal.name} vs redis for ${printable(Buffer.concat((Array.isArray(c.input) ? c.input : [c.input]).map(bytes)), 120)}`).toBe(show(ref));
      await sideClientsServed(c.name);
    });
  }

  it('a pipeline of 10,000 commands in one write keeps order and content', async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      switch (i % 10) {
        case 0: parts.push(resp('SET', `pipe:${i % 97}`, `v${i}`)); break;
        case 1: parts.push(resp('GET', `pipe:${(i * 7) % 97}`)); break;
        case 2: parts.push(resp('INCR', 'pipe:counter')); break;
        case 3: parts.push(resp('MGET', `pipe:${i % 97}`, `pipe:${(i + 1) % 97}`, 'pipe:nope')); break;
        case 4: parts.push(Buffer.from(`ECHO inline${i}\r\n`)); break;
        case 5: parts.push(resp('APPEND', `pipe:a${i % 13}`, 'xy')); break;
        case 6: parts.push(i % 1000 === 6 ? resp('NOSUCHCMD', String(i)) : resp('EXISTS', `pipe:${i % 97}`, 'pipe:counter')); break;
        case 7: parts.push(i % 1000 === 7 ? resp('GET') : resp('STRLEN', `pipe:a${i % 13}`)); break;
        case 8: parts.push(resp('DEL', `pipe:${(i * 3) % 97}`)); break;
        default: parts.push(PING);
      }
    }
    const input = Buffer.concat(parts);
    const [r, s] = await Promise.all([rawClient(redis.port), rawClient(shoal.port)]);
    try {
      await Promise.all([r.write(input), s.write(input)]);
      const [rr, sr] = await Promise.all([r.readReplies(10_000, 30_000), s.readReplies(10_000, 30_000)]);
      for (let i = 0; i < rr.length; i++) {
        if (!rr[i]!.equals(sr[i]!)) {
          expect.fail(`reply #${i} differs: redis=${printable(rr[i]!)} ${shoal.name}=${printable(sr[i]!)}`);
        }
      }
      // Nothing extra after the 10,000 replies.
      await Promise.all([r.write(PING), s.write(PING)]);
      expect((await s.readReply()).toString('latin1')).toBe((await r.readReply()).toString('latin1'));
    } finally {
      r.destroy();
      s.destroy();
    }
    await sideClientsServed('pipeline');
  });

  it('many clients at once, each with its own pipeline', async () => {
    const N = 50;
    const run = async (port: number) => {
      const clients = await Promise.all(Array.from({ length: N }, () => rawClient(port)));
      try {
        const replies = await Promise.all(
          clients.map(async (cl, i) => {
            const cmds = Buffer.concat([resp('SET', `mc:${i}`, `val${i}`), resp('INCR', 'mc:ctr'), resp('GET', `mc:${i}`), resp('DEL', `mc:${i}`)]);
            await cl.write(cmds);
            const [a, , c, d] = await cl.readReplies(4, 10_000);
            return Buffer.concat([a!, c!, d!]).toString('latin1');
          }),
        );
        return replies;
      } finally {
        clients.forEach((c) => c.destroy());
      }
    };
    const [r, s] = await Promise.all([run(redis.port), run(shoal.port)]);
    expect(s).toEqual(r);
    expect(splitReplies(Buffer.from(r[0]!, 'latin1'))).toHaveLength(3);
  });
});
