/**
 * Bad input never breaks the server: random argument lists (option words,
 * IDs, numbers at the int64 limits, units, field counts, keys of every type
 * on every shard) for the commands of the newer families and the generic
 * ones they meet (streams, bitmaps, HyperLogLog, geo, hash field expiry,
 * moves, DUMP/RESTORE). Each command gets exactly one reply, errors are
 * Redis's kinds (never an internal error), the connection stays open and
 * the server answers afterwards. Replies are not compared with Redis here:
 * the differential tests do that for sequences that make sense.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { type RawClient, type ServerHandle, resp, startShoal } from '../helpers/servers.js';
import { connectSpread } from '../helpers/threads.js';

const COMMANDS = [
  'XADD', 'XRANGE', 'XREVRANGE', 'XLEN', 'XDEL', 'XTRIM', 'XREAD', 'XGROUP', 'XREADGROUP', 'XACK', 'XPENDING', 'XCLAIM', 'XAUTOCLAIM', 'XINFO', 'XSETID',
  'SETBIT', 'GETBIT', 'BITCOUNT', 'BITPOS', 'BITOP', 'BITFIELD', 'BITFIELD_RO', 'PFADD', 'PFCOUNT', 'PFMERGE', 'PFDEBUG',
  'GEOADD', 'GEODIST', 'GEOHASH', 'GEOPOS', 'GEOSEARCH', 'GEOSEARCHSTORE', 'GEORADIUS', 'GEORADIUSBYMEMBER', 'GEORADIUS_RO', 'GEORADIUSBYMEMBER_RO',
  'HEXPIRE', 'HPEXPIRE', 'HEXPIREAT', 'HPEXPIREAT', 'HTTL', 'HPTTL', 'HEXPIRETIME', 'HPEXPIRETIME', 'HPERSIST', 'HGETEX', 'HSETEX', 'HGETDEL',
  'ZRANK', 'ZREVRANK', 'HSET', 'RPUSH', 'LPOP', 'LTRIM', 'LSET', 'LINSERT', 'LMOVE', 'OBJECT', 'DUMP', 'RESTORE', 'RENAME', 'COPY', 'SET', 'GET',
  'SORT', 'TYPE', 'DEL', 'MULTI', 'EXEC',
];
// No BLOCK: a blocking read would wait for ever, and these replies are counted.
const WORDS = [
  'k', 'k2', '{t}a', '{t}b', 's', 'h', 'g', 'c', 'streams', 'STREAMS', '*', '$', '>', '-', '+', '0', '1', '-1', '0-1', '1-1', '1-*', '18446744073709551615',
  '9223372036854775807', '-9223372036854775808', '99999999999999999999', '1.5', 'nan', 'inf', '-inf', '', 'MAXLEN', 'MINID', '~', '=', 'LIMIT', 'NOMKSTREAM',
  'COUNT', 'NOACK', 'GROUP', 'CREATE', 'SETID', 'DESTROY', 'CREATECONSUMER', 'DELCONSUMER', 'MKSTREAM', 'ENTRIESREAD', 'IDLE', 'TIME', 'RETRYCOUNT', 'FORCE',
  'JUSTID', 'LASTID', 'STREAM', 'FULL', 'GROUPS', 'CONSUMERS', 'HELP', 'AND', 'OR', 'XOR', 'NOT', 'BIT', 'BYTE', 'GET', 'SET', 'INCRBY', 'OVERFLOW', 'WRAP',
  'SAT', 'FAIL', 'i8', 'u8', 'i64', 'u63', 'u64', '#1', '#-1', 'i0', 'GETREG', 'DECODE', 'ENCODING', 'TODENSE', 'NX', 'XX', 'CH', 'GT', 'LT', 'FROMMEMBER',
  'FROMLONLAT', 'BYRADIUS', 'BYBOX', 'ASC', 'DESC', 'ANY', 'WITHCOORD', 'WITHDIST', 'WITHHASH', 'STORE', 'STOREDIST', 'm', 'km', 'ft', 'mi', '13.361389',
  '38.115556', '180', '-85.05112879', '200', 'FIELDS', '2', '3', '5', '100', 'EX', 'PX', 'EXAT', 'PXAT', 'PERSIST', 'KEEPTTL', 'FNX', 'FXX', 'f', 'f2', 'v',
  'WITHSCORE', 'LEFT', 'RIGHT', 'BEFORE', 'AFTER', 'ALPHA', 'BY', 'REPLACE', 'ABSTTL', 'FREQ', 'IDLETIME',
];
/** The error kinds Redis answers with (the first word of an error reply). */
const KINDS = new Set(['ERR', 'WRONGTYPE', 'NOGROUP', 'BUSYGROUP', 'EXECABORT', 'INVALIDOBJ', 'BUSYKEY', 'NOKEY', 'OOM']);

let shoal: ServerHandle;
let clients: RawClient[] = [];
beforeAll(async () => {
  shoal = await startShoal({ threads: 4 });
  clients = (await connectSpread(shoal.port, 4, 4)).map((s) => s.client);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await shoal?.stop();
});

describe('random arguments to the newer families', () => {
  for (const seed of seedsFromEnv(3)) {
    it(`answer each command once, with Redis's kinds of errors, and the server goes on (SEED=${seed})`, async () => {
      const rng = new Rng(seed);
      const kinds = new Map<string, number>();
      let answered = 0;
      for (let batch = 0; batch < 60; batch++) {
        const c = clients[batch % clients.length]!;
        const cmds: string[][] = [];
        for (let i = 0; i < 100; i++) {
          const args = [rng.pick(COMMANDS)];
          for (let n = rng.int(9); n > 0; n--) args.push(rng.chance(0.05) ? String(rng.int(1_000_000)) : rng.pick(WORDS));
          cmds.push(args);
        }
        await c.write(Buffer.concat(cmds.map((a) => resp(...a))));
        const replies = await c.readReplies(cmds.length, 30_000);
        replies.forEach((r, i) => {
          const text = r.toString('latin1');
          if (!text.startsWith('-')) {
            answered++;
            return;
          }
          const kind = /^-(\S+)/.exec(text)![1]!;
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          expect(KINDS.has(kind), `${cmds[i]!.join(' ')} -> ${text.slice(0, 200)}`).toBe(true);
          // A handler that threw is answered "ERR internal error in '<command>': ..." (shard/shard.ts).
          expect(text.startsWith('-ERR internal error'), `${cmds[i]!.join(' ')} -> ${text.slice(0, 200)}`).toBe(false);
        });
        // Back out of a MULTI left open, so the next batch's replies are its own.
        await c.write(resp('DISCARD'));
        await c.readReplies(1, 30_000);
      }
      for (const c of clients) expect(await c.callText('PING')).toBe('+PONG\r\n');
      // Not only refusals: a good share of the commands ran.
      expect(answered).toBeGreaterThan(600);
      expect(kinds.get('ERR') ?? 0).toBeGreaterThan(0);
    }, 120_000);
  }
});
